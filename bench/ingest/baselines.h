// Same-run physical baselines: what the disk and raw SQLite do with the server's rows.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/ingest/raw_sqlite.h"

namespace rhip::bench {

// Resources/s inserting txs into a fresh RawStore in dir, one commit per transaction
// (and the deferred checkpoint, if options defer it).
absl::StatusOr<double> RawIngestRate(const std::string& dir,
                                     const std::vector<RawTransaction>& txs,
                                     const RawOptions& options = {});

// Transactions/s committing SmallTransactionBundle()'s rows one commit (one fsync) at a
// time from one thread for `seconds`.
absl::StatusOr<double> RawSmallTxRate(const std::string& dir, double seconds);

// 4 KB overwrites of a preallocated file in dir, each followed by fdatasync, per second:
// what one durable commit costs on this disk now (the disk is shared, so this moves).
absl::StatusOr<double> FdatasyncRate(const std::string& dir, double seconds);

}  // namespace rhip::bench
