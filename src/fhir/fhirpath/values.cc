#include "core/text_scan.h"
#include "fhir/fhirpath/values.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"

namespace rhip::fhirpath {
namespace {

constexpr __int128 kUnit = 100000000;  // 10^Decimal::kMaxScale


// hh(:mm(:ss(.fff)?)?)? into t; sets precision.
bool ParseTimeFields(std::string_view s, size_t* i, Temporal* t) {
  if (!ReadDigits(s, i, 2, &t->hour) || t->hour > 23) return false;
  t->precision = Temporal::Precision::kHour;
  if (!AcceptChar(s, i, ':')) return true;
  if (!ReadDigits(s, i, 2, &t->minute) || t->minute > 59) return false;
  t->precision = Temporal::Precision::kMinute;
  if (!AcceptChar(s, i, ':')) return true;
  if (!ReadDigits(s, i, 2, &t->second) || t->second > 59) return false;
  t->precision = Temporal::Precision::kSecond;
  if (!AcceptChar(s, i, '.')) return true;
  size_t start = *i;
  int ms = 0;
  while (*i < s.size() && IsAsciiDigit(s[*i])) {
    if (*i - start < 3) ms = ms * 10 + (s[*i] - '0');
    ++*i;
  }
  size_t n = *i - start;
  if (n == 0) return false;
  for (size_t k = n; k < 3; ++k) ms *= 10;
  t->millisecond = ms;
  t->precision = Temporal::Precision::kMillisecond;
  return true;
}

bool ParseZone(std::string_view s, size_t* i, Temporal* t) {
  if (*i >= s.size()) return true;
  if (AcceptChar(s, i, 'Z')) {
    t->tz_offset_minutes = 0;
    return true;
  }
  char sign = s[*i];
  if (sign != '+' && sign != '-') return false;
  ++*i;
  int h = 0, m = 0;
  if (!ReadDigits(s, i, 2, &h) || !AcceptChar(s, i, ':') || !ReadDigits(s, i, 2, &m)) return false;
  if (h > 14 || m > 59) return false;
  t->tz_offset_minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
  return true;
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

}  // namespace

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  __int128 int_part = 0;
  size_t int_digits = 0;
  while (i < text.size() && IsAsciiDigit(text[i])) {
    if (++int_digits > 20) return std::nullopt;
    int_part = int_part * 10 + (text[i++] - '0');
  }
  if (int_digits == 0) return std::nullopt;
  __int128 frac = 0;
  int scale = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t start = i;
    while (i < text.size() && IsAsciiDigit(text[i])) {
      if (scale < kMaxScale) {
        frac = frac * 10 + (text[i] - '0');
        ++scale;
      }
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  Decimal d;
  __int128 frac_units = frac;
  for (int k = scale; k < kMaxScale; ++k) frac_units *= 10;
  d.units = int_part * kUnit + frac_units;
  d.scale = scale;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    // JSON allows exponents; FHIR numbers rarely use them. Go through double.
    double v = std::strtod(std::string(text).c_str(), nullptr);
    if (!std::isfinite(v) || std::fabs(v) > 1e20) return std::nullopt;
    return FromDouble(v);
  }
  if (i != text.size()) return std::nullopt;
  if (negative) d.units = -d.units;
  return d;
}

Decimal Decimal::FromInt(int64_t v) { return Decimal{static_cast<__int128>(v) * kUnit, 0}; }

Decimal Decimal::FromDouble(double v) {
  double scaled = std::round(v * 1e8);
  // Out of the decimal range (or NaN): saturate rather than overflow.
  if (!(std::fabs(scaled) < 1e37)) scaled = std::signbit(scaled) ? -1e37 : 1e37;
  return FromUnits(static_cast<__int128>(scaled));
}

Decimal Decimal::FromUnits(__int128 units) {
  Decimal d;
  d.units = units;
  __int128 rest = d.units < 0 ? -d.units : d.units;
  int zeros = 0;
  while (zeros < kMaxScale && rest % 10 == 0) {
    rest /= 10;
    ++zeros;
  }
  d.scale = kMaxScale - zeros;
  return d;
}

double Decimal::ToDouble() const { return static_cast<double>(units) / 1e8; }

std::string Decimal::ToString() const {
  __int128 a = units < 0 ? -units : units;
  __int128 whole = a / kUnit;
  unsigned long long frac = static_cast<unsigned long long>(a % kUnit);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(whole % 10)));
    whole /= 10;
  } while (whole > 0);
  std::string out = units < 0 ? "-" : "";
  absl::StrAppend(&out, digits);
  if (scale > 0) {
    std::string f = Pad(static_cast<int>(frac), kMaxScale);
    absl::StrAppend(&out, ".", f.substr(0, scale));
  }
  return out;
}

std::optional<Temporal> Temporal::ParseDate(std::string_view s) {
  Temporal t;
  size_t i = 0;
  if (!ReadDigits(s, &i, 4, &t.year)) return std::nullopt;
  t.precision = Precision::kYear;
  if (AcceptChar(s, &i, '-')) {
    if (!ReadDigits(s, &i, 2, &t.month) || t.month < 1 || t.month > 12) return std::nullopt;
    t.precision = Precision::kMonth;
    if (AcceptChar(s, &i, '-')) {
      if (!ReadDigits(s, &i, 2, &t.day) || t.day < 1 || t.day > 31) return std::nullopt;
      t.precision = Precision::kDay;
    }
  }
  if (AcceptChar(s, &i, 'T')) {
    t.kind = Kind::kDateTime;
    if (i < s.size() && IsAsciiDigit(s[i])) {
      if (t.precision != Precision::kDay || !ParseTimeFields(s, &i, &t)) return std::nullopt;
    }
    if (!ParseZone(s, &i, &t)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::ParseTime(std::string_view s) {
  Temporal t;
  t.kind = Kind::kTime;
  size_t i = 0;
  if (!ParseTimeFields(s, &i, &t) || i != s.size()) return std::nullopt;
  return t;
}

std::string Temporal::ToString() const {
  std::string out;
  if (kind != Kind::kTime) {
    out = Pad(year, 4);
    if (precision >= Precision::kMonth) absl::StrAppend(&out, "-", Pad(month, 2));
    if (precision >= Precision::kDay) absl::StrAppend(&out, "-", Pad(day, 2));
    if (kind == Kind::kDate || precision <= Precision::kDay) {
      if (kind == Kind::kDateTime && precision == Precision::kDay) out.push_back('T');
      return out;
    }
    out.push_back('T');
  }
  absl::StrAppend(&out, Pad(hour, 2));
  if (precision >= Precision::kMinute) absl::StrAppend(&out, ":", Pad(minute, 2));
  if (precision >= Precision::kSecond) absl::StrAppend(&out, ":", Pad(second, 2));
  if (precision >= Precision::kMillisecond) absl::StrAppend(&out, ".", Pad(millisecond, 3));
  if (tz_offset_minutes && kind == Kind::kDateTime) {
    int m = *tz_offset_minutes;
    if (m == 0) {
      out.push_back('Z');
    } else {
      absl::StrAppend(&out, m < 0 ? "-" : "+", Pad(std::abs(m) / 60, 2), ":", Pad(std::abs(m) % 60, 2));
    }
  }
  return out;
}

bool IsCalendarUnit(std::string_view unit) {
  static constexpr std::string_view kCalendar[] = {
      "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
      "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};
  for (std::string_view c : kCalendar) {
    if (unit == c) return true;
  }
  return false;
}

std::string Quantity::ToString() const {
  if (IsCalendarUnit(unit)) return absl::StrCat(value.ToString(), " ", unit);
  return absl::StrCat(value.ToString(), " '", unit, "'");
}

}  // namespace rhip::fhirpath
