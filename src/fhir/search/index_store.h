// Writes and deletes resources' search-index rows inside a caller's transaction.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "db/database.h"
#include "fhir/search/index_rows.h"

namespace rhip::fhir::search {

// Where rows go: the live index that searches read, or the staging tables of bulk loads
// (searchable once BuildStagedIndex has moved them; see staged_index.h).
enum class IndexTables { kLive, kStaged };

struct ResourceIndexRows {
  int64_t rk;
  const IndexRows* rows;
};

// Inserts the rows of several resources with multi-row statements.
absl::Status InsertIndexRows(db::Session& s, std::span<const ResourceIndexRows> resources,
                             IndexTables tables = IndexTables::kLive);
inline absl::Status InsertIndexRows(db::Session& s, int64_t rk, const IndexRows& rows) {
  ResourceIndexRows one{rk, &rows};
  return InsertIndexRows(s, {&one, 1});
}

// Deletes a resource's rows, staged and live (in that order: see staged_index.cc).
absl::Status DeleteIndexRows(db::Session& s, int64_t rk);

// The live index tables (each has a "_staged" twin with the same columns), for maintenance
// (reindex, staged builds) and tests. columns lists the primary key in order.
struct IndexTable {
  const char* name;
  const char* columns;
};
inline constexpr IndexTable kIndexTables[] = {
    {"sp_string", "p, norm, rk, exact"},
    {"sp_token", "p, code, system, rk"},
    {"sp_date", "p, lo, hi, rk"},
    {"sp_number", "p, value, code, system, rk"},
    {"sp_reference", "p, ref, rk"},
    {"sp_uri", "p, value, rk"},
    {"sp_composite", "p, c1, c2, lo, hi, s1, s2, rk"},
};

}  // namespace rhip::fhir::search
