// Session-level building blocks of the repository: each runs inside a caller's database
// transaction, so single operations and whole bundles share the same code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/model/validator.h"
#include "fhir/repository.h"
#include "fhir/internal/write_hooks.h"
#include "fhir/search/index_rows.h"

namespace rhip::fhir::internal {

// The current-version row of a resource.
struct CurrentRow {
  int64_t rk = 0;
  int64_t version = 0;
  bool deleted = false;
  Micros last_updated = 0;
};

struct Match {
  int64_t rk;
  std::string id;
};

absl::StatusOr<std::optional<CurrentRow>> LoadCurrent(db::Session& s, std::string_view type,
                                                      std::string_view id);
absl::StatusOr<StoredResource> LoadVersion(db::Session& s, std::string_view type,
                                           std::string_view id, int64_t version);
// Current, non-deleted resources of type matching the search query, in storage order, at most
// the query's _count (or max_matches when given). Conditional operations only need to tell
// none, one and several apart: they pass max_matches = 2.
absl::StatusOr<std::vector<Match>> FindMatches(db::Session& s, std::string_view type,
                                               std::string_view query, int max_matches = 0);
inline constexpr int kConditionalMatches = 2;

// Checks a resource about to be written: a JSON object of the expected type that is valid R4
// (structure, required bindings, invariants, and the meta.profile profiles options can look
// up). type may be empty to accept any resource type.
absl::Status CheckResource(const json::Value& resource, std::string_view type,
                           const ValidateOptions& options = {});

// options with a profile_lookup that asks the given one once per canonical URL: the resources
// of a bundle or bulk load usually share their profiles, and each lookup is a database read.
ValidateOptions WithCachedLookup(const ValidateOptions& options);

// The stored text of body with the server's id and meta, members in reading order
// (resourceType, id, meta, then the rest).
std::string SerializeStored(const json::Value& body, std::string_view id, int64_t version,
                            Micros now);

// Writes a new version of type/id (version 1 when current is empty) with the given
// body (nullptr for a delete) and returns what was stored, with the server's id and meta.
// body is not changed, so a transaction that runs again writes the same thing. prepared,
// when given, is body's SerializeStored text for this id, version and time; rows, when given,
// body's search-index rows (else they are extracted here, on the writer).
absl::StatusOr<StoredResource> WriteVersion(db::Session& s, std::string_view type,
                                            std::string_view id,
                                            const std::optional<CurrentRow>& current,
                                            const json::Value* body, std::string_view method,
                                            const WriteContext& w, std::string_view prepared = {},
                                            const search::IndexRows* rows = nullptr);

// Fails with 412 when expected is set and differs from the current version.
absl::Status CheckExpectedVersion(const std::optional<CurrentRow>& current, ExpectedVersion expected,
                                  std::string_view type, std::string_view id);

}  // namespace rhip::fhir::internal
