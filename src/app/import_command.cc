#include "app/import_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "core/clock.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/bulk/importer.h"
#include "fhir/repository.h"

namespace rhip::app {
namespace {

// A progress line on stderr: redrawn in place on a terminal, a plain line every 5 s otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(isatty(STDERR_FILENO) == 1) {}

  void Update(const fhir::bulk::ImportProgress& p, bool final) {
    auto now = std::chrono::steady_clock::now();
    auto gap = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
    if (!final && now - last_ < gap) return;
    last_ = now;
    double pct = p.bytes_total > 0 ? 100.0 * static_cast<double>(p.bytes_done) /
                                         static_cast<double>(p.bytes_total)
                                   : 100.0;
    double rate = p.seconds > 0 ? static_cast<double>(p.imported) / p.seconds : 0;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(pct * kWidth / 100);
    char line[200];
    if (tty_) {
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(kWidth, '.');
      std::snprintf(line, sizeof line, "\r[%s] %5.1f%%  %lld imported  %lld rejected  %.0f resources/s ",
                    bar.c_str(), pct, static_cast<long long>(p.imported),
                    static_cast<long long>(p.rejected), rate);
    } else {
      std::snprintf(line, sizeof line, "import: %5.1f%%  %lld imported  %lld rejected  %.0f resources/s\n",
                    pct, static_cast<long long>(p.imported), static_cast<long long>(p.rejected), rate);
    }
    std::cerr << line << (final && tty_ ? "\n" : "") << std::flush;
  }

 private:
  bool tty_;
  std::chrono::steady_clock::time_point last_{};
};

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
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  db::Options db_options;
  db_options.target = c.db_url.empty() ? c.data_dir : c.db_url;
  auto database = db::Database::Open(db_options);
  if (!database.ok()) {
    std::cerr << "rhip import: cannot open the database: " << database.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<fhir::Repository> repository =
      fhir::Repository::Create(database->get(), &Clock::Real());
  ProgressPrinter printer;
  fhir::bulk::ImportOptions o;
  o.threads = c.threads;
  o.batch_size = c.batch;
  o.report_path = c.report.empty() ? StrCat(c.data_dir, "/import-report.ndjson") : c.report;
  o.progress_path = StrCat(o.report_path, ".progress");
  o.on_progress = [&](const fhir::bulk::ImportProgress& p) { printer.Update(p, false); };
  auto stats = fhir::bulk::RunImport(*repository, *files, o);
  if (!stats.ok()) {
    std::cerr << "\nrhip import: stopped: " << stats.status().message()
              << "\n(run the same command again to resume)\n";
    return 1;
  }
  fhir::bulk::ImportProgress last;
  last.bytes_done = last.bytes_total = 1;
  last.imported = stats->imported;
  last.rejected = stats->rejected;
  last.seconds = stats->seconds;
  printer.Update(last, true);
  std::cerr << "rhip import: " << stats->files << " files (" << stats->files_skipped
            << " already done), " << stats->imported << " resources imported, " << stats->rejected
            << " rejected in " << stats->seconds << " s";
  if (stats->rejected > 0) std::cerr << "; see " << o.report_path;
  std::cerr << "\n";
  return stats->rejected > 0 ? 3 : 0;
}

}  // namespace rhip::app
