// The write step of bulk loads (Repository::WriteBulk): many prepared resources in one
// transaction with multi-row statements. New resources' index rows go to the staging tables
// (search/staged_index.h); a resource that exists already is updated through WriteVersion
// and indexed at once.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/internal/write_hooks.h"
#include "fhir/search/index_rows.h"

namespace rhip::fhir::internal {

// A valid resource ready to write: its final id, the stored text of its first version and its
// index rows, all prepared off the writer.
struct BulkItem {
  json::Value resource;
  std::string type;
  std::string id;
  std::string method;  // PUT when the resource came with its id, else POST
  std::string stored;  // SerializeStored(resource, id, 1, now)
  search::IndexRows rows;
  int64_t version = 0;  // out: the version written
};

// Writes items in order (a later item with the same id updates an earlier one) and sets each
// one's version. Idempotent, as db::Database::Write callbacks must be: items are not changed
// except for version. The write hooks run for every item, new or updated.
absl::Status WriteBulk(db::Session& s, const WriteContext& w, std::vector<BulkItem>& items);

}  // namespace rhip::fhir::internal
