// Structural validation of FHIR R4 JSON resources against the StructureModel: known elements,
// JSON kinds, cardinality, primitive formats, primitive extensions (_field), contained and
// nested resources. Profiles, invariants and terminology bindings are not checked here.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace rhip::fhir {

// Validates one resource (a JSON object with resourceType). Returns the issues found, each
// with severity "error", a code ("structure", "value", "required", "invalid"), a message and
// the element's expression, e.g. "Patient.name[0].family". Empty when the resource is valid.
// Thread-safe; allocates nothing for a valid resource beyond a path buffer.
std::vector<Issue> ValidateResource(const json::Value& resource);

}  // namespace rhip::fhir
