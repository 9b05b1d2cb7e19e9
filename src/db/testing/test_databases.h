// Fresh databases for tests that run on both engines: a temp directory for SQLite, a new
// database on one PostgreSQL server shared by the whole test binary (started by the first
// test that needs it, stopped at exit).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database.h"
#include "db/testing/postgres_server.h"

namespace rhip::db {

// The binary's shared PostgreSQL server; the same error on every call if it cannot start.
absl::StatusOr<PostgresTestServer*> SharedPostgresServer();

class TestDatabases {
 public:
  TestDatabases() = default;
  // Removes the SQLite directories it made.
  ~TestDatabases();
  TestDatabases(const TestDatabases&) = delete;
  TestDatabases& operator=(const TestDatabases&) = delete;

  // An Options::target for a new, empty database.
  absl::StatusOr<std::string> NewTarget(Engine engine);

 private:
  std::vector<std::string> sqlite_dirs_;
};

}  // namespace rhip::db
