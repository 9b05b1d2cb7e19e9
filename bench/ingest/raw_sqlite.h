// The physical baseline: the rows the server writes for a create, inserted with the raw
// SQLite C API into a database with the server's schema and pragmas, with no HTTP, no
// JSON parsing and no validation on the timed path.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/json.h"

struct sqlite3;

namespace rhip::bench {

// One created resource as fhir/internal/resource_store.cc stores it: a resource row, a
// resource_version row with the body (id and meta added), and one token row per identifier.
struct RawResource {
  std::string type;
  std::string id;
  std::string body;
  std::vector<std::pair<std::string, std::string>> identifiers;  // (system, value)
};

// The resources of one bundle: committed together, as the server commits a transaction.
using RawTransaction = std::vector<RawResource>;

// Turns a Bundle's entries into the rows a create of each would write, with fresh ids.
// References are left as written (urn:uuid: is about as long as Type/id).
RawTransaction RawTransactionOf(const json::Value& bundle);

class RawStore {
 public:
  // Creates DIR/rhip.db with the server's migrations and opens it with the server writer's
  // pragmas (WAL, synchronous=FULL, the same cache size).
  static absl::StatusOr<std::unique_ptr<RawStore>> Create(const std::string& dir);
  ~RawStore();
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;

  // Inserts tx in one transaction; returns once the commit is durable.
  absl::Status Commit(const RawTransaction& tx);

 private:
  struct Statements;
  RawStore(sqlite3* db, std::unique_ptr<Statements> statements);
  absl::Status Insert(const RawResource& r);

  sqlite3* db_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace rhip::bench
