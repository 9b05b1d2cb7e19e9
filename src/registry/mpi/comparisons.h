// Per-field comparison levels of two PersonRecords. Each function is pure, allocation-free and
// thread-safe; level 0 is always "null" (a side lacks the field), which adds no evidence. The
// first level whose condition holds wins, in declaration order. docs/MPI.md lists the levels.
//
// Trained models are keyed by these numbers: append new levels before kElse only together with a
// model-format change, never renumber.
#pragma once

#include <array>
#include <cstdint>

#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

enum class NameLevel : uint8_t {
  kNull,
  kExact,       // same folded name (traditional → simplified, spaces and dots removed)
  kSamePinyin,  // a toneless pinyin key in common: homophone typed by pinyin input (张伟/章伟)
  kSwapped,     // family and given exchanged (王伟/伟王, "Wei Zhang")
  kOneCharacter,  // same length, one character different (张伟/张强)
  kPinyinJw92,    // Jaro–Winkler of the first pinyin keys ≥ 0.92
  kPinyinJw80,    // ≥ 0.80
  kElse,
};

enum class IdLevel : uint8_t {
  kNull,
  kExact,
  kOneDigit,       // same length, one character different
  kTransposition,  // same length, two adjacent characters exchanged
  kElse,
};

enum class BirthDateLevel : uint8_t {
  kNull,
  kExact,
  kOneDigit,         // one digit of yyyymmdd different
  kDayMonthSwapped,  // same year, day and month exchanged (0307 / 0703)
  kSameYearMonth,
  kElse,
};

enum class SexLevel : uint8_t { kNull, kEqual, kDifferent };

enum class PhoneLevel : uint8_t {
  kNull,
  kExact,
  kLast8,  // last 8 digits equal (local number; area or mobile prefix differs)
  kElse,
};

enum class AddressLevel : uint8_t {
  kNull,
  kSameVillage,   // same 12-digit village-level code
  kSameTownship,  // same first 9 digits
  kSameCounty,    // same first 6 digits
  kElse,
};

NameLevel CompareName(const PersonRecord& a, const PersonRecord& b);
IdLevel CompareResidentId(const PersonRecord& a, const PersonRecord& b);
BirthDateLevel CompareBirthDate(const PersonRecord& a, const PersonRecord& b);
SexLevel CompareSex(const PersonRecord& a, const PersonRecord& b);
PhoneLevel ComparePhone(const PersonRecord& a, const PersonRecord& b);
AddressLevel CompareAddress(const PersonRecord& a, const PersonRecord& b);

// The comparisons of the model, in this order. Stored with trained models: do not renumber.
enum class Comparison : uint8_t { kName, kResidentId, kBirthDate, kSex, kPhone, kAddress };
inline constexpr size_t kComparisonCount = 6;
// Levels per comparison, null included, in Comparison order.
inline constexpr std::array<uint8_t, kComparisonCount> kLevelCounts = {
    static_cast<uint8_t>(NameLevel::kElse) + 1,      static_cast<uint8_t>(IdLevel::kElse) + 1,
    static_cast<uint8_t>(BirthDateLevel::kElse) + 1, static_cast<uint8_t>(SexLevel::kDifferent) + 1,
    static_cast<uint8_t>(PhoneLevel::kElse) + 1,     static_cast<uint8_t>(AddressLevel::kElse) + 1};
inline constexpr size_t kMaxLevels = 8;

// The level of every comparison for one pair (an agreement pattern, γ).
struct AgreementPattern {
  std::array<uint8_t, kComparisonCount> levels{};
  bool operator==(const AgreementPattern&) const = default;
  // 4 bits per comparison: a compact key for aggregating patterns.
  uint32_t Pack() const;
  static AgreementPattern Unpack(uint32_t packed);
};

AgreementPattern Compare(const PersonRecord& a, const PersonRecord& b);

}  // namespace rhip::registry::mpi
