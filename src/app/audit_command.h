// `rhip audit verify` checks the hash-chained audit trail; `rhip audit list` searches it
// (docs/SECURITY.md, "Audit trail").
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct AuditConfig {
  std::string command;  // "verify" or "list"
  std::string data_dir;
  std::string db_url;
  // verify
  std::string expect_head;  // a head hash noted earlier; it must still be in the chain
  // list
  std::string patient;
  std::string actor;
  std::string action;
  std::string outcome;
  std::string since;  // FHIR date/dateTime (no zone: China Standard Time)
  std::string until;  // inclusive at its precision: --until 2026-11-30 covers that day
  int limit = 100;
  int64_t before = 0;  // the cursor a previous page printed
};

void AddAuditCommand(CLI::App& app, AuditConfig* config);
// Exit code: verify: 0 the chain is intact (and holds --expect-head), 1 it is broken (the
// message names the first bad seq), the noted head is gone, or the database could not be read.
// list: 0, or 1 when the database could not be read; 2 for a malformed date.
int RunAudit(const AuditConfig& config);

}  // namespace rhip::app
