#include "db/internal/connection.h"

namespace rhip::db::internal {
namespace {
thread_local CallbackScope* innermost_scope = nullptr;
}  // namespace

absl::Status RunTransaction(Connection& c, std::string_view begin, const ConnectionFn& fn) {
  if (absl::Status s = c.ExecScript(begin); !s.ok()) return s;
  return FinishTransaction(c, fn);
}

absl::Status FinishTransaction(Connection& c, const ConnectionFn& fn) {
  absl::Status result = fn(c);
  if (!result.ok()) {
    // The caller's error is what matters; a failed rollback leaves the connection to its
    // owner, which checks the transaction state before reusing it.
    c.ExecScript("ROLLBACK").IgnoreError();
    return result;
  }
  return c.Commit();
}

CallbackScope::CallbackScope(const Database* db) : db_(db), outer_(innermost_scope) {
  innermost_scope = this;
}

CallbackScope::~CallbackScope() { innermost_scope = outer_; }

absl::Status CallbackScope::CheckNotNested(const Database* db) {
  for (const CallbackScope* s = innermost_scope; s != nullptr; s = s->outer_) {
    if (s->db_ == db) {
      return absl::FailedPreconditionError(
          "Read/Write called from inside a Read/Write callback of the same database; use the "
          "Session the callback was given");
    }
  }
  return absl::OkStatus();
}

}  // namespace rhip::db::internal
