// batch and transaction Bundles (FHIR R4 http.html#transaction).
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/internal/write_hooks.h"
#include "fhir/model/validator.h"
#include "fhir/search/query_compiler.h"

namespace rhip::fhir::internal {

// A transaction runs in one database transaction: all entries succeed or none is kept.
// Entries are processed DELETE, POST, PUT/PATCH, GET; urn:uuid and conditional references
// (Type?query) are resolved and rewritten. A batch runs each entry on its own and reports
// each outcome. Returns the response Bundle.
//
// Every POST and PUT entry is checked as a single create or update is, with the same options
// (the repository's, whose profile_lookup finds the StructureDefinitions stored on the server),
// before the transaction starts: a lookup that reads the database runs outside it. Each
// profile URL is looked up once per bundle. `access` restricts GET entries (Repository::ProcessBundle).
absl::StatusOr<json::Value> ProcessBundle(db::Database& db, const Clock& clock,
                                          const ValidateOptions& options, const WriteHooks& hooks,
                                          json::Value bundle,
                                          std::string_view base_url,
                                          const search::AccessPredicate& access);

}  // namespace rhip::fhir::internal
