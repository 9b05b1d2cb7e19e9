// Domain reactions to FHIR writes, run inside the write's own transaction: the master patient
// index links a new Patient in the same commit that stores it (DESIGN.md, "Layers"). fhir/ knows
// only these interfaces; app/ registers the implementations with Repository::AddWriteInterceptor.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/repository.h"

namespace rhip::fhir {

// FHIR reads and writes inside one open write transaction. Writes made through it are validated
// and indexed like any other, but run no interceptors (an interceptor's own writes do not
// trigger it again). Valid only during the callback that received it.
class TransactionWriter {
 public:
  virtual ~TransactionWriter() = default;
  // The open transaction, for the caller's own tables (commit and rollback are the caller's
  // write's).
  virtual db::Session& session() = 0;
  virtual Micros now() const = 0;
  // The current version; NotFound or Gone errors otherwise.
  virtual absl::StatusOr<StoredResource> Read(std::string_view type, std::string_view id) = 0;
  // Writes resource (with resourceType and id) as the next version of type/id, or its first
  // when absent or deleted. Invalid resources fail with the validator's error.
  virtual absl::StatusOr<StoredResource> Put(const json::Value& resource) = 0;
  // Deletes type/id; nothing when it is absent or deleted already.
  virtual absl::Status Delete(std::string_view type, std::string_view id) = 0;
};

class WriteInterceptor {
 public:
  virtual ~WriteInterceptor() = default;
  // Called after `written` (a new version of a resource of a registered type; written.deleted
  // for a delete) is stored, in the same transaction. An error rolls the whole write back and
  // is its answer. A database transaction may run twice (db/database.h): keep no state outside
  // the transaction, so that a second run does what the first did.
  virtual absl::Status AfterWrite(const StoredResource& written, TransactionWriter& tx) = 0;
};

}  // namespace rhip::fhir
