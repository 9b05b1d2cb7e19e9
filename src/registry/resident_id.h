// Resident ID numbers (居民身份证号, GB 11643-1999) and health-record numbers (居民健康档案编号,
// national basic public-health service spec): parsing, checking and the consistency of a Patient's
// identifiers with its birthDate and gender. Rules and examples: docs/IDENTIFIERS.md.
//
// Two ways in, one set of rules: ParseResidentId refuses what fails any check (registration at a
// rhip desk); CheckResidentId keeps what it can and lists every problem (data from other systems is
// kept and flagged, never dropped). All functions are pure and thread-safe; "today" is injected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/error.h"
#include "core/json.h"

namespace rhip::registry {

// FHIR identifier system of the health-record number (docs/IDENTIFIERS.md). The resident ID's
// system is security::kResidentIdSystem (urn:oid:2.16.156.10011.1.3).
inline constexpr std::string_view kHealthRecordNumberSystem =
    "https://rhip.cn/fhir/sid/health-record-number";

// Business dates are Asia/Shanghai dates (UTC+8, no daylight saving). Today's for a clock's
// instant.
std::chrono::year_month_day ShanghaiDate(int64_t unix_micros);

struct ResidentIdInfo {
  std::string normalized;     // 18 ASCII characters, check character 0-9 or uppercase X
  std::string birth_date;     // YYYY-MM-DD; empty when the birth-date field is not a calendar date
  char sex = 0;               // 'M' (17th digit odd) or 'F' (even)
  std::string province_code;  // first 2 digits
  std::string area_code;  // first 6 digits: GB/T 2260 county at issue time (may be retired since)
  bool upgraded_from_15 = false;  // given as a first-generation 15-digit number
};

// Which rule a resident ID breaks. Several can hold at once.
enum class ResidentIdProblem {
  kCharacters,      // not digits (after normalisation), or X anywhere but the check position
  kLength,          // neither 18 nor 15 characters
  kProvince,        // first two digits are no GB/T 2260 province-level code
  kBirthDate,       // not a calendar date, before 1900-01-01 or after today
  kCheckCharacter,  // MOD 11-2 check character differs
};

struct ResidentIdIssue {
  ResidentIdProblem problem;
  std::string message;  // Chinese, then English: "校验码错误 check character should be 7, got 5"
};

struct ResidentIdCheck {
  // Set whenever the text has the shape of an ID (17 digits + digit/X, or 15 digits), even when
  // other rules fail, so that a flagged record still shows its normalised number.
  std::optional<ResidentIdInfo> info;
  std::vector<ResidentIdIssue> issues;
  bool ok() const { return info.has_value() && issues.empty(); }
};

// Lenient: every problem of the text, as a resident ID number. Accepts full-width digits and X,
// lowercase x, and spaces/hyphens (ASCII, full-width, ideographic space, dashes) anywhere.
ResidentIdCheck CheckResidentId(std::string_view text, std::chrono::year_month_day today);

// Strict: the parsed ID, or kInvalid whose message names every failed check.
absl::StatusOr<ResidentIdInfo> ParseResidentId(std::string_view text,
                                               std::chrono::year_month_day today);

// The MOD 11-2 check character ('0'-'9' or 'X') of the first 17 characters.
// REQUIRES: first17 holds 17 ASCII digits.
char ResidentIdCheckCharacter(std::string_view first17);

// True for the province-level codes of GB/T 2260 (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71,
// 81, 82) and 83 (Taiwan residents' residence permits).
bool IsProvinceCode(std::string_view two_digits);

// Mismatches between an ID and a Patient's birthDate (FHIR date: YYYY, YYYY-MM or YYYY-MM-DD;
// compared on the precision given) and gender (male/female; other/unknown/empty never mismatch).
// Each message is Chinese then English. Empty when consistent.
std::vector<std::string> ResidentIdMismatches(const ResidentIdInfo& id, std::string_view birth_date,
                                              std::string_view gender);

// Health-record number: 17 digits = 6 county (GB/T 2260) + 3 township/street + 3 village/residents'
// committee + 5 serial assigned by the creating institution in order of creation.
struct HealthRecordNumberInfo {
  std::string normalized;     // 17 ASCII digits
  std::string county_code;    // 6
  std::string township_code;  // 3
  std::string village_code;   // 3
  int serial = 0;             // 1..99999
};

// Same normalisation as resident IDs; kInvalid (Chinese + English) on a wrong length, a non-digit,
// a province that does not exist or serial 00000.
absl::StatusOr<HealthRecordNumberInfo> ParseHealthRecordNumber(std::string_view text);

// division12: county (6) + township (3) + village (3) digits; serial 1..99999.
absl::StatusOr<std::string> MakeHealthRecordNumber(std::string_view division12, int serial);

// Checks of a Patient resource's identifiers: each resident ID (security::kResidentIdSystem) by
// CheckResidentId plus its consistency with birthDate and gender, each health-record number by
// ParseHealthRecordNumber. Issues carry the element path (Patient.identifier[2].value):
//   error   / value          the number breaks a rule (registration refuses these)
//   warning / business-rule  the ID disagrees with birthDate or gender
//   information / informational  a 15-digit ID, with its 18-digit form
// Not wired into any write path: callers decide whether errors refuse or flag (README.md).
std::vector<Issue> CheckPatientIdentifiers(const json::Value& patient,
                                           std::chrono::year_month_day today);

}  // namespace rhip::registry
