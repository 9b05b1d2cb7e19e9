// Named SQL parameters (:name) shared by both engines: finding them in SQL text, rewriting
// them to PostgreSQL's $n, and matching them against the caller's Params.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::db::internal {

// SQL with its :name placeholders replaced by $1..$n. A name used several times gets one
// number; names[k] is the name of $(k+1).
struct PositionalSql {
  std::string sql;
  std::vector<std::string> names;
};

// Rewrites :name placeholders to $n, leaving string literals ('..', E'..', $tag$..$tag$),
// quoted identifiers, comments and :: casts untouched. InvalidArgument on an unterminated
// literal, quoted identifier or comment.
absl::StatusOr<PositionalSql> RewriteToPositional(std::string_view sql);

// For each placeholder name, in order, the matching value in params. InvalidArgument when a
// placeholder has no param, a param is not used by the SQL, or a param name repeats.
absl::StatusOr<std::vector<const Value*>> MatchParams(const std::vector<std::string>& names,
                                                      const Params& params);

}  // namespace rhip::db::internal
