// Calendar arithmetic on FHIRPath date/time values.
#pragma once

#include <cstdint>
#include <optional>

#include "fhir/fhirpath/values.h"

namespace rhip::fhirpath::internal {

// The same instant with a zero offset (for values with a time zone and a time part).
Temporal ToUtc(const Temporal& t);
int DaysInMonth(int year, int month);

// t + q for calendar and UCUM time units; the result keeps t's precision. nullopt when the
// unit is not a time unit.
std::optional<Temporal> AddQuantity(const Temporal& t, const Quantity& q);

// Milliseconds since 1970-01-01T00:00Z in UTC, as a Temporal of the given kind at
// millisecond precision with offset Z (dates: day precision, no offset).
Temporal FromEpochMillis(int64_t ms, Temporal::Kind kind);

}  // namespace rhip::fhirpath::internal
