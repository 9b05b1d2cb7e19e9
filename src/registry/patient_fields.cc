#include "registry/patient_fields.h"

#include "core/strings.h"
#include "security/masking.h"

namespace rhip::registry {
namespace {

const json::Value* FirstWith(const json::Value* array, std::string_view key,
                             std::string_view value) {
  if (array == nullptr || !array->is_array() || array->as_array().empty()) return nullptr;
  for (const json::Value& v : array->as_array()) {
    const std::string* s = v.is_object() ? v.FindString(key) : nullptr;
    if (s != nullptr && *s == value) return &v;
  }
  return nullptr;
}

const json::Value* First(const json::Value* array) {
  if (array == nullptr || !array->is_array() || array->as_array().empty()) return nullptr;
  const json::Value& v = array->as_array().front();
  return v.is_object() ? &v : nullptr;
}

std::string StringOf(const json::Value* object, std::string_view key) {
  const std::string* s = object != nullptr ? object->FindString(key) : nullptr;
  return s != nullptr ? *s : std::string();
}

std::string Joined(const json::Value* array) {
  std::string out;
  if (array == nullptr || !array->is_array()) return out;
  for (const json::Value& v : array->as_array()) {
    if (v.is_string()) out += v.as_string();
  }
  return out;
}

void ReadName(const json::Value& patient, PatientFields* f) {
  const json::Value* names = patient.Find("name");
  const json::Value* name = FirstWith(names, "use", "official");
  if (name == nullptr) name = First(names);
  if (name == nullptr) return;
  f->family = StringOf(name, "family");
  f->given = Joined(name->Find("given"));
  if (f->family.empty() && f->given.empty()) f->family = StringOf(name, "text");
}

void ReadPhone(const json::Value& patient, PatientFields* f) {
  const json::Value* telecom = patient.Find("telecom");
  if (telecom == nullptr || !telecom->is_array()) return;
  const json::Value* best = nullptr;
  for (const json::Value& t : telecom->as_array()) {
    if (!t.is_object() || StringOf(&t, "system") != "phone") continue;
    if (best == nullptr || StringOf(&t, "use") == "mobile") best = &t;
    if (StringOf(best, "use") == "mobile") break;
  }
  f->phone = StringOf(best, "value");
}

void ReadAddress(const json::Value& patient, PatientFields* f) {
  const json::Value* addresses = patient.Find("address");
  const json::Value* address = FirstWith(addresses, "use", "home");
  if (address == nullptr) address = First(addresses);
  if (address == nullptr) return;
  const json::Value* ext = FirstWith(address->Find("extension"), "url", kDivisionCodeExtension);
  if (ext != nullptr) {
    f->division_code = StringOf(ext, "valueCode");
    if (f->division_code.empty()) f->division_code = StringOf(ext, "valueString");
  }
  f->address = StringOf(address, "text");
  if (f->address.empty()) {
    f->address = StrCat(StringOf(address, "state"), StringOf(address, "city"),
                        StringOf(address, "district"), Joined(address->Find("line")));
  }
}

}  // namespace

PatientFields ExtractPatientFields(const json::Value& patient) {
  PatientFields f;
  if (!patient.is_object()) return f;
  ReadName(patient, &f);
  const json::Value* id = FirstWith(patient.Find("identifier"), "system", security::kResidentIdSystem);
  f.resident_id = StringOf(id, "value");
  f.birth_date = StringOf(&patient, "birthDate");
  f.sex = StringOf(&patient, "gender");
  ReadPhone(patient, &f);
  ReadAddress(patient, &f);
  f.managing_organization = StringOf(patient.Find("managingOrganization"), "reference");
  return f;
}

}  // namespace rhip::registry
