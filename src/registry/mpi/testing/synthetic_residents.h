// Synthetic Chinese residents with labelled duplicates, for the MPI's quality benchmark and tests
// (and later the demo-region generator). Households in the villages of one county, names drawn by
// published surname shares and by the birth decade's given-name fashion, valid GB 11643 ID numbers,
// mobile phones and NBS 12-digit village codes; then duplicate records carrying the errors seen when
// the same resident is registered twice (homophones typed with pinyin input, traditional forms, ID
// typos, a child's name changed after registration, ...). Deterministic for a seed on every
// platform (no std:: distributions).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "registry/mpi/normalize.h"

namespace rhip::registry::mpi::testing {

struct SyntheticOptions {
  size_t people = 10000;          // distinct residents (records before duplicates)
  double duplicate_share = 0.10;  // duplicate records, as a share of people
  uint64_t seed = 1;
  // GB/T 2260 counties the villages belong to (河北 邯郸: 大名县, 武安市, 广平县): a city-level
  // MPI holds several, and people move between them.
  std::vector<std::string> counties = {"130425", "130481", "130432"};
  int reference_year = 2026;      // "today": nobody is born later
};

// Error kinds a duplicate can carry (SyntheticRecord::errors lists their names).
enum class DuplicateError : uint8_t {
  kHomophoneGiven,     // a given-name character replaced by one of the same pinyin (伟/玮)
  kHomophoneFamily,    // the surname replaced by one of the same pinyin (张/章, 徐/许)
  kOtherCharacter,     // a given-name character replaced by an unrelated one
  kTraditional,        // typed in traditional characters (陳偉)
  kIdDigit,            // one ID digit wrong
  kIdTransposition,    // two adjacent ID digits exchanged
  kIdMissing,
  kBirthDayMonthSwapped,
  kBirthDigit,         // one birth-date digit wrong (still a valid date)
  kPhoneChanged,       // a new mobile number
  kPhoneMissing,
  kAddressCoarser,     // township or county code instead of the village
  kMovedVillage,       // another village (of any of the counties)
  kChildRenamed,       // a child registered under a milk name, renamed later (surname kept)
  kNameOrderSwapped,   // given name entered as family and the other way round
  kSexMissing,
};
const char* DuplicateErrorName(DuplicateError error);

struct SyntheticRecord {
  uint32_t person = 0;  // ground truth: records of one resident share it
  bool duplicate = false;
  std::string family, given;
  std::string resident_id;    // 18 characters; empty when missing
  std::string birth_date;     // YYYY-MM-DD
  std::string sex;            // male / female / empty
  std::string phone;          // 11-digit mobile; empty when missing
  std::string division_code;  // 12 digits (village), or 9 / 6 for a coarser address
  std::string address;        // 镇 / 村 / 组 text
  std::vector<DuplicateError> errors;  // what a duplicate changed

  // Views into this record: it must outlive the result.
  PersonFields Fields() const;
};

// people residents in households plus their duplicates, in random order.
std::vector<SyntheticRecord> GenerateResidents(const SyntheticOptions& options);

}  // namespace rhip::registry::mpi::testing
