// `rhip mpi dedupe` and `rhip mpi train`: whole-store jobs of the master patient index
// (docs/MPI.md).
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct MpiConfig {
  std::string data_dir;
  std::string db_url;
  int threads = 0;
  int64_t u_pairs = 10'000'000;
  bool dry_run = false;  // train: print the model, do not store it
};

void AddMpiCommand(CLI::App& app, MpiConfig* config);
// Exit code: 0 done, 1 failure. Call only when the `mpi` subcommand was given.
int RunMpi(const CLI::App& app, const MpiConfig& config);

}  // namespace rhip::app
