// rhip: one binary for the regional health information platform.
#include <iostream>

#include "CLI/CLI.hpp"
#include "app/version.h"

int main(int argc, char** argv) {
  CLI::App app{"rhip - regional health information platform"};
  app.set_version_flag("--version", "rhip " RHIP_VERSION);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
