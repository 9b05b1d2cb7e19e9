#include "fhir/fhirpath/internal/temporal_math.h"

#include <string_view>

namespace rhip::fhirpath::internal {

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

namespace {

constexpr int64_t kMsPerDay = 86400000;

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (*m <= 2));
}


int64_t ToMillis(const Temporal& t) {
  int64_t days = t.kind == Temporal::Kind::kTime
                     ? 0
                     : DaysFromCivil(t.year, t.month == 0 ? 1 : t.month, t.day == 0 ? 1 : t.day);
  return days * kMsPerDay + ((t.hour * 60LL + t.minute) * 60 + t.second) * 1000 + t.millisecond;
}

// Sets t's fields from ms, keeping kind, precision and offset; zeroes fields below precision.
void SetFromMillis(int64_t ms, Temporal* t) {
  int64_t days = ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
  int64_t rest = ms - days * kMsPerDay;
  if (t->kind != Temporal::Kind::kTime) CivilFromDays(days, &t->year, &t->month, &t->day);
  t->hour = static_cast<int>(rest / 3600000);
  t->minute = static_cast<int>(rest / 60000 % 60);
  t->second = static_cast<int>(rest / 1000 % 60);
  t->millisecond = static_cast<int>(rest % 1000);
  using P = Temporal::Precision;
  if (t->precision < P::kMonth) t->month = 0;
  if (t->precision < P::kDay) t->day = 0;
  if (t->precision < P::kHour) t->hour = 0;
  if (t->precision < P::kMinute) t->minute = 0;
  if (t->precision < P::kSecond) t->second = 0;
  if (t->precision < P::kMillisecond) t->millisecond = 0;
}

void AddMonths(int64_t months, Temporal* t) {
  int64_t total = t->year * 12LL + (t->month == 0 ? 0 : t->month - 1) + months;
  t->year = static_cast<int>(total / 12);
  if (t->precision >= Temporal::Precision::kMonth) t->month = static_cast<int>(total % 12) + 1;
  if (t->precision >= Temporal::Precision::kDay) {
    t->day = std::min(t->day, DaysInMonth(t->year, t->month));
  }
}

}  // namespace

Temporal ToUtc(const Temporal& t) {
  if (!t.tz_offset_minutes || *t.tz_offset_minutes == 0 || t.precision < Temporal::Precision::kHour) {
    return t;
  }
  Temporal out = t;
  SetFromMillis(ToMillis(t) - *t.tz_offset_minutes * 60000LL, &out);
  out.tz_offset_minutes = 0;
  return out;
}

std::optional<Temporal> AddQuantity(const Temporal& t, const Quantity& q) {
  struct TimeUnit {
    std::string_view name;
    int64_t ms;  // 0: months, -1: years
  };
  static constexpr TimeUnit kUnits[] = {
      {"year", -1},         {"years", -1},        {"month", 0},        {"months", 0},
      {"week", 604800000},  {"weeks", 604800000},
      {"wk", 604800000},    {"day", kMsPerDay},   {"days", kMsPerDay}, {"d", kMsPerDay},
      {"hour", 3600000},    {"hours", 3600000},   {"h", 3600000},      {"minute", 60000},
      {"minutes", 60000},   {"min", 60000},       {"second", 1000},    {"seconds", 1000},
      {"s", 1000},          {"millisecond", 1},   {"milliseconds", 1}, {"ms", 1},
  };
  // FHIRPath adds whole units only (7.7 days adds 7 days). UCUM 'a' and 'mo' are not
  // calendar units and cannot be added.
  const int64_t n = static_cast<int64_t>(q.value.units / 100000000);
  for (const TimeUnit& u : kUnits) {
    if (u.name != q.unit) continue;
    Temporal out = t;
    if (u.ms == -1) {
      out.year += static_cast<int>(n);
      if (out.precision >= Temporal::Precision::kDay) {
        out.day = std::min(out.day, DaysInMonth(out.year, out.month));
      }
    } else if (u.ms == 0) {
      AddMonths(n, &out);
    } else if (t.kind != Temporal::Kind::kTime && t.precision < Temporal::Precision::kDay) {
      // A year or month precision value moves by whole months only.
      AddMonths(n * u.ms / (kMsPerDay * 30), &out);
    } else {
      SetFromMillis(ToMillis(t) + n * u.ms, &out);
      if (t.kind == Temporal::Kind::kTime) out.year = out.month = out.day = 0;
    }
    return out;
  }
  return std::nullopt;
}

Temporal FromEpochMillis(int64_t ms, Temporal::Kind kind) {
  Temporal t;
  t.kind = kind;
  t.precision = kind == Temporal::Kind::kDate ? Temporal::Precision::kDay
                                              : Temporal::Precision::kMillisecond;
  SetFromMillis(ms, &t);
  if (kind != Temporal::Kind::kDate) t.tz_offset_minutes = 0;
  return t;
}

}  // namespace rhip::fhirpath::internal
