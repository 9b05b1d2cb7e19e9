// Bulk jobs ($export, $import) persisted in the bulk_job table, so that a restarted server
// can still report a finished job and resume an unfinished one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"

namespace rhip::fhir::bulk {

// Stored on disk as text: do not rename.
inline constexpr char kStatusQueued[] = "queued";
inline constexpr char kStatusRunning[] = "running";
inline constexpr char kStatusCompleted[] = "completed";
inline constexpr char kStatusFailed[] = "failed";

struct Job {
  std::string id;
  std::string kind;         // "export" or "import"
  std::string status;       // one of kStatus*
  std::string request_url;  // the kick-off URL as the client sent it (absolute)
  std::string params;       // JSON: the parsed kick-off parameters
  Micros transaction_time = 0;
  std::string progress;  // short human text, as of the last status change
  std::string result;    // completed: the manifest JSON; failed: an OperationOutcome JSON
};

// Thread-safe (every call is one database transaction).
class JobStore {
 public:
  // REQUIRES: db outlives the store.
  explicit JobStore(db::Database* db) : db_(db) {}

  absl::Status Insert(const Job& job);
  // NotFound when absent.
  absl::StatusOr<Job> Get(std::string_view id);
  absl::Status SetStatus(std::string_view id, std::string_view status, std::string_view progress,
                         std::string_view result);
  absl::Status Remove(std::string_view id);
  // Jobs queued or running, oldest first (to resume after a restart).
  absl::StatusOr<std::vector<Job>> Unfinished();

 private:
  db::Database* db_;
};

}  // namespace rhip::fhir::bulk
