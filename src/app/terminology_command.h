// `rhip terminology load --format icd10-csv FILE`: loads a code system from a file into the
// store, through the repository (no HTTP body limit), as one CodeSystem and a ValueSet of all
// its codes; loading the same url again updates them.
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct TerminologyConfig {
  std::string data_dir;
  std::string db_url;
  std::string format;
  std::string file;
  std::string url;
  std::string version;
  std::string name;
};

void AddTerminologyCommand(CLI::App& app, TerminologyConfig* config);
// Exit code: 0 loaded, 1 failure (unreadable or invalid file, store error).
int RunTerminology(const TerminologyConfig& config);

}  // namespace rhip::app
