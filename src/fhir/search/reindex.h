// Keeps the search index in step with the search-parameter definitions: a stored digest
// says which definitions built the index; `rhip reindex` rebuilds it, resumably.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::fhir::search {

enum class IndexState {
  kCurrent,     // built with the running definitions
  kStale,       // built with other definitions (or none): run `rhip reindex`
  kReindexing,  // a reindex was started and has not finished: run `rhip reindex` to resume
};

// The state of the store's index. An empty store is adopted as current (its digest is set).
absl::StatusOr<IndexState> CheckIndexState(db::Database& db);

struct ReindexProgress {
  int64_t done = 0;   // resources indexed so far (including those of an earlier, interrupted run)
  int64_t total = 0;  // current resources in the store
};

// Rebuilds every index row from the current resources in batches, each committed with its
// progress: interrupted, it resumes where it stopped. Searches during a reindex see a partial
// index. progress is called after each batch.
absl::Status Reindex(db::Database& db, const std::function<void(const ReindexProgress&)>& progress);

}  // namespace rhip::fhir::search
