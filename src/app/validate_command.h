// `rhip validate FILE...`: checks FHIR R4 JSON resources offline with the server's validator.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct ValidateConfig {
  // A resource per file, a Bundle (each entry's resource is checked on its own), or NDJSON
  // (one resource per line) when the name ends in .ndjson.
  std::vector<std::string> files;
  // StructureDefinition files that meta.profile may name; without any, profiles are not checked.
  std::vector<std::string> profile_files;
};

// Registers the subcommand; the returned config is filled when it is parsed.
void AddValidateCommand(CLI::App& app, ValidateConfig* config);

// Prints the issues of each resource to stdout. Returns 0 when no resource has an error,
// 1 otherwise (also for unreadable files and invalid JSON), 2 for unusable profile files.
int RunValidate(const ValidateConfig& config);

}  // namespace rhip::app
