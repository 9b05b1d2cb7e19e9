// TEST ONLY: converts FHIR XML (as in the FHIR test cases) to rhip's FHIR JSON, so that XML
// fixtures can drive JSON code. Covers what the fixtures use: primitives from `value`
// attributes (JSON kinds from the structure model), `id`/`url` attributes, extensions on
// primitives (`_name`), repeated and max-* elements as arrays, nested resources and the
// narrative `div` as text. Not a general FHIR XML parser (no comments, no xml:space).
#pragma once

#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "absl/status/statusor.h"
#include "core/json.h"

namespace rhip::fhir::testing {

// `resource` is a resource element such as <Patient xmlns="http://hl7.org/fhir">.
absl::StatusOr<json::Value> FhirXmlToJson(const pugi::xml_node& resource);

// XHTML text with whitespace-only text nodes dropped and no indentation, so that narratives
// written with different layout compare equal. Returns `xhtml` unchanged if it does not parse.
std::string CanonicalXhtml(std::string_view xhtml);

}  // namespace rhip::fhir::testing
