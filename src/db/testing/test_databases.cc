#include "db/testing/test_databases.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace rhip::db {

absl::StatusOr<PostgresTestServer*> SharedPostgresServer() {
  static std::mutex mu;
  static std::unique_ptr<PostgresTestServer> server;
  static absl::Status status;
  std::lock_guard lock(mu);
  if (server == nullptr && status.ok()) {
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> started = PostgresTestServer::Start();
    if (started.ok()) {
      server = *std::move(started);
    } else {
      status = started.status();
    }
  }
  if (!status.ok()) return status;
  return server.get();
}

TestDatabases::~TestDatabases() {
  for (const std::string& dir : sqlite_dirs_) std::filesystem::remove_all(dir);
}

absl::StatusOr<std::string> TestDatabases::NewTarget(Engine engine) {
  if (engine == Engine::kSqlite) {
    std::string pattern = (std::filesystem::temp_directory_path() / "rhip-db-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    sqlite_dirs_.push_back(pattern);
    return (std::filesystem::path(pattern) / "data").string();  // Open creates it
  }
  ASSIGN_OR_RETURN(PostgresTestServer * server, SharedPostgresServer());
  static std::atomic<int> counter = 0;
  return server->CreateDatabase(absl::StrCat("test_", getpid(), "_", counter++));
}

}  // namespace rhip::db
