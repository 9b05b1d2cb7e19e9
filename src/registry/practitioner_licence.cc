#include "registry/practitioner_licence.h"

#include <string>
#include <string_view>

#include "core/strings.h"
#include "registry/resident_id.h"

namespace rhip::registry {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The problem with a licence number of this system, or "" when it looks right.
std::string LicenceProblem(std::string_view system, std::string_view v,
                           std::chrono::year_month_day today) {
  if (v.empty() ||
      v.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
          std::string_view::npos) {
    return "编号只应含字母和数字 a licence number holds only ASCII letters and digits";
  }
  if (system == kPhysicianQualificationSystem) {
    if ((v.size() != 24 && v.size() != 27) || !AllDigits(v.substr(0, 9))) {
      return StrCat(
          "医师资格证书编码应为24或27位 a physician qualification code has 24 or 27 "
          "characters (year, province, level, category, resident ID), got ",
          v.size());
    }
    int year = std::stoi(std::string(v.substr(0, 4)));
    if (year < 1999 || year > static_cast<int>(today.year())) {
      return StrCat(
          "医师资格证书编码年份无效 the year of a physician qualification code is 1999 "
          "(the first national examination) or later, got ",
          year);
    }
    ResidentIdCheck id = CheckResidentId(v.substr(9), today);
    if (!id.issues.empty()) {
      return StrCat("医师资格证书编码所含身份证号有误 the resident ID in the code: ",
                    id.issues[0].message);
    }
    return "";
  }
  if (system == kPhysicianPractisingSystem && (v.size() != 15 || !AllDigits(v))) {
    return StrCat("医师执业证书编码应为15位数字 a physician practising code has 15 digits, got ",
                  v.size(), " characters");
  }
  return "";
}

bool IsLicenceSystem(std::string_view system) {
  return system == kPhysicianQualificationSystem || system == kPhysicianPractisingSystem ||
         system == kNursePractisingSystem || system == kVillageDoctorSystem;
}

void CheckIdentifiers(const json::Value* identifiers, const std::string& path,
                      std::chrono::year_month_day today, std::vector<Issue>* issues) {
  if (identifiers == nullptr || !identifiers->is_array()) return;
  const json::Array& list = identifiers->as_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string* system = list[i].FindString("system");
    const std::string* value = list[i].FindString("value");
    if (system == nullptr || value == nullptr || !IsLicenceSystem(*system)) continue;
    std::string problem = LicenceProblem(*system, *value, today);
    if (problem.empty()) continue;
    issues->push_back({.severity = "warning",
                       .code = "value",
                       .diagnostics = std::move(problem),
                       .expression = StrCat(path, "[", i, "].value")});
  }
}

}  // namespace

std::vector<Issue> CheckPractitionerIdentifiers(const json::Value& practitioner,
                                                std::chrono::year_month_day today) {
  std::vector<Issue> issues;
  CheckIdentifiers(practitioner.Find("identifier"), "Practitioner.identifier", today, &issues);
  if (const json::Value* qualifications = practitioner.Find("qualification");
      qualifications != nullptr && qualifications->is_array()) {
    const json::Array& list = qualifications->as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      CheckIdentifiers(list[i].Find("identifier"),
                       StrCat("Practitioner.qualification[", i, "].identifier"), today, &issues);
    }
  }
  return issues;
}

}  // namespace rhip::registry
