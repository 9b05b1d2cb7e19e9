// FHIR date, dateTime and instant values as instant ranges at their precision
// ("2020" is all of 2020), for date index rows and date search values.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace rhip::fhir::search {

struct DateRange {
  Micros lo = 0;  // first microsecond
  Micros hi = 0;  // last microsecond (inclusive)
};

inline constexpr Micros kMinMicros = -62135596800000000;  // 0001-01-01T00:00:00Z
inline constexpr Micros kMaxMicros = 253402300799999999;  // 9999-12-31T23:59:59.999999Z

// Parses YYYY, YYYY-MM, YYYY-MM-DD and YYYY-MM-DDThh:mm[:ss[.f+]][Z|(+|-)hh:mm]. Values
// without a time zone are in China Standard Time (UTC+8), the region's business time zone.
std::optional<DateRange> ParseDateRange(std::string_view text);

}  // namespace rhip::fhir::search
