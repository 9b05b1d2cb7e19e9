// Time behind an interface so tests can fix "now". Instants are UTC, with microseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rhip {

// Microseconds since the Unix epoch, UTC.
using Micros = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;
  // The process-wide real clock.
  static const Clock& Real();
};

// FHIR instant with millisecond precision: 2026-11-22T04:39:05.123Z.
std::string FormatInstant(Micros t);
// RFC 7231 HTTP-date: Sun, 22 Nov 2026 04:39:05 GMT.
std::string FormatHttpDate(Micros t);
std::optional<Micros> ParseHttpDate(std::string_view s);
// A FHIR dateTime/instant (with or without time or zone; a missing zone is UTC) as the
// earliest instant it covers. Used by _since, _at.
std::optional<Micros> ParseFhirDateTime(std::string_view s);

}  // namespace rhip
