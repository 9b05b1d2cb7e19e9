// What the master patient index reads from a FHIR Patient (docs/MPI.md, "From a Patient").
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"
#include "registry/mpi/normalize.h"

namespace rhip::registry {

// Extension on Patient.address holding its GB/T 2260 + NBS division code (6, 9 or 12 digits).
inline constexpr std::string_view kDivisionCodeExtension =
    "https://rhip.cn/fhir/StructureDefinition/division-code";

// Owned copies of the fields; empty when the Patient lacks them.
struct PatientFields {
  std::string family;
  std::string given;
  std::string resident_id;
  std::string birth_date;
  std::string sex;
  std::string phone;
  std::string division_code;
  std::string address;
  std::string managing_organization;  // "Organization/ID"

  mpi::PersonFields View() const {
    return {.family = family, .given = given, .resident_id = resident_id,
            .birth_date = birth_date, .sex = sex, .phone = phone,
            .division_code = division_code, .address = address};
  }
};

// Name: the official name, else the first (family, and given joined; text alone goes to family);
// the resident ID (system urn:oid:2.16.156.10011.1.3); birthDate; gender; the first phone
// (a mobile first); the home address (else the first): its division-code extension and its
// text, or its lines, district, city and state joined.
PatientFields ExtractPatientFields(const json::Value& patient);

}  // namespace rhip::registry
