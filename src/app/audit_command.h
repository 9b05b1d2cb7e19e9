// `rhip audit verify`: checks the hash-chained audit trail (docs/SECURITY.md).
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct AuditConfig {
  std::string data_dir;
  std::string db_url;
};

void AddAuditCommand(CLI::App& app, AuditConfig* config);
// Exit code: 0 the chain is intact, 1 it is broken (the message names the first bad seq) or
// the database could not be read.
int RunAudit(const AuditConfig& config);

}  // namespace rhip::app
