// Writes and deletes a resource's search-index rows inside a caller's transaction.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "db/database.h"
#include "fhir/search/index_rows.h"

namespace rhip::fhir::search {

absl::Status InsertIndexRows(db::Session& s, int64_t rk, const IndexRows& rows);
absl::Status DeleteIndexRows(db::Session& s, int64_t rk);

// The index tables, for maintenance (reindex) and tests.
inline constexpr const char* kIndexTables[] = {"sp_string",    "sp_token", "sp_date",
                                               "sp_number",    "sp_reference", "sp_uri",
                                               "sp_composite"};

}  // namespace rhip::fhir::search
