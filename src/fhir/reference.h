// How Bundle processing reads a reference's text; shared by the bundle processor, which resolves
// these references, and the bulk importer, which sends the resources holding them to it.
#pragma once

#include <string_view>

namespace rhip::fhir {

// A placeholder that only a Bundle's fullUrls give meaning to: urn:uuid:... or urn:oid:...
inline bool IsPlaceholderReference(std::string_view ref) {
  return ref.starts_with("urn:uuid:") || ref.starts_with("urn:oid:");
}

// A conditional reference, Type?criteria: a '?' before any '/'.
inline bool IsConditionalReference(std::string_view ref) {
  size_t q = ref.find('?');
  return q != std::string_view::npos && ref.find('/') > q;
}

}  // namespace rhip::fhir
