// One interface over SQLite and PostgreSQL. Callers write SQL once with named parameters
// (:name); the engine rewrites them to ? (SQLite) or $n (PostgreSQL). Dialect differences
// are capability flags and migration tokens, never `if (postgres)` in callers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rhip::db {

// A bound parameter or a column value. std::monostate is SQL NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Params = std::vector<std::pair<std::string_view, Value>>;

class Row {
 public:
  explicit Row(std::vector<Value> cols) : cols_(std::move(cols)) {}
  size_t size() const { return cols_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(cols_[i]); }
  // REQUIRES: the column holds that type (integers read as int64, text as string).
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  const std::string& Text(size_t i) const;
  const Value& at(size_t i) const { return cols_[i]; }

 private:
  std::vector<Value> cols_;
};

using Rows = std::vector<Row>;

// A connection inside a transaction. Not thread-safe; valid only inside Read/Write callbacks.
class Session {
 public:
  virtual ~Session() = default;
  virtual absl::StatusOr<Rows> Query(std::string_view sql, const Params& params = {}) = 0;
  // Query for statements whose best plan depends on the values (searches): PostgreSQL plans
  // each call with them instead of settling on a generic plan for a cached statement, which
  // for a patient's vital signs chose a hash over every vital sign in the store (98 ms vs 2 ms).
  // SQLite plans every statement the same way either way.
  virtual absl::StatusOr<Rows> QueryPlannedForValues(std::string_view sql, const Params& params) {
    return Query(sql, params);
  }
  // Returns the number of rows changed.
  virtual absl::StatusOr<int64_t> Execute(std::string_view sql, const Params& params = {}) = 0;
};

enum class Engine { kSqlite, kPostgres };

struct Options {
  // A file-system directory for SQLite (the database is DIR/rhip.db), or a
  // postgresql:// connection URI.
  std::string target;
  int read_connections = 4;  // SQLite readers / PostgreSQL pool size
  // SQLite group commit: at most this many writes share one commit.
  int max_group_size = 256;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens (creating if needed) and migrates the database to the newest schema.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const Options& options);

  virtual Engine engine() const = 0;

  // Whether write transactions run one at a time (SQLite's single writer), so a transaction
  // needs no row locks against concurrent writers.
  bool single_writer() const { return engine() == Engine::kSqlite; }

  // Runs fn on a read-only snapshot. Thread-safe; readers run in parallel.
  virtual absl::Status Read(const std::function<absl::Status(Session&)>& fn) = 0;

  // Runs fn in a transaction and returns only once the transaction is durable (fsync'd).
  // If fn returns an error, none of its changes persist and that error is returned.
  // Thread-safe. On SQLite one writer thread runs queued writes back to back inside one
  // transaction and commits them together: one fsync for many. When one of them fails, the
  // group is rolled back and run again with a savepoint per write, so fn may run twice.
  // REQUIRES: fn has no side effects outside the session except setting its own results,
  // which a second run overwrites (it may also fail because a neighbour's commit failed).
  virtual absl::Status Write(const std::function<absl::Status(Session&)>& fn) = 0;

  // Current schema version (the number of the newest applied migration).
  virtual absl::StatusOr<int> SchemaVersion() = 0;

  // Engine-specific integrity check (SQLite PRAGMA integrity_check); OK when healthy.
  virtual absl::Status CheckIntegrity() = 0;
};

}  // namespace rhip::db
