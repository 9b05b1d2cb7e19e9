// The engine factories behind Database::Open.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::db::internal {

// options.target is a directory; the database file is target/rhip.db.
absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const Options& options);
// options.target is a postgresql:// URI.
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const Options& options);

// The schema version as seen by a fresh read transaction of db.
absl::StatusOr<int> SchemaVersionOf(Database& db);

}  // namespace rhip::db::internal
