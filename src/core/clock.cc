#include "core/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "absl/strings/numbers.h"

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

int ParseDigits(std::string_view s, size_t pos, size_t n, bool* ok) {
  int v = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
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
  bool ok = true;
  std::tm tm{};
  tm.tm_mday = 1;
  tm.tm_year = ParseDigits(s, 0, 4, &ok) - 1900;
  size_t pos = 4;
  Micros frac = 0;
  int offset_secs = 0;
  if (ok && pos < s.size() && s[pos] == '-') {
    tm.tm_mon = ParseDigits(s, pos + 1, 2, &ok) - 1;
    pos += 3;
    if (ok && pos < s.size() && s[pos] == '-') {
      tm.tm_mday = ParseDigits(s, pos + 1, 2, &ok);
      pos += 3;
      if (ok && pos < s.size() && s[pos] == 'T') {
        tm.tm_hour = ParseDigits(s, pos + 1, 2, &ok);
        if (ok && s.size() > pos + 3 && s[pos + 3] == ':') {
          tm.tm_min = ParseDigits(s, pos + 4, 2, &ok);
        } else {
          ok = false;
        }
        pos += 6;
        if (ok && pos < s.size() && s[pos] == ':') {
          tm.tm_sec = ParseDigits(s, pos + 1, 2, &ok);
          pos += 3;
        }
        if (ok && pos < s.size() && s[pos] == '.') {
          ++pos;
          Micros scale = 100000;
          while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            frac += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
          }
        }
        if (ok && pos < s.size()) {
          if (s[pos] == 'Z') {
            ++pos;
          } else if (s[pos] == '+' || s[pos] == '-') {
            int h = ParseDigits(s, pos + 1, 2, &ok);
            int m = (s.size() > pos + 3 && s[pos + 3] == ':') ? ParseDigits(s, pos + 4, 2, &ok) : 0;
            offset_secs = (s[pos] == '+' ? 1 : -1) * (h * 3600 + m * 60);
            pos += 6;
          } else {
            ok = false;
          }
        }
      }
    }
  }
  if (!ok || pos != s.size() || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return (static_cast<Micros>(timegm(&tm)) - offset_secs) * 1000000 + frac;
}

}  // namespace rhip
