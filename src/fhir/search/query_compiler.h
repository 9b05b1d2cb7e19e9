// Compiles a SearchRequest into SQL over the resource table (alias r) and the search-index
// tables, one statement text for SQLite and PostgreSQL. The caller's access predicate is
// ANDed into the same WHERE clause, so access rules are applied by the database, never by
// filtering fetched rows.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "fhir/search/search_request.h"
#include "fhir/search/text_folding.h"

namespace rhip::fhir::search {

using BoundParams = std::vector<std::pair<std::string, db::Value>>;

// SQL the caller adds to every query over resources: a boolean expression over alias r
// (columns rk, type, id, version, last_updated), with its own :named parameters (names must
// not start with "q"). Empty: no restriction.
struct AccessPredicate {
  std::string sql;
  BoundParams params;
};

struct CompiledSearch {
  std::string where;  // over alias r; includes type, deleted = 0 and the access predicate
  // One SQL expression per _sort key (never NULL), evaluated per row of r.
  std::vector<std::string> sort_exprs;
  std::vector<bool> sort_descending;
  BoundParams params;       // named q0, q1, ... plus the access predicate's
  // When the total can be counted from one index table alone (a single plain criterion of
  // the type's own, no access predicate): that COUNT statement and its parameters.
  std::string count_sql;
  BoundParams count_params;
  BoundParams sort_params;  // named qs0, qs1, ...: used by sort_exprs only
  // _contained=true|both with _containedType=contained: the matches are (rk, pos) rows of this
  // statement (over `params`; `where` is then unused): pos is a contained resource's position
  // in the `contained` array of resource rk, or -1 for resource rk itself.
  std::string pairs_sql;
};

// The (system, code) members of a value set by canonical URL, for :in and :not-in; NotFound
// when the server knows no such value set.
using ValueSetLookup =
    std::function<absl::StatusOr<std::vector<std::pair<std::string, std::string>>>(std::string_view url)>;

// value_sets may be empty: :in and :not-in then fail with 400.
absl::StatusOr<CompiledSearch> CompileSearch(const SearchRequest& request,
                                             const TextFolding& folding, Micros now,
                                             const AccessPredicate& access,
                                             const ValueSetLookup& value_sets = {});

// db::Params viewing names and values held by `bound` (which must outlive them).
db::Params ViewParams(const BoundParams& bound);

}  // namespace rhip::fhir::search
