#include "registry/mpi/comparisons.h"

#include <algorithm>
#include <string_view>

#include "registry/mpi/jaro_winkler.h"

namespace rhip::registry::mpi {
namespace {

// Positions where two equal-length strings differ: 0, 1, 2 or 3 (meaning "more").
struct Diff {
  int count = 0;
  size_t first = 0;
};
Diff Differences(std::string_view a, std::string_view b) {
  Diff d;
  for (size_t i = 0; i < a.size() && d.count < 3; ++i) {
    if (a[i] != b[i]) {
      if (d.count == 0) d.first = i;
      ++d.count;
    }
  }
  return d;
}

bool AnyKeyInCommon(const PersonRecord& a, const PersonRecord& b) {
  for (const auto& x : a.pinyin) {
    for (const auto& y : b.pinyin) {
      if (x == y) return true;
    }
  }
  return false;
}

bool Swapped(const PersonRecord& a, const PersonRecord& b) {
  if (a.family.empty() || a.given.empty() || b.family.empty() || b.given.empty()) return false;
  if (a.family == b.given && a.given == b.family) return true;
  return a.family_pinyin == b.given_pinyin && a.given_pinyin == b.family_pinyin;
}

bool OneCharacterDifferent(const PersonRecord& a, const PersonRecord& b) {
  const size_t n = a.full_char_count;
  if (n < 2 || n != b.full_char_count) return false;
  int different = 0;
  for (size_t i = 0; i < n; ++i) different += a.full_chars[i] != b.full_chars[i];
  return different == 1;
}

}  // namespace

NameLevel CompareName(const PersonRecord& a, const PersonRecord& b) {
  if (a.full.empty() || b.full.empty()) return NameLevel::kNull;
  if (a.full == b.full) return NameLevel::kExact;
  if (AnyKeyInCommon(a, b)) return NameLevel::kSamePinyin;
  if (Swapped(a, b)) return NameLevel::kSwapped;
  if (OneCharacterDifferent(a, b)) return NameLevel::kOneCharacter;
  const double jw = JaroWinkler(a.pinyin.front(), b.pinyin.front());
  if (jw >= 0.92) return NameLevel::kPinyinJw92;
  if (jw >= 0.80) return NameLevel::kPinyinJw80;
  return NameLevel::kElse;
}

IdLevel CompareResidentId(const PersonRecord& a, const PersonRecord& b) {
  const std::string_view x = a.resident_id, y = b.resident_id;
  if (x.empty() || y.empty()) return IdLevel::kNull;
  if (x.size() != y.size()) return IdLevel::kElse;
  const Diff d = Differences(x, y);
  if (d.count == 0) return IdLevel::kExact;
  if (d.count == 1) return IdLevel::kOneDigit;
  if (d.count == 2 && d.first + 1 < x.size() && x[d.first] == y[d.first + 1] &&
      x[d.first + 1] == y[d.first]) {
    return IdLevel::kTransposition;
  }
  return IdLevel::kElse;
}

BirthDateLevel CompareBirthDate(const PersonRecord& a, const PersonRecord& b) {
  const int32_t x = a.birth_date, y = b.birth_date;
  if (x == 0 || y == 0) return BirthDateLevel::kNull;
  if (x == y) return BirthDateLevel::kExact;
  int different = 0;
  for (int32_t p = x, q = y; p != 0 || q != 0; p /= 10, q /= 10) different += p % 10 != q % 10;
  if (different == 1) return BirthDateLevel::kOneDigit;
  const int32_t year_x = x / 10000, month_x = x / 100 % 100, day_x = x % 100;
  const int32_t year_y = y / 10000, month_y = y / 100 % 100, day_y = y % 100;
  if (year_x == year_y && month_x == day_y && day_x == month_y) {
    return BirthDateLevel::kDayMonthSwapped;
  }
  if (year_x == year_y && month_x == month_y) return BirthDateLevel::kSameYearMonth;
  return BirthDateLevel::kElse;
}

SexLevel CompareSex(const PersonRecord& a, const PersonRecord& b) {
  if (a.sex == Sex::kUnknown || b.sex == Sex::kUnknown) return SexLevel::kNull;
  return a.sex == b.sex ? SexLevel::kEqual : SexLevel::kDifferent;
}

PhoneLevel ComparePhone(const PersonRecord& a, const PersonRecord& b) {
  const std::string_view x = a.phone, y = b.phone;
  if (x.empty() || y.empty()) return PhoneLevel::kNull;
  if (x == y) return PhoneLevel::kExact;
  if (x.size() >= 8 && y.size() >= 8 && x.substr(x.size() - 8) == y.substr(y.size() - 8)) {
    return PhoneLevel::kLast8;
  }
  return PhoneLevel::kElse;
}

AddressLevel CompareAddress(const PersonRecord& a, const PersonRecord& b) {
  const std::string_view x = a.division_code, y = b.division_code;
  if (x.empty() || y.empty()) return AddressLevel::kNull;
  // Compared at the finer precision both sides have.
  const size_t common = std::min(x.size(), y.size());
  if (common >= 12 && x.substr(0, 12) == y.substr(0, 12)) return AddressLevel::kSameVillage;
  if (common >= 9 && x.substr(0, 9) == y.substr(0, 9)) return AddressLevel::kSameTownship;
  if (x.substr(0, 6) == y.substr(0, 6)) return AddressLevel::kSameCounty;
  return AddressLevel::kElse;
}

uint32_t AgreementPattern::Pack() const {
  uint32_t packed = 0;
  for (size_t k = 0; k < kComparisonCount; ++k) packed |= uint32_t{levels[k]} << (4 * k);
  return packed;
}

AgreementPattern AgreementPattern::Unpack(uint32_t packed) {
  AgreementPattern p;
  for (size_t k = 0; k < kComparisonCount; ++k) p.levels[k] = (packed >> (4 * k)) & 0xF;
  return p;
}

AgreementPattern Compare(const PersonRecord& a, const PersonRecord& b) {
  AgreementPattern p;
  p.levels[0] = static_cast<uint8_t>(CompareName(a, b));
  p.levels[1] = static_cast<uint8_t>(CompareResidentId(a, b));
  p.levels[2] = static_cast<uint8_t>(CompareBirthDate(a, b));
  p.levels[3] = static_cast<uint8_t>(CompareSex(a, b));
  p.levels[4] = static_cast<uint8_t>(ComparePhone(a, b));
  p.levels[5] = static_cast<uint8_t>(CompareAddress(a, b));
  return p;
}

}  // namespace rhip::registry::mpi
