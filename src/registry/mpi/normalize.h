// Builds the PersonRecord a matcher compares from the fields of a Patient (or an HL7 PID, an
// import row). Never fails: what cannot be read becomes "absent", which compares as null.
#pragma once

#include <string_view>

#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

struct PersonFields {
  std::string_view family;       // 姓, e.g. "欧阳"; may hold the whole name when given is empty
  std::string_view given;        // 名
  std::string_view resident_id;  // 18 or 15 characters; full-width, spaces and hyphens allowed
  std::string_view birth_date;   // FHIR date "1990-03-07" or "19900307"; partial dates are absent
  std::string_view sex;          // FHIR gender (male/female), GB/T 2261.1 code (1/2), M/F, 男/女
  std::string_view phone;        // any punctuation; +86 / 0086 allowed
  std::string_view division_code;  // 6, 9 or 12 digits (NBS codes zero-padded to 12 are fine)
  std::string_view address;        // free text
};

// Thread-safe. Allocates (pinyin keys, folded strings); meant to run once per record.
PersonRecord Normalize(const PersonFields& fields);

// The parts of Normalize, exposed for tests and for callers that hold one field.
std::string NormalizeResidentId(std::string_view text);
int32_t NormalizeBirthDate(std::string_view text);
Sex NormalizeSex(std::string_view text);
std::string NormalizePhone(std::string_view text);
std::string NormalizeDivisionCode(std::string_view text);

}  // namespace rhip::registry::mpi
