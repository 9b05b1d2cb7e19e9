// A throwaway PostgreSQL 15 cluster for tests: initdb in a temp dir, started on a free
// loopback port with trust authentication, stopped and deleted on destruction.
//
//   ASSIGN_OR_RETURN(auto server, PostgresTestServer::Start());
//   ASSIGN_OR_RETURN(std::string uri, server->CreateDatabase("my_test"));
//   ... rhip serve --db <uri> ...
//
// Runs initdb/pg_ctl as the `postgres` OS user when the caller is root (initdb refuses
// root), directly otherwise. The binaries come from $RHIP_PG_BIN if set, else
// /usr/lib/postgresql/15/bin.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rhip::db {

class PostgresTestServer {
 public:
  // Creates and starts a fresh cluster; takes a few seconds.
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> Start();
  // Stops the server (immediate shutdown) and deletes its directory.
  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  // postgresql:// URI of the default `postgres` database (superuser `postgres`, no password).
  std::string uri() const { return UriFor("postgres"); }
  // URI of another database on this server.
  std::string UriFor(std::string_view database) const;
  int port() const { return port_; }

  // Creates an empty database (name: lower-case letters, digits, _) and returns its URI.
  absl::StatusOr<std::string> CreateDatabase(std::string_view name);

 private:
  PostgresTestServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}

  std::string dir_;  // holds data/, the unix socket and server.log
  int port_;
};

}  // namespace rhip::db
