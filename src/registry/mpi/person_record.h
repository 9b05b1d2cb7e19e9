// The normalized form of a person that the matching engine compares. Built once per record by
// Normalize (normalize.h), so that comparing and scoring a pair reads only and never allocates.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rhip::registry::mpi {

enum class Sex : uint8_t { kUnknown, kMale, kFemale };

// Names longer than this (in code points) skip the one-character-different level.
inline constexpr size_t kMaxNameCodePoints = 12;

// Field order: what every pair's comparison reads comes first, so that scoring random pairs
// touches few cache lines (mpi_benchmark); the rest is read only on some paths.
struct PersonRecord {
  // The name, folded by terminology::FoldForSearch (traditional → simplified, no spaces or middle
  // dots, ASCII lower case): full = family + given.
  std::string full;
  // Toneless pinyin of full, the family name read with surname readings (曾 zeng, 欧阳 ouyang):
  // terminology::PinyinKeys(full, surname_first = true), most common reading first, at most 4.
  // A name without Han has one key, its folded text ("smithjohn"). Never empty when full is not.
  std::vector<std::string> pinyin;
  // Resident ID: 18 characters (a 15-digit number upgraded, check character computed) when it has
  // an ID's shape, else its digits and X as given (upper case); empty when absent.
  std::string resident_id;
  // Digits only: country code (+86, 0086) dropped, a mobile number (1 followed by 10 digits) kept
  // as its last 11 digits; empty when absent.
  std::string phone;
  // GB/T 2260 + NBS division code of the address: 6 (county), 9 (township) or 12 (village) digits,
  // trailing all-zero levels removed (110105000000 → 110105); empty when unknown.
  std::string division_code;
  int32_t birth_date = 0;  // yyyymmdd; 0 when absent or not a full date
  Sex sex = Sex::kUnknown;
  uint8_t full_char_count = 0;
  // Code points of full when it has at most kMaxNameCodePoints of them; otherwise count is 0.
  std::array<char32_t, kMaxNameCodePoints> full_chars{};

  std::string family;
  std::string given;
  // First pinyin key of each part alone, for the swapped level ("zhang" / "wei").
  std::string family_pinyin;
  std::string given_pinyin;
  std::string initials;  // initials of pinyin[0] ("zsf"); for a name without Han, its first letters
  std::string address;   // folded address text, kept for later levels (not compared yet)
};

}  // namespace rhip::registry::mpi
