// lowBoundary() and highBoundary(): the interval an imprecise value stands for. 1.587 stands
// for [1.5865, 1.5875); @2014 for 2014-01-01T00:00:00.000+14:00 .. 2014-12-31T23:59:59.999-12:00
// (an unknown time zone spans every offset).
#include <cstdint>
#include <optional>

#include "fhir/fhirpath/internal/operations.h"
#include "fhir/fhirpath/internal/temporal_math.h"

namespace rhip::fhirpath::internal {
namespace {

__int128 Pow10(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// For x >= 0. The boundaries of the official suite (which follows the Java reference) are
// x + half an ulp rounded half up to `digits`, and x - half an ulp truncated; the interval
// of a negative number is the mirror image of its absolute value's.
Decimal PositiveBoundary(const Decimal& x, int digits, bool high) {
  const int s = x.scale;
  __int128 half = s < Decimal::kMaxScale ? 5 * Pow10(Decimal::kMaxScale - s - 1) : 0;
  __int128 v = high ? x.units + half : x.units - half;
  __int128 step = Pow10(Decimal::kMaxScale - digits);
  __int128 q = v / step, r = v % step;
  if (high && r * 2 >= step) ++q;
  Decimal out;
  out.units = q * step;
  out.scale = digits;
  return out;
}

std::optional<Decimal> DecimalBoundary(const Decimal& x, std::optional<int64_t> precision,
                                       bool high) {
  int64_t digits = precision.value_or(Decimal::kMaxScale);
  if (digits < 0 || digits > Decimal::kMaxScale) return std::nullopt;
  if (x.units >= 0) return PositiveBoundary(x, static_cast<int>(digits), high);
  Decimal abs = x;
  abs.units = -x.units;
  Decimal b = PositiveBoundary(abs, static_cast<int>(digits), !high);
  b.units = -b.units;
  return b;
}

std::optional<Temporal> TemporalBoundary(Temporal t, std::optional<int64_t> precision, bool high) {
  using P = Temporal::Precision;
  const bool time = t.kind == Temporal::Kind::kTime;
  int64_t digits = precision.value_or(time ? 9 : 17);
  std::optional<P> target;
  if (time) {
    if (digits == 2) target = P::kHour;
    if (digits == 4) target = P::kMinute;
    if (digits == 6) target = P::kSecond;
    if (digits == 9) target = P::kMillisecond;
  } else {
    static constexpr int kDigits[] = {4, 6, 8, 10, 12, 14, 17};
    for (int p = 0; p < 7; ++p) {
      if (kDigits[p] == digits) target = static_cast<P>(p);
    }
  }
  if (!target) return std::nullopt;
  // An hour alone is not a FHIR time; the reference treats T08 as T08:00.
  if (t.precision == P::kHour) t.precision = P::kMinute;
  Temporal out = t;
  out.precision = *target;
  if (!time) {
    out.kind = *target >= P::kHour ? Temporal::Kind::kDateTime : Temporal::Kind::kDate;
  }
  auto known = [&](P p) { return t.precision >= p; };
  if (!known(P::kMonth)) out.month = high ? 12 : 1;
  if (!known(P::kDay)) out.day = high ? DaysInMonth(out.year, out.month) : 1;
  if (!known(P::kHour)) out.hour = high ? 23 : 0;
  if (!known(P::kMinute)) out.minute = high ? 59 : 0;
  if (!known(P::kSecond)) out.second = high ? 59 : 0;
  if (!known(P::kMillisecond)) out.millisecond = high ? 999 : 0;
  // Fields below the target precision are zero (the Temporal invariant).
  if (*target < P::kMonth) out.month = 0;
  if (*target < P::kDay) out.day = 0;
  if (*target < P::kHour) out.hour = 0;
  if (*target < P::kMinute) out.minute = 0;
  if (*target < P::kSecond) out.second = 0;
  if (*target < P::kMillisecond) out.millisecond = 0;
  if (out.kind == Temporal::Kind::kDate) {
    out.tz_offset_minutes.reset();
  } else if (out.kind == Temporal::Kind::kDateTime && !out.tz_offset_minutes) {
    out.tz_offset_minutes = high ? -12 * 60 : 14 * 60;
  }
  return out;
}

}  // namespace

std::optional<Item> Boundary(const Item& item, std::optional<int64_t> precision, bool high) {
  SystemValue v = ToSystem(item);
  if (const int64_t* i = std::get_if<int64_t>(&v)) v = Decimal::FromInt(*i);
  if (const Decimal* d = std::get_if<Decimal>(&v)) {
    std::optional<Decimal> b = DecimalBoundary(*d, precision, high);
    if (!b) return std::nullopt;
    return Item(*b);
  }
  if (const Quantity* q = std::get_if<Quantity>(&v)) {
    std::optional<Decimal> b = DecimalBoundary(q->value, precision, high);
    if (!b) return std::nullopt;
    return Item(Quantity{*b, q->unit});
  }
  if (const Temporal* t = std::get_if<Temporal>(&v)) {
    std::optional<Temporal> b = TemporalBoundary(*t, precision, high);
    if (!b) return std::nullopt;
    return Item(*b);
  }
  return std::nullopt;
}

}  // namespace rhip::fhirpath::internal
