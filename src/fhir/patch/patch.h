// PATCH for FHIR resources: JSON Patch (RFC 6902) and FHIRPath Patch (FHIR R4 §2.36 "FHIRPath
// Patch", a Parameters resource). Both change `resource` in place and apply all operations or
// none: on error `resource` is left unchanged.
//
// Errors: a malformed patch document is kInvalid (400); a well-formed patch that cannot be
// applied to this resource (missing path, failed test, ambiguous target) is kUnprocessable (422).
#pragma once

#include "absl/status/status.h"
#include "core/json.h"

namespace rhip::fhir {

// `patch_ops` is the JSON array of operations (op, path, value, from).
absl::Status ApplyJsonPatch(const json::Value& patch_ops, json::Value* resource);

// `parameters` is a FHIR Parameters resource whose "operation" parameters have the parts
// type, path, name, value, index, source, destination.
absl::Status ApplyFhirPathPatch(const json::Value& parameters, json::Value* resource);

}  // namespace rhip::fhir
