// The FHIR interactions as steps inside a caller's transaction. The repository runs each
// in its own transaction; the bundle processor runs many in one.
//
// Resources passed in must already have passed CheckResource (resource_store.h): validation is
// pure CPU work and belongs on the caller's thread, not inside the transaction, which on
// SQLite runs on the single writer thread. None of them changes its inputs: a database
// transaction may run twice (db/database.h), and must then write the same.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "fhir/internal/write_hooks.h"
#include "fhir/search/index_rows.h"

namespace rhip::fhir::internal {

absl::StatusOr<StoredResource> DoRead(db::Session& s, std::string_view type, std::string_view id);
// Repository::CheckVisible inside a transaction.
absl::StatusOr<Visibility> DoCheckVisible(db::Session& s, std::string_view type,
                                          std::string_view id,
                                          const search::AccessPredicate& access);
// Reads a version; a deleted version is 410.
absl::StatusOr<StoredResource> DoVRead(db::Session& s, std::string_view type, std::string_view id,
                                       int64_t version);
// Creates with a new id, or with `id` when given (transactions assign ids up front);
// prepared is the stored text when the caller made it already (see WriteVersion).
absl::StatusOr<WriteResult> DoCreate(db::Session& s, const WriteContext& w, const json::Value& resource,
                                     std::string_view if_none_exist, std::string id = {},
                                     std::string_view prepared = {},
                                     const search::IndexRows* rows = nullptr);
absl::StatusOr<WriteResult> DoUpdate(db::Session& s, const WriteContext& w, std::string_view type,
                                     std::string_view id, const json::Value& resource,
                                     ExpectedVersion expected,
                                     const search::IndexRows* rows = nullptr);
// Resolves query to the id a conditional update writes: the single match, else the
// resource's own id or a new one. Several matches fail with 412.
absl::StatusOr<std::string> ResolveConditionalUpdateId(db::Session& s, std::string_view type,
                                                       std::string_view query,
                                                       const json::Value& resource);
absl::StatusOr<WriteResult> DoPatch(db::Session& s, const WriteContext& w, std::string_view type,
                                    std::string_view id, PatchFormat format,
                                    const json::Value& patch, ExpectedVersion expected);
absl::StatusOr<WriteResult> DoDelete(db::Session& s, const WriteContext& w, std::string_view type,
                                     std::string_view id, ExpectedVersion expected);
absl::StatusOr<int> DoConditionalDelete(db::Session& s, const WriteContext& w, std::string_view type,
                                        std::string_view query, int limit);

}  // namespace rhip::fhir::internal
