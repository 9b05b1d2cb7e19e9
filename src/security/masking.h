// Server-side masking of personal identifiers in FHIR resources (DESIGN.md "Security": ID and
// phone numbers are masked unless the role needs them, i.e. holds `$unmask`). The rules and
// examples are tabled in docs/SECURITY.md "Masking"; each rule is one function below.
// Masking is one-way and works on the JSON DOM in place; names are left as they are.
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/json.h"

namespace rhip::security {

// The resident ID number's identifier system (DESIGN.md fixed point, docs/IDENTIFIERS.md).
inline constexpr std::string_view kResidentIdSystem = "urn:oid:2.16.156.10011.1.3";
// Address extension carrying the GB/T 2260 / NBS administrative-division code; masking keeps it.
inline constexpr std::string_view kAdministrativeDivisionExtension =
    "https://rhip.cn/fhir/StructureDefinition/administrative-division";
// The meta.security label a masked resource carries, so clients know values are not real.
inline constexpr std::string_view kMaskedLabelSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
inline constexpr std::string_view kMaskedLabelCode = "MASKED";

// --- string rules (code points, not bytes; each hidden character becomes one '*')
// 18- and 15-character resident ID numbers keep the first 4 and last 4:
// 110101199003071234 -> 1101**********1234. Other lengths fall back to MaskIdentifierValue.
std::string MaskResidentIdNumber(std::string_view value);
// Keeps the last 4 when at least 4 others stay hidden (8+ characters); shorter values are
// masked completely: MRN12345678 -> *******5678, 1234567 -> *******.
std::string MaskIdentifierValue(std::string_view value);
// Masks digits in place (other characters stay): the first 3 and last 4 digits stay when at
// least 4 are hidden, else only the last 4 when 4 are hidden, else all:
// 13812345678 -> 138****5678, 010-1234-5678 -> 010-****-5678.
std::string MaskPhoneNumber(std::string_view value);
// First character, ***, then @domain: zhangsan@example.cn -> z***@example.cn. Without an
// '@' the value is masked as an identifier.
std::string MaskEmail(std::string_view value);

// --- resources
// Whether `resource_type`'s own elements are masked: Patient, RelatedPerson, Person,
// Practitioner. A resource of another type may still contain one (see MayNeedMasking).
bool IsMaskedType(std::string_view resource_type);

// False only when masking certainly leaves the serialized resource unchanged, so a caller can
// pass it on without parsing: not a masked type, not a Bundle, and no "contained" member.
bool MayNeedMasking(std::string_view resource_type, std::string_view json_text);

// Masks a resource in place: a masked type's identifier, telecom, address (also in
// Patient.contact), drops its narrative `text` and `photo`; recurses into `contained` and
// Bundle.entry.resource. A resource that was masked (itself or something it contains) gets the
// MASKED meta.security label once. Returns whether anything was masked. Not a resource
// (not an object): false, unchanged.
bool MaskResource(json::Value& resource);

// Whether the resource carries the MASKED meta.security label: a masked copy, whose values
// are not the resident's (writing it back would overwrite the real ones).
bool HasMaskedLabel(const json::Value& resource);

// The same on serialized JSON; returns at once, without parsing, when !MayNeedMasking.
// kInvalid when the text needs masking but does not parse. The output is compact JSON.
absl::Status MaskResourceJson(std::string_view resource_type, std::string* json_text);

}  // namespace rhip::security
