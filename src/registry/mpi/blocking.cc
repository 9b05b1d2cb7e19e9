#include "registry/mpi/blocking.h"

#include <algorithm>
#include <string>

#include "core/strings.h"

namespace rhip::registry::mpi {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

std::string Digits(int32_t value, int width) {
  std::string out(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0 && value > 0; --i, value /= 10) {
    out[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  }
  return out;
}

char SexCode(Sex sex) { return sex == Sex::kMale ? 'm' : sex == Sex::kFemale ? 'f' : 'u'; }

}  // namespace

int64_t BlockingKeyHash(BlockingRule rule, std::string_view text) {
  uint64_t h = kFnvOffset;
  h = (h ^ static_cast<uint8_t>(rule)) * kFnvPrime;
  for (char c : text) h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
  return static_cast<int64_t>(h >> 1);
}

std::vector<int64_t> BlockingKeys(const PersonRecord& r) {
  std::vector<int64_t> keys;
  auto add = [&](BlockingRule rule, std::string_view text) {
    keys.push_back(BlockingKeyHash(rule, text));
  };
  // Short fragments are not identifying (a 3-digit "ID", a 5-digit phone): they would make huge
  // blocks of unrelated people.
  if (r.resident_id.size() >= 7) add(BlockingRule::kResidentId, r.resident_id);
  if (r.phone.size() >= 7) add(BlockingRule::kPhone, r.phone);
  if (r.birth_date != 0) {
    const std::string date = Digits(r.birth_date, 8);
    const std::string year = date.substr(0, 4);
    for (const std::string& key : r.pinyin) add(BlockingRule::kNameBirthDate, StrCat(key, "|", date));
    if (!r.pinyin.empty()) add(BlockingRule::kNameBirthYear, StrCat(r.pinyin.front(), "|", year));
    if (r.division_code.size() >= 6) {
      add(BlockingRule::kBirthDateSexCounty,
          StrCat(date, "|", std::string(1, SexCode(r.sex)), "|", r.division_code.substr(0, 6)));
    }
    if (!r.family_pinyin.empty()) {
      add(BlockingRule::kFamilyBirthDate, StrCat(r.family_pinyin, "|", date));
    }
    if (r.initials.size() >= 2) add(BlockingRule::kInitialsBirthYear, StrCat(r.initials, "|", year));
    if (!r.given_pinyin.empty()) add(BlockingRule::kGivenBirthDate, StrCat(r.given_pinyin, "|", date));
  }
  if (!r.pinyin.empty() && !r.division_code.empty()) {
    add(BlockingRule::kNameDivision, StrCat(r.pinyin.front(), "|", r.division_code));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace rhip::registry::mpi
