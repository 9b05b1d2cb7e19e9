// FHIRPath system values (decimal, date/time, quantity) that an evaluation can compute.
// Kept separate from fhirpath.h so that callers reading results (the search indexer) see
// small value types, and the evaluator's internals stay out of the public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rhip::fhirpath {

// Fixed-point decimal with 8 fractional digits, the range and step FHIRPath requires.
// `scale` is the number of fractional digits written (1.10 has scale 2); it drives output.
struct Decimal {
  static constexpr int kMaxScale = 8;
  __int128 units = 0;  // value * 10^8
  int scale = 0;

  static std::optional<Decimal> Parse(std::string_view text);
  static Decimal FromInt(int64_t v);
  static Decimal FromDouble(double v);
  // With the smallest scale that shows the value exactly (for computed results).
  static Decimal FromUnits(__int128 units);
  double ToDouble() const;
  std::string ToString() const;
};

// A date, dateTime or time value with its precision. Fields below the precision are zero.
struct Temporal {
  enum class Kind { kDate, kDateTime, kTime };
  // Stored on nothing; the order matters for precision comparisons.
  enum class Precision { kYear, kMonth, kDay, kHour, kMinute, kSecond, kMillisecond };

  Kind kind = Kind::kDate;
  Precision precision = Precision::kYear;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
  std::optional<int> tz_offset_minutes;  // set when the text had Z or +hh:mm

  // Parses FHIR/FHIRPath text without the '@' (dates, dateTimes) or the 'T' (times).
  static std::optional<Temporal> ParseDate(std::string_view text);  // date or dateTime
  static std::optional<Temporal> ParseTime(std::string_view text);
  std::string ToString() const;  // FHIR text form, without '@'
};

// Whether `unit` is a FHIRPath calendar duration keyword ("year", "weeks", "millisecond").
bool IsCalendarUnit(std::string_view unit);

// A quantity: value and unit (a UCUM code or a calendar keyword such as "week").
struct Quantity {
  Decimal value;
  std::string unit;
  std::string ToString() const;  // FHIRPath form: 4 'mg', 1 week
};

}  // namespace rhip::fhirpath
