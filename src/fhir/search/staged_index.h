// The deferred index build of bulk loads: rhip import and $import write resources with their
// index rows in the *_staged tables (appends, keyed by rk); this moves them into the live
// index tables sorted by the live key, one range of resources per transaction, so a large
// load inserts into each B-tree in key order instead of at random. Until then the loaded
// resources can be read by id but are not found by search.
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::fhir::search {

struct StagedIndexProgress {
  int64_t rows_done = 0;
  int64_t rows_total = 0;
};

// Moves every staged row into the live index; returns the number moved (0 when none were
// staged: cheap, so callers may run it at start-up to finish an interrupted load).
// Safe while the server writes: an update of a staged resource deletes its staged rows.
absl::StatusOr<int64_t> BuildStagedIndex(
    db::Database& db, const std::function<void(const StagedIndexProgress&)>& progress = {});

}  // namespace rhip::fhir::search
