#include "registry/resident_id.h"

#include <algorithm>
#include <cstdio>

#include "core/strings.h"
#include "security/masking.h"

namespace rhip::registry {
namespace {

using std::chrono::year_month_day;

// Longer input is refused before it is scanned: an ID with generous separators fits easily.
constexpr size_t kMaxInputBytes = 256;
constexpr int kMinBirthYear = 1900;

// ISO 7064 MOD 11-2 as GB 11643 tables it: weight_i = 2^(18-i) mod 11; remainder -> character.
constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckCharacters[12] = "10X98765432";

// One code point of utf8 at *pos, advancing *pos. A malformed or overlong sequence yields U+FFFD
// and skips one byte.
char32_t DecodeOne(std::string_view utf8, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(utf8[i]); };
  unsigned char b = byte(*pos);
  int extra;
  char32_t cp;
  if (b < 0x80) {
    ++*pos;
    return b;
  } else if ((b & 0xE0) == 0xC0) {
    extra = 1, cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    extra = 2, cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    extra = 3, cp = b & 0x07;
  } else {
    ++*pos;
    return 0xFFFD;
  }
  constexpr char32_t kMinimum[4] = {0, 0x80, 0x800, 0x10000};
  if (*pos + extra >= utf8.size()) {
    ++*pos;
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    if ((byte(*pos + k) & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(*pos + k) & 0x3F);
  }
  if (cp < kMinimum[extra] || cp > 0x10FFFF) {
    ++*pos;
    return 0xFFFD;
  }
  *pos += 1 + extra;
  return cp;
}

bool IsSeparator(char32_t c) {
  return c == ' ' || c == '\t' || c == '-' || c == 0x00A0 || c == 0x3000 || c == 0xFF0D ||
         (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

std::string DescribeCodePoint(char32_t c) {
  if (c >= 0x21 && c < 0x7F) return std::string(1, static_cast<char>(c));
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// The text as ASCII digits and 'X': full-width forms folded (the ASCII part of NFKC), x uppercased,
// separators dropped. Anything else is an error message naming the character and its position.
std::optional<std::string> Normalize(std::string_view text, std::string* error) {
  if (text.size() > kMaxInputBytes) {
    *error = StrCat("长度错误 input of ", text.size(), " bytes is far too long for an identifier");
    return std::nullopt;
  }
  std::string out;
  size_t pos = 0;
  for (int index = 1; pos < text.size(); ++index) {
    char32_t c = DecodeOne(text, &pos);
    if (c >= 0xFF10 && c <= 0xFF19) c = c - 0xFF10 + '0';
    if (c == 'x' || c == 0xFF38 || c == 0xFF58) c = 'X';
    if ((c >= '0' && c <= '9') || c == 'X') {
      out.push_back(static_cast<char>(c));
    } else if (!IsSeparator(c)) {
      *error =
          StrCat("含有无效字符 invalid character ", DescribeCodePoint(c), " at position ", index);
      return std::nullopt;
    }
  }
  return out;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ParseDigits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string FormatDate(const year_month_day& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

std::string ProvinceMessage(std::string_view code) {
  return StrCat("省级代码无效 province code ", code, " is not a GB/T 2260 province-level code");
}

void CheckBirthDate(std::string_view yyyymmdd, const year_month_day& today,
                    ResidentIdCheck* check) {
  year_month_day date{std::chrono::year(ParseDigits(yyyymmdd.substr(0, 4))),
                      std::chrono::month(ParseDigits(yyyymmdd.substr(4, 2))),
                      std::chrono::day(ParseDigits(yyyymmdd.substr(6, 2)))};
  auto add = [&](std::string message) {
    check->issues.push_back({ResidentIdProblem::kBirthDate, std::move(message)});
  };
  if (!date.ok()) {
    add(StrCat("出生日期无效 birth date ", yyyymmdd, " is not a calendar date"));
    return;
  }
  check->info->birth_date = FormatDate(date);
  if (date.year() < std::chrono::year(kMinBirthYear)) {
    add(StrCat("出生日期早于1900年 birth date ", check->info->birth_date, " is before 1900-01-01"));
  } else if (date > today) {
    add(StrCat("出生日期晚于今天 birth date ", check->info->birth_date, " is after today ",
               FormatDate(today)));
  }
}

// Shared by both number kinds: a Chinese + English message for a non-OK parse.
absl::Status Invalid(std::string_view what, std::string_view detail) {
  return MakeError(ErrorKind::kInvalid, StrCat(what, ": ", detail));
}

}  // namespace

std::chrono::year_month_day ShanghaiDate(int64_t unix_micros) {
  using namespace std::chrono;
  auto local = sys_time<microseconds>(microseconds(unix_micros)) + hours(8);
  return year_month_day(floor<days>(local));
}

char ResidentIdCheckCharacter(std::string_view first17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheckCharacters[sum % 11];
}

bool IsProvinceCode(std::string_view code) {
  if (code.size() != 2 || !AllDigits(code)) return false;
  int p = ParseDigits(code);
  return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
         (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
         p == 81 || p == 82 || p == 83;
}

ResidentIdCheck CheckResidentId(std::string_view text, std::chrono::year_month_day today) {
  ResidentIdCheck check;
  std::string error;
  std::optional<std::string> id = Normalize(text, &error);
  auto add = [&](ResidentIdProblem problem, std::string message) {
    check.issues.push_back({problem, std::move(message)});
  };
  if (!id) {
    add(ResidentIdProblem::kCharacters, std::move(error));
    return check;
  }
  bool upgraded = false;
  if (id->size() == 15) {
    if (!AllDigits(*id)) {
      add(ResidentIdProblem::kCharacters,
          "含有无效字符 a 15-digit (first-generation) ID has digits only, no X");
      return check;
    }
    // First-generation IDs carry a 2-digit year of the 1900s and no check character.
    *id = StrCat(id->substr(0, 6), "19", id->substr(6));
    id->push_back(ResidentIdCheckCharacter(*id));
    upgraded = true;
  } else if (id->size() != 18) {
    add(ResidentIdProblem::kLength,
        StrCat("长度错误 a resident ID has 18 characters (15 for first-generation IDs), got ",
               id->size()));
    return check;
  } else if (!AllDigits(id->substr(0, 17))) {
    add(ResidentIdProblem::kCharacters,
        "含有无效字符 X is only allowed as the check character (the 18th)");
    return check;
  }

  ResidentIdInfo& info = check.info.emplace();
  info.normalized = *id;
  info.sex = ((*id)[16] - '0') % 2 == 1 ? 'M' : 'F';
  info.province_code = id->substr(0, 2);
  info.area_code = id->substr(0, 6);
  info.upgraded_from_15 = upgraded;
  if (!IsProvinceCode(info.province_code)) {
    add(ResidentIdProblem::kProvince, ProvinceMessage(info.province_code));
  }
  CheckBirthDate(std::string_view(*id).substr(6, 8), today, &check);
  char expected = ResidentIdCheckCharacter(*id);
  if ((*id)[17] != expected) {
    add(ResidentIdProblem::kCheckCharacter,
        StrCat("校验码错误 check character should be ", std::string(1, expected), ", got ",
               std::string(1, (*id)[17])));
  }
  return check;
}

absl::StatusOr<ResidentIdInfo> ParseResidentId(std::string_view text,
                                               std::chrono::year_month_day today) {
  ResidentIdCheck check = CheckResidentId(text, today);
  if (check.ok()) return std::move(*check.info);
  std::string detail;
  for (const ResidentIdIssue& issue : check.issues) {
    StrAppend(&detail, detail.empty() ? "" : "; ", issue.message);
  }
  return Invalid("居民身份证号无效 invalid resident ID number", detail);
}

std::vector<std::string> ResidentIdMismatches(const ResidentIdInfo& id, std::string_view birth_date,
                                              std::string_view gender) {
  std::vector<std::string> out;
  // FHIR birthDate is YYYY, YYYY-MM or YYYY-MM-DD: compare on the precision the Patient gives.
  size_t n = std::min(birth_date.size(), size_t{10});
  if (!id.birth_date.empty() && n > 0 && birth_date.substr(0, n) != id.birth_date.substr(0, n)) {
    out.push_back(StrCat("出生日期与身份证号不符 birthDate ", birth_date, " differs from the ID's ",
                         id.birth_date));
  }
  std::string_view id_gender = id.sex == 'M' ? "male" : "female";
  if ((gender == "male" || gender == "female") && gender != id_gender) {
    out.push_back(StrCat("性别与身份证号不符 gender ", gender, " differs from the ID's ", id_gender,
                         " (17th digit ", id.sex == 'M' ? "odd" : "even", ")"));
  }
  return out;
}

absl::StatusOr<HealthRecordNumberInfo> ParseHealthRecordNumber(std::string_view text) {
  constexpr std::string_view kWhat = "健康档案编号无效 invalid health-record number";
  std::string error;
  std::optional<std::string> number = Normalize(text, &error);
  if (!number) return Invalid(kWhat, error);
  if (!AllDigits(*number)) return Invalid(kWhat, "含有无效字符 digits only, no X");
  if (number->size() != 17) {
    return Invalid(kWhat,
                   StrCat("长度错误 a health-record number has 17 digits, got ", number->size()));
  }
  if (!IsProvinceCode(number->substr(0, 2))) {
    return Invalid(kWhat, ProvinceMessage(number->substr(0, 2)));
  }
  HealthRecordNumberInfo info;
  info.serial = ParseDigits(std::string_view(*number).substr(12));
  if (info.serial == 0) {
    return Invalid(kWhat, "流水号无效 serial 00000 is never assigned (serials start at 00001)");
  }
  info.county_code = number->substr(0, 6);
  info.township_code = number->substr(6, 3);
  info.village_code = number->substr(9, 3);
  info.normalized = std::move(*number);
  return info;
}

absl::StatusOr<std::string> MakeHealthRecordNumber(std::string_view division12, int serial) {
  constexpr std::string_view kWhat = "无法生成健康档案编号 cannot make a health-record number";
  if (division12.size() != 12 || !AllDigits(division12)) {
    return Invalid(kWhat, StrCat("区划代码应为12位数字 the division code must be 12 digits, got \"",
                                 division12, "\""));
  }
  if (!IsProvinceCode(division12.substr(0, 2))) {
    return Invalid(kWhat, ProvinceMessage(division12.substr(0, 2)));
  }
  if (serial < 1 || serial > 99999) {
    return Invalid(kWhat, StrCat("流水号超出范围 serial must be 1..99999, got ", serial));
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "%05d", serial);
  return StrCat(division12, buf);
}

std::vector<Issue> CheckPatientIdentifiers(const json::Value& patient,
                                           std::chrono::year_month_day today) {
  std::vector<Issue> issues;
  if (!patient.is_object()) return issues;
  const json::Value* identifiers = patient.Find("identifier");
  if (identifiers == nullptr || !identifiers->is_array()) return issues;
  const std::string* birth_date = patient.FindString("birthDate");
  const std::string* gender = patient.FindString("gender");
  const json::Array& list = identifiers->as_array();
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) continue;
    const std::string* system = list[i].FindString("system");
    if (system == nullptr) continue;
    bool resident_id = *system == security::kResidentIdSystem;
    if (!resident_id && *system != kHealthRecordNumberSystem) continue;
    std::string path = StrCat("Patient.identifier[", i, "].value");
    auto add = [&](std::string severity, std::string code, std::string message) {
      issues.push_back({std::move(severity), std::move(code), std::move(message), path});
    };
    const std::string* value = list[i].FindString("value");
    if (value == nullptr) {
      add("error", "required",
          StrCat("标识缺少值 identifier of system ", *system, " has no value"));
      continue;
    }
    if (!resident_id) {
      auto record = ParseHealthRecordNumber(*value);
      if (!record.ok()) add("error", "value", std::string(record.status().message()));
      continue;
    }
    ResidentIdCheck check = CheckResidentId(*value, today);
    for (ResidentIdIssue& issue : check.issues) add("error", "value", std::move(issue.message));
    if (!check.info) continue;
    for (std::string& message :
         ResidentIdMismatches(*check.info, birth_date ? *birth_date : "", gender ? *gender : "")) {
      add("warning", "business-rule", std::move(message));
    }
    if (check.info->upgraded_from_15) {
      add("information", "informational",
          StrCat("一代身份证号 first-generation 15-digit ID; the 18-digit form is ",
                 check.info->normalized));
    }
  }
  return issues;
}

}  // namespace rhip::registry
