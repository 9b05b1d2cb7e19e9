// Health workers' licence numbers as Practitioner identifiers (docs/IDENTIFIERS.md,
// "Practitioner licences"). The numbering rules are set by NHC documents rhip could not read
// first-hand; the secondary sources disagree on some of them, so the checks here only warn and
// never refuse a Practitioner (DESIGN.md: bad data is not a failed program).
#pragma once

#include <chrono>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace rhip::registry {

// 医师资格证书编码 (physician qualification certificate code).
inline constexpr char kPhysicianQualificationSystem[] =
    "https://rhip.cn/fhir/sid/physician-qualification-certificate";
// 医师执业证书编码 (physician practising certificate code).
inline constexpr char kPhysicianPractisingSystem[] =
    "https://rhip.cn/fhir/sid/physician-practising-certificate";
// 护士执业证书编号 (nurse practising certificate number).
inline constexpr char kNursePractisingSystem[] =
    "https://rhip.cn/fhir/sid/nurse-practising-certificate";
// 乡村医生执业证书编号 (village doctor practising certificate number, issued by counties).
inline constexpr char kVillageDoctorSystem[] =
    "https://rhip.cn/fhir/sid/village-doctor-certificate";

// Warnings (code "value") for licence identifiers in Practitioner.identifier and
// Practitioner.qualification.identifier that do not look as documented:
//   every system: only ASCII letters and digits;
//   qualification code: 24 or 27 characters — year (1999 or later, not after today), province,
//     level, category, then the holder's resident ID (15 or 18 characters, MOD 11-2 checked);
//   practising code: 15 digits.
// Nurse and village-doctor numbers have no checked shape. Empty for a Practitioner without
// licence identifiers. Not wired into a write path yet (README.md).
std::vector<Issue> CheckPractitionerIdentifiers(const json::Value& practitioner,
                                                std::chrono::year_month_day today);

}  // namespace rhip::registry
