// Identifiers the server assigns.
#pragma once

#include <string>
#include <string_view>

namespace rhip {

// A new random resource id: 32 lowercase hex characters (128 bits from the OS CSPRNG),
// valid as a FHIR id ([A-Za-z0-9\-\.]{1,64}) and unguessable across tenants.
std::string NewResourceId();

// True if s is a valid FHIR id.
bool IsValidFhirId(std::string_view s);

}  // namespace rhip
