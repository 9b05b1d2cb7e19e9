#include "fhir/search/date_range.h"

#include "core/text_scan.h"

namespace rhip::fhir::search {
namespace {

constexpr Micros kMicrosPerSecond = 1000000;
constexpr Micros kChinaOffset = 8 * 3600 * kMicrosPerSecond;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool Fixed(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsAsciiDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Micros At(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return ((DaysFromCivil(y, m, d) * 86400) + hh * 3600 + mm * 60 + ss) * kMicrosPerSecond;
}

}  // namespace

std::optional<DateRange> ParseDateRange(std::string_view s) {
  int y = 0, m = 1, d = 1;
  if (!Fixed(s, 0, 4, &y)) return std::nullopt;
  if (s.size() == 4) {
    return DateRange{At(y, 1, 1) - kChinaOffset, At(y + 1, 1, 1) - kChinaOffset - 1};
  }
  if (s[4] != '-' || !Fixed(s, 5, 2, &m) || m < 1 || m > 12) return std::nullopt;
  if (s.size() == 7) {
    int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    return DateRange{At(y, m, 1) - kChinaOffset, At(ny, nm, 1) - kChinaOffset - 1};
  }
  if (s[7] != '-' || !Fixed(s, 8, 2, &d) || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  if (s.size() == 10) {
    Micros start = At(y, m, d) - kChinaOffset;
    return DateRange{start, start + 86400 * kMicrosPerSecond - 1};
  }
  int hh = 0, mi = 0, ss = 0;
  if (s[10] != 'T' || !Fixed(s, 11, 2, &hh) || s.size() < 16 || s[13] != ':' ||
      !Fixed(s, 14, 2, &mi) || hh > 23 || mi > 59) {
    return std::nullopt;
  }
  size_t pos = 16;
  Micros unit = 60 * kMicrosPerSecond;
  Micros fraction = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Fixed(s, pos + 1, 2, &ss) || ss > 60) return std::nullopt;
    pos += 3;
    unit = kMicrosPerSecond;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      Micros scale = 100000;
      size_t digits = 0;
      while (pos < s.size() && IsAsciiDigit(s[pos])) {
        if (scale > 0) fraction += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
      unit = 1;
      for (size_t i = digits; i < 6; ++i) unit *= 10;
    }
  }
  Micros offset = kChinaOffset;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      offset = 0;
    } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!Fixed(s, pos + 1, 2, &oh) || !Fixed(s, pos + 4, 2, &om)) return std::nullopt;
      offset = (oh * 3600 + om * 60) * kMicrosPerSecond * (s[pos] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  Micros start = At(y, m, d, hh, mi, ss) + fraction - offset;
  return DateRange{start, start + unit - 1};
}

}  // namespace rhip::fhir::search
