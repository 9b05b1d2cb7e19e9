#include "core/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "core/text_scan.h"

namespace rhip {
namespace {

class RealClock : public Clock {
 public:
  Micros Now() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

std::tm ToTm(Micros t) {
  time_t secs = static_cast<time_t>(t / 1000000);
  if (t < 0 && t % 1000000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

const Clock& Clock::Real() {
  static const RealClock clock;
  return clock;
}

std::string FormatInstant(Micros t) {
  std::tm tm = ToTm(t);
  long millis = static_cast<long>(((t % 1000000) + 1000000) % 1000000 / 1000);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string FormatHttpDate(Micros t) {
  std::tm tm = ToTm(t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<Micros> ParseHttpDate(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<Micros>(timegm(&tm)) * 1000000;
}

std::optional<Micros> ParseFhirDateTime(std::string_view s) {
  // YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|(+|-)hh:mm]]]]
  std::tm tm{};
  tm.tm_mday = 1;
  size_t pos = 0;
  int year = 0, month = 1;
  Micros frac = 0;
  int offset_secs = 0;
  if (!ReadDigits(s, &pos, 4, &year)) return std::nullopt;
  if (AcceptChar(s, &pos, '-')) {
    if (!ReadDigits(s, &pos, 2, &month)) return std::nullopt;
    if (AcceptChar(s, &pos, '-')) {
      if (!ReadDigits(s, &pos, 2, &tm.tm_mday)) return std::nullopt;
      if (AcceptChar(s, &pos, 'T')) {
        if (!ReadDigits(s, &pos, 2, &tm.tm_hour) || !AcceptChar(s, &pos, ':') ||
            !ReadDigits(s, &pos, 2, &tm.tm_min)) {
          return std::nullopt;
        }
        if (AcceptChar(s, &pos, ':') && !ReadDigits(s, &pos, 2, &tm.tm_sec)) return std::nullopt;
        if (AcceptChar(s, &pos, '.')) {
          Micros scale = 100000;
          while (pos < s.size() && IsAsciiDigit(s[pos])) {
            frac += (s[pos++] - '0') * scale;
            scale /= 10;
          }
        }
        if (pos < s.size() && !AcceptChar(s, &pos, 'Z')) {
          int sign = s[pos] == '+' ? 1 : (s[pos] == '-' ? -1 : 0);
          int h = 0, m = 0;
          ++pos;
          if (sign == 0 || !ReadDigits(s, &pos, 2, &h) || !AcceptChar(s, &pos, ':') ||
              !ReadDigits(s, &pos, 2, &m)) {
            return std::nullopt;
          }
          offset_secs = sign * (h * 3600 + m * 60);
        }
      }
    }
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  if (pos != s.size() || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return (static_cast<Micros>(timegm(&tm)) - offset_secs) * 1000000 + frac;
}

}  // namespace rhip
