// What both engines share below the public Session: scripts, transactions, and the guard
// against nested Read/Write calls.
#pragma once

#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "db/database.h"

namespace rhip::db::internal {

// One engine connection seen through a Session, plus what migrations and transactions need.
class Connection : public Session {
 public:
  // Runs parameterless SQL that may hold several statements (a migration, BEGIN, ...).
  virtual absl::Status ExecScript(std::string_view sql) = 0;
  // Ends the open transaction; an error means nothing was committed.
  virtual absl::Status Commit() { return ExecScript("COMMIT"); }
  // Serialises schema migrations between processes; the first call in a migration transaction.
  virtual absl::Status LockForMigration() { return absl::OkStatus(); }
};

using ConnectionFn = std::function<absl::Status(Connection&)>;

// Runs `begin`, fn and COMMIT on c; rolls back and returns fn's error if fn fails.
absl::Status RunTransaction(Connection& c, std::string_view begin, const ConnectionFn& fn);
// The same after `begin` has run.
absl::Status FinishTransaction(Connection& c, const ConnectionFn& fn);

// Marks the current thread as running a Read/Write callback of one database while alive.
// A nested Read/Write on the same database would deadlock (SQLite writer thread, a full
// PostgreSQL pool) or silently escape the outer transaction, so it is refused instead.
class CallbackScope {
 public:
  explicit CallbackScope(const Database* db);
  ~CallbackScope();
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

  // FailedPrecondition when the current thread is inside a callback of db.
  static absl::Status CheckNotNested(const Database* db);

 private:
  const Database* db_;
  CallbackScope* outer_;
};

}  // namespace rhip::db::internal
