// The physical baseline: the rows the server writes for a create, inserted with the raw
// SQLite C API into a database with the server's schema and pragmas, with no HTTP, no
// JSON parsing and no validation on the timed path.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/json.h"
#include "fhir/search/index_rows.h"

struct sqlite3;

namespace rhip::bench {

// One created resource as fhir/internal/resource_store.cc stores it: a resource row, a
// resource_version row with the body (id and meta added), and its search-index rows
// (extracted before timing starts, as the server extracts them off the writer thread).
struct RawResource {
  std::string type;
  std::string id;
  std::string body;
  fhir::search::IndexRows index;
};

// The resources of one bundle: committed together, as the server commits a transaction.
using RawTransaction = std::vector<RawResource>;

// Turns a Bundle's entries into the rows a create of each would write, with fresh ids.
// References are left as written (urn:uuid: is about as long as Type/id).
RawTransaction RawTransactionOf(const json::Value& bundle);

// Departures from the server's settings, to measure what a change would gain. The
// defaults are the server's.
struct RawOptions {
  int cache_kib = 32768;        // PRAGMA cache_size = -cache_kib
  bool autocheckpoint = true;   // false: wal_autocheckpoint = 0 and one checkpoint at Finish()
  bool returning = true;        // false: plain INSERT and sqlite3_last_insert_rowid
  // The server's group commit runs each write inside SAVEPOINT job; its sub-journal holds the
  // original of every page the write changes, in a temp file once past 64 KiB.
  bool savepoint = false;
  bool temp_store_memory = false;  // PRAGMA temp_store = MEMORY: sub-journals stay in memory
};

class RawStore {
 public:
  // Creates DIR/rhip.db with the server's migrations and opens it with the server writer's
  // pragmas (WAL, synchronous=FULL, the same cache size) changed by options.
  static absl::StatusOr<std::unique_ptr<RawStore>> Create(const std::string& dir,
                                                          const RawOptions& options = {});
  ~RawStore();
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;

  // Inserts tx in one transaction; returns once the commit is durable.
  absl::Status Commit(const RawTransaction& tx);
  // Runs the checkpoint that autocheckpoint = false deferred (a no-op otherwise).
  absl::Status Finish();

 private:
  struct Statements;
  RawStore(sqlite3* db, const RawOptions& options, std::unique_ptr<Statements> statements);
  absl::Status Insert(const RawResource& r);
  absl::Status InsertIndex(const fhir::search::IndexRows& rows, int64_t rk);

  sqlite3* db_;
  const RawOptions options_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace rhip::bench
