#include "registry/mpi/normalize.h"

#include <cctype>
#include <chrono>
#include <string>

#include "registry/resident_id.h"
#include "terminology/chinese_text.h"

namespace rhip::registry::mpi {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decodes FoldForSearch output, which is always well-formed UTF-8 (it writes U+FFFD for bad input).
// Returns false when the text has more than kMaxNameCodePoints code points.
bool DecodeName(std::string_view s, PersonRecord* record) {
  size_t count = 0;
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const size_t len = b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    if (count == kMaxNameCodePoints || i + len > s.size()) return false;
    char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    record->full_chars[count++] = cp;
    i += len;
  }
  record->full_char_count = static_cast<uint8_t>(count);
  return true;
}

// First key of a name part; the folded text itself when it has no Han.
std::string FirstPinyin(const std::string& folded, bool surname) {
  if (!terminology::ContainsHan(folded)) return folded;
  auto keys = terminology::PinyinKeys(folded, surname);
  return keys.empty() ? folded : std::move(keys.front().full);
}

void NormalizeName(std::string_view family, std::string_view given, PersonRecord* record) {
  record->family = terminology::FoldForSearch(family);
  record->given = terminology::FoldForSearch(given);
  record->full = record->family + record->given;
  if (record->full.empty()) return;
  if (!DecodeName(record->full, record)) record->full_char_count = 0;
  if (terminology::ContainsHan(record->full)) {
    for (auto& key : terminology::PinyinKeys(record->full, /*surname_first=*/true)) {
      if (record->pinyin.empty()) record->initials = std::move(key.initials);
      record->pinyin.push_back(std::move(key.full));
    }
  }
  if (record->pinyin.empty()) {
    record->pinyin.push_back(record->full);
    if (!record->family.empty()) record->initials.push_back(record->family[0]);
    if (!record->given.empty()) record->initials.push_back(record->given[0]);
  }
  record->family_pinyin = FirstPinyin(record->family, /*surname=*/true);
  record->given_pinyin = FirstPinyin(record->given, /*surname=*/false);
}

}  // namespace

std::string NormalizeResidentId(std::string_view text) {
  // The normalized number does not depend on "today" (only the birth-date check does), so any
  // date will do here; Normalize stays a pure function of its input.
  constexpr std::chrono::year_month_day kAnyDay{std::chrono::year(2000), std::chrono::month(1),
                                                std::chrono::day(1)};
  ResidentIdCheck check = CheckResidentId(text, kAnyDay);
  if (check.info) return std::move(check.info->normalized);
  std::string out;
  for (char c : text) {
    if (IsDigit(c)) {
      out.push_back(c);
    } else if (c == 'x' || c == 'X') {
      out.push_back('X');
    }
  }
  return out;
}

int32_t NormalizeBirthDate(std::string_view text) {
  int32_t value = 0;
  int digits = 0;
  for (char c : text) {
    if (IsDigit(c)) {
      if (++digits > 8) return 0;
      value = value * 10 + (c - '0');
    } else if (c != '-' && c != '/' && c != '.') {
      break;  // FHIR dateTime: stop at the time part
    }
  }
  if (digits != 8) return 0;
  const int month = value / 100 % 100;
  const int day = value % 100;
  if (month < 1 || month > 12 || day < 1 || day > 31) return 0;
  return value;
}

Sex NormalizeSex(std::string_view text) {
  if (text == "male" || text == "M" || text == "m" || text == "1" || text == "男")
    return Sex::kMale;
  if (text == "female" || text == "F" || text == "f" || text == "2" || text == "女") {
    return Sex::kFemale;
  }
  return Sex::kUnknown;
}

std::string NormalizePhone(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (IsDigit(c)) digits.push_back(c);
  }
  if (digits.starts_with("0086")) {
    digits.erase(0, 4);
  } else if (text.find('+') != std::string_view::npos && digits.starts_with("86")) {
    digits.erase(0, 2);
  }
  // A mobile number is 1 + 10 digits; keep the last 11 so that stray prefixes do not matter.
  if (digits.size() >= 11 && digits[digits.size() - 11] == '1' && digits.size() <= 13) {
    digits.erase(0, digits.size() - 11);
  }
  return digits;
}

std::string NormalizeDivisionCode(std::string_view text) {
  std::string code;
  for (char c : text) {
    if (!IsDigit(c)) return "";
    code.push_back(c);
  }
  if (code.size() != 6 && code.size() != 9 && code.size() != 12) return "";
  if (code.size() == 12 && code.ends_with("000")) code.resize(9);
  if (code.size() == 9 && code.ends_with("000")) code.resize(6);
  if (code == "000000") return "";
  return code;
}

PersonRecord Normalize(const PersonFields& fields) {
  PersonRecord record;
  NormalizeName(fields.family, fields.given, &record);
  record.resident_id = NormalizeResidentId(fields.resident_id);
  record.birth_date = NormalizeBirthDate(fields.birth_date);
  record.sex = NormalizeSex(fields.sex);
  record.phone = NormalizePhone(fields.phone);
  record.division_code = NormalizeDivisionCode(fields.division_code);
  record.address = terminology::FoldForSearch(fields.address);
  return record;
}

}  // namespace rhip::registry::mpi
