// Org-unit scope and consent for residents' data, as SQL the search engine ANDs into its
// statements (search::AccessPredicate), so access is decided by the database and never by
// filtering fetched rows. Personal data is a Patient and every resource type of the Patient
// compartment; such a resource is in scope when a Patient it belongs to (through its
// compartment parameters) is managed (Patient.managingOrganization) by an organization in
// the principal's area, and no active Consent of that Patient with provision.type "deny"
// applies. A deny consent keeps the data to the managing organization and the organizations
// that treated the resident (Encounter.serviceProvider) — when they are the principal's own
// org units. Other types (Organization, Practitioner, CodeSystem, ...) are not restricted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/json.h"
#include "fhir/repository.h"
#include "fhir/search/query_compiler.h"
#include "security/access_policy.h"

namespace rhip::fhir {

// A Patient or a type of the Patient compartment.
bool IsPersonalDataType(std::string_view type);

// The 403 for a resource the principal's access does not admit, saying how to proceed.
absl::Status OutsideAccessError(std::string_view type, std::string_view id);

// "(k1, k2, ...)": the keys of every Patient-compartment reference parameter, for SQL.
const std::string& CompartmentKeysSql();

// The Patient ids a resource belongs to through its compartment parameters (a Patient: none).
std::vector<std::string> PatientIdsOf(const json::Value& resource);

// The predicate for this scope; empty (no restriction) when scope.unrestricted.
search::AccessPredicate PersonalDataPredicate(const security::OrgScope& scope);

// Whether a resource about to be written (created, or the new content of an update) falls
// in the predicate's scope: a Patient must be managed inside the area; any other personal
// resource must belong only to Patients that are visible. kForbidden when not.
absl::Status CheckWritableContent(Repository& repository, const json::Value& resource,
                                  const security::OrgScope& scope,
                                  const search::AccessPredicate& predicate);

}  // namespace rhip::fhir
