// Runs a parsed search inside a read transaction: the page of matches (keyset paging on the
// sort keys and rk, never OFFSET), the total when asked, and _include/_revinclude.
#pragma once

#include "absl/status/statusor.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "fhir/search/query_compiler.h"
#include "fhir/search/search_request.h"
#include "fhir/search/text_folding.h"

namespace rhip::fhir::internal {

absl::StatusOr<SearchResult> RunSearch(db::Session& s, search::SearchRequest request,
                                       const search::TextFolding& folding, Micros now,
                                       const search::AccessPredicate& access);

}  // namespace rhip::fhir::internal
