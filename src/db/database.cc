#include "db/database.h"

#include "absl/strings/match.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/internal/engines.h"
#include "db/internal/migrations.h"

namespace rhip::db {

int64_t Row::Int(size_t i) const { return std::get<int64_t>(cols_[i]); }
double Row::Double(size_t i) const { return std::get<double>(cols_[i]); }
const std::string& Row::Text(size_t i) const { return std::get<std::string>(cols_[i]); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const Options& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("no database given: need a directory or a postgresql:// URI");
  }
  if (options.read_connections < 1 || options.max_group_size < 1) {
    return absl::InvalidArgumentError("read_connections and max_group_size must be at least 1");
  }
  if (absl::StartsWith(options.target, "postgresql://") ||
      absl::StartsWith(options.target, "postgres://")) {
    return internal::OpenPostgres(options);
  }
  return internal::OpenSqlite(options);
}

namespace internal {

absl::StatusOr<int> SchemaVersionOf(Database& db) {
  int version = 0;
  RETURN_IF_ERROR(db.Read([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(version, ReadSchemaVersion(s));
    return absl::OkStatus();
  }));
  return version;
}

}  // namespace internal
}  // namespace rhip::db
