// The minimal search the repository core supports for conditional operations
// (If-None-Exist, conditional update/delete, conditional references): _id and identifier,
// with comma for OR and repeated parameters for AND. The search engine replaces it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::fhir {

struct TokenValue {
  bool has_system = false;  // "sys|val" or "|val" (empty system) vs plain "val"
  std::string system;
  std::string value;        // empty with has_system: any value in that system
};

struct SearchCondition {
  std::string param;                // "_id" or "identifier"
  std::vector<TokenValue> any_of;   // OR
};

struct SearchQuery {
  std::vector<SearchCondition> all_of;  // AND
  int count = 100;                      // _count
};

// Parses an URL query string (percent-encoded, without '?'). Unsupported parameters are
// an error naming them: a conditional operation must never silently ignore a criterion.
absl::StatusOr<SearchQuery> ParseSearchQuery(std::string_view query);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits an URL query string into decoded name/value pairs, in order.
absl::StatusOr<QueryParams> ParseQueryParams(std::string_view query);

// Percent-decodes a query component ('+' is a space). Invalid escapes are an error.
absl::StatusOr<std::string> PercentDecode(std::string_view s);

}  // namespace rhip::fhir
