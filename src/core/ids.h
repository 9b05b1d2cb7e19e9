// Identifiers the server assigns.
#pragma once

#include <string>
#include <string_view>

namespace rhip {

// A new resource id: 32 lowercase hex characters, valid as a FHIR id: 12 of creation time
// in milliseconds (ids sort by age, which keeps index inserts local) and 20 from the CSPRNG
// (80 bits, unguessable).
std::string NewResourceId();

// True if s is a valid FHIR id.
bool IsValidFhirId(std::string_view s);

}  // namespace rhip
