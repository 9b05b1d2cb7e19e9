// Bulk import: streams NDJSON and Bundle files into the repository from several worker
// threads, through Repository::WriteBulk (index rows staged, built sorted at the end) or, for
// resources with conditional references, batch Bundles. Resources with an id are written
// with PUT (keeping the id), others with POST. Resumable: a progress file records, per input
// file, the item up to which everything is committed; a re-run skips that part and first
// finishes the index of an interrupted run. The store is fully searchable when it returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fhir/repository.h"

namespace rhip::fhir::bulk {

struct ImportProgress {
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int64_t imported = 0;  // resources written in this run
  int64_t rejected = 0;  // lines/entries reported as rejected in this run
  double seconds = 0;    // since the start of this run
};

struct ImportOptions {
  int threads = 4;        // workers submitting batches
  int batch_size = 500;   // entries per batch Bundle
  // Rejected items are appended here as NDJSON: {"file","line"|"entry","outcome"}.
  std::string report_path;
  // Resume state (JSON); empty: no resume. Created or updated as batches commit.
  std::string progress_path;
  const std::atomic<bool>* cancel = nullptr;  // when it turns true: stop (Cancelled)
  // Called from the reading thread after each batch is queued and once at the end.
  std::function<void(const ImportProgress&)> on_progress;
  // Called while the staged search index is built (at the start when an interrupted run left
  // some, and at the end).
  std::function<void(int64_t rows_done, int64_t rows_total)> on_index_progress;
};

struct ImportStats {
  int64_t files = 0;
  int64_t files_skipped = 0;  // already complete in the progress file
  int64_t imported = 0;
  int64_t rejected = 0;
  double seconds = 0;
  int64_t index_rows = 0;      // staged index rows built
  double index_seconds = 0;    // of seconds, building them
};

// Expands directories (recursively, sorted) to their *.ndjson and *.json files.
absl::StatusOr<std::vector<std::string>> ListImportFiles(const std::vector<std::string>& paths);

// REQUIRES: options.threads >= 1, options.batch_size >= 1.
absl::StatusOr<ImportStats> RunImport(Repository& repository, const std::vector<std::string>& files,
                                      const ImportOptions& options);

}  // namespace rhip::fhir::bulk
