// The FHIR $validate operation (R4 resource-operation-validate): POST [base]/[type]/$validate
// with a resource, or a Parameters holding it in `resource` (and optionally `profile`).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/json.h"

namespace rhip::fhir {

// A StructureDefinition by canonical URL, or nullopt when the server has none.
using ProfileLookup = std::function<std::optional<json::Value>(std::string_view canonical_url)>;

// Validates the resource in `body` (a JSON resource or Parameters) as a `type` from the URL
// ("" for POST [base]/$validate), against its meta.profile, the Parameters `profile` and
// `query_profile` (the ?profile= URL parameter, "" if none), with profiles found by `lookup`
// (may be empty: profiles are then not checked). Returns the OperationOutcome to send with
// HTTP 200 in every case: the issues found, or one information issue "no issues" when valid.
// Unparseable bodies and a resourceType other than `type` are error issues too.
json::Value ValidateOperation(std::string_view body, std::string_view type,
                              std::string_view query_profile, const ProfileLookup& lookup);

}  // namespace rhip::fhir
