// Validation of FHIR R4 JSON resources:
// - structure against the StructureModel: known elements, JSON kinds, cardinality, primitive
//   formats, primitive extensions (_field), contained and nested resources;
// - required terminology bindings against the built-in value sets (rules.h);
// - the invariants (FHIRPath constraints) of the base resources and datatypes; ele-1 and ext-1
//   are checked in C++;
// - the profiles named in meta.profile, when ValidateOptions can look them up.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace rhip::fhir {

struct ValidateOptions {
  // A StructureDefinition (with a snapshot) by canonical URL (a "|version" suffix is passed
  // through), or nullopt when the server has none. Without a lookup, meta.profile is not checked.
  std::function<std::optional<json::Value>(std::string_view canonical_url)> profile_lookup;
  // Further profiles to validate against besides meta.profile ($validate?profile=).
  std::vector<std::string> extra_profiles;
};

// Validates one resource (a JSON object with resourceType). Returns the issues found, each
// with a severity ("error" rejects the resource; "warning" for warning-level invariants and
// unknown profiles), a code ("structure", "value", "required", "invalid", "code-invalid",
// "invariant"), a message and the element's expression, e.g. "Patient.name[0].family".
// Invariants are evaluated only when the structure is valid. Empty when the resource is valid.
// Thread-safe.
std::vector<Issue> ValidateResource(const json::Value& resource, const ValidateOptions& options);
std::vector<Issue> ValidateResource(const json::Value& resource);

// Whether any issue is an error or fatal (warnings do not reject a resource).
bool HasErrors(const std::vector<Issue>& issues);

namespace internal {
// Invariant evaluations that failed at run time (the FHIRPath engine returned an error) since
// start; such invariants are skipped, not reported against the resource.
size_t InvariantEvaluationFailures();
}  // namespace internal

}  // namespace rhip::fhir
