// Validation against constraint profiles (StructureDefinitions with a snapshot) that the caller
// looks up, e.g. from the server's stored StructureDefinition resources.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "fhir/model/validator.h"

namespace rhip::fhir {

// Checks `resource` against each profile in its meta.profile and options.extra_profiles, found
// through options.profile_lookup (REQUIRES: set): per snapshot element (slices are skipped)
// min/max cardinality, fixed[x] (equal) and pattern[x] (contained), maxLength, the types a
// choice element is restricted to, and required bindings whose value set is in the built-in
// table (others are skipped). Profile invariants are not evaluated. A profile the lookup does
// not know, or that is not a StructureDefinition with a snapshot for this type, is a warning.
// Appends to *issues.
void ValidateProfiles(const json::Value& resource, const ValidateOptions& options,
                      std::vector<Issue>* issues);

}  // namespace rhip::fhir
