// `rhip reindex`: rebuilds the search index after the search-parameter definitions changed.
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct ReindexConfig {
  std::string data_dir;
  std::string db_url;
};

void AddReindexCommand(CLI::App& app, ReindexConfig* config);
// Exit code: 0 done, 1 failure.
int RunReindex(const ReindexConfig& config);

}  // namespace rhip::app
