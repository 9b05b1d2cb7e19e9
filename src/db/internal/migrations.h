// Schema migrations: numbered SQL files from src/db/migrations/, embedded in the binary at
// build time (embed_migrations.cmake), applied in order by Database::Open.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "db/database.h"
#include "db/internal/connection.h"

namespace rhip::db::internal {

struct Migration {
  int version;            // from the file name: 0001_fhir_store.sql is version 1
  std::string_view name;  // file name without .sql
  std::string_view sql;   // may hold engine tokens such as {BIGSERIAL_PK}
};

// All migrations of this build, ordered by version (1, 2, ...). Generated code.
std::span<const Migration> EmbeddedMigrations();

// Replaces the engine tokens ({BIGSERIAL_PK}, {WITHOUT_ROWID}) in a migration;
// InvalidArgument on an unknown {TOKEN}.
absl::StatusOr<std::string> ApplyDialect(std::string_view sql, Engine engine);

// The version stored in schema_version (0 before the first migration).
absl::StatusOr<int> ReadSchemaVersion(Session& session);

// Runs fn in one write transaction on the database being migrated.
using TransactionRunner = std::function<absl::Status(const ConnectionFn& fn)>;

// Creates schema_version if needed and applies each migration newer than the stored version
// in its own transaction. FailedPrecondition when the database is newer than `migrations`.
// Safe against concurrent runs as far as Connection::LockForMigration serialises them.
absl::Status Migrate(Engine engine, std::span<const Migration> migrations,
                     const TransactionRunner& run_transaction);

}  // namespace rhip::db::internal
