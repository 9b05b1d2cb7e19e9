// `rhip import FILE|DIR...`: bulk-loads NDJSON and Bundle files straight into the store
// (src/fhir/bulk/importer.h), resumably, with a report of rejected lines.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct ImportConfig {
  std::vector<std::string> inputs;  // files or directories
  std::string data_dir;
  std::string db_url;
  std::string report;  // default DATA/import-report.ndjson; progress in REPORT.progress
  int threads = 4;
  int batch = 500;
};

// Registers the subcommand; the returned config is filled when it is parsed.
void AddImportCommand(CLI::App& app, ImportConfig* config);
// Returns the process exit code: 0 all imported, 3 some rejected (see the report),
// 1 the import stopped (run it again to resume), 2 usage.
int RunImport(const ImportConfig& config);

}  // namespace rhip::app
