#include "app/import_command.h"

#include <cstdio>
#include <iostream>
#include <optional>

#include "app/progress_bar.h"
#include "app/store.h"
#include "core/strings.h"
#include "fhir/bulk/importer.h"

namespace rhip::app {
namespace {

// "N imported  M rejected  R resources/s" after the byte-based progress bar.
std::string ImportFigures(const fhir::bulk::ImportProgress& p) {
  double rate = p.seconds > 0 ? static_cast<double>(p.imported) / p.seconds : 0;
  char text[120];
  std::snprintf(text, sizeof text, "bytes  %lld imported  %lld rejected  %.0f resources/s",
                static_cast<long long>(p.imported), static_cast<long long>(p.rejected), rate);
  return text;
}

}  // namespace

void AddImportCommand(CLI::App& app, ImportConfig* c) {
  CLI::App* cmd = app.add_subcommand(
      "import", "Load FHIR resources from NDJSON or Bundle JSON files (resumable)");
  cmd->add_option("inputs", c->inputs, "Files (*.ndjson, Bundle *.json) or directories")->required();
  cmd->add_option("--data", c->data_dir, "Data directory (holds the SQLite database)")->required();
  cmd->add_option("--db", c->db_url, "PostgreSQL URI (postgresql://...) instead of SQLite in --data");
  cmd->add_option("--report", c->report,
                  "Rejected lines/entries as NDJSON (default DATA/import-report.ndjson); the "
                  "resume state is kept next to it in REPORT.progress");
  cmd->add_option("--threads", c->threads, "Worker threads submitting batches")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--batch", c->batch, "Resources per batch Bundle")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
}

int RunImport(const ImportConfig& c) {
  auto files = fhir::bulk::ListImportFiles(c.inputs);
  if (!files.ok()) {
    std::cerr << "rhip import: " << files.status().message() << "\n";
    return 2;
  }
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip import: " << store.status().message() << "\n";
    return 1;
  }
  ProgressBar bar("import");
  fhir::bulk::ImportOptions o;
  o.threads = c.threads;
  o.batch_size = c.batch;
  o.report_path = c.report.empty() ? StrCat(c.data_dir, "/import-report.ndjson") : c.report;
  o.progress_path = StrCat(o.report_path, ".progress");
  o.on_progress = [&](const fhir::bulk::ImportProgress& p) {
    bar.Update(p.bytes_done, p.bytes_total, ImportFigures(p));
  };
  std::optional<ProgressBar> index_bar;  // made when a build starts, so its rate is the build's
  o.on_index_progress = [&](int64_t done, int64_t total) {
    if (!index_bar) index_bar.emplace("index");
    bool final = done >= total;
    index_bar->Update(done, total, StrCat(done, " of ", total, " search-index rows"), final);
    if (final) index_bar.reset();
  };
  auto stats = fhir::bulk::RunImport(*store->repository, *files, o);
  if (!stats.ok()) {
    std::cerr << "\nrhip import: stopped: " << stats.status().message()
              << "\n(run the same command again to resume)\n";
    return 1;
  }
  fhir::bulk::ImportProgress last;
  last.imported = stats->imported;
  last.rejected = stats->rejected;
  last.seconds = stats->seconds;
  bar.Update(0, 0, ImportFigures(last), /*final=*/true);
  std::cerr << "rhip import: " << stats->files << " files (" << stats->files_skipped
            << " already done), " << stats->imported << " resources imported, " << stats->rejected
            << " rejected in " << stats->seconds << " s (" << stats->index_rows
            << " search-index rows built in " << stats->index_seconds << " s)";
  if (stats->rejected > 0) std::cerr << "; see " << o.report_path;
  std::cerr << "\n";
  return stats->rejected > 0 ? 3 : 0;
}

}  // namespace rhip::app
