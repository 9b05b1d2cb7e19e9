// URL query strings as FHIR searches receive them: split into decoded name/value pairs.
// The search itself is in fhir/search/.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::fhir {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits an URL query string into decoded name/value pairs, in order.
absl::StatusOr<QueryParams> ParseQueryParams(std::string_view query);

// Percent-encodes a query component for links: unreserved characters and ':/,$' stay as they are.
std::string PercentEncode(std::string_view s);

// Percent-decodes a query component ('+' is a space). Invalid escapes are an error.
absl::StatusOr<std::string> PercentDecode(std::string_view s);

}  // namespace rhip::fhir
