// _summary and _elements: the subset of a resource a search returns, marked SUBSETTED.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fhir/search/search_request.h"

namespace rhip::fhir::search {

// True when summary/elements ask for less than the whole resource.
bool NeedsProjection(Summary summary, const std::vector<std::string>& elements);

// The stored JSON of a resource reduced per _summary (true, text, data) or _elements. Mandatory
// elements (min >= 1 in the base definition), id and meta are always kept.
absl::StatusOr<std::string> Project(const std::string& json, Summary summary,
                                    const std::vector<std::string>& elements);

}  // namespace rhip::fhir::search
