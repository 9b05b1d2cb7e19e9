// Extracts the search-index rows of a resource from the search parameters of its type.
#pragma once

#include <string_view>

#include "core/json.h"
#include "fhir/search/index_rows.h"
#include "fhir/search/search_parameters.h"
#include "fhir/search/text_folding.h"

namespace rhip::fhir::search {

class IndexExtractor {
 public:
  // REQUIRES: registry and folding outlive the extractor. Thread-safe.
  IndexExtractor(const SearchParamRegistry& registry, const TextFolding& folding)
      : registry_(registry), folding_(folding) {}

  // The registry's definitions with the active folding.
  static IndexExtractor Default() {
    return IndexExtractor(SearchParamRegistry::Default(), ActiveTextFolding());
  }

  // Rows for resource (a JSON object with resourceType), and for each resource in its
  // `contained` array under ContainedKey (search_parameters.h). Values a parameter cannot
  // index (an unparsable date, say) are skipped: the validator has already judged the resource.
  IndexRows Extract(const json::Value& resource) const;

  const SearchParamRegistry& registry() const { return registry_; }
  const TextFolding& folding() const { return folding_; }

 private:
  // The rows of resource's own parameters, not normalized.
  void ExtractInto(const json::Value& resource, IndexRows* rows) const;

  const SearchParamRegistry& registry_;
  const TextFolding& folding_;
};

}  // namespace rhip::fhir::search
