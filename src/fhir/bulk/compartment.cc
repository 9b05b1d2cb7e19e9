#include "fhir/bulk/compartment.h"

#include <string_view>

#include "core/json.h"

namespace rhip::fhir::bulk {

// Defined in the generated compartment_data.cc (see CMakeLists.txt).
extern const std::string_view kPatientCompartmentJson;

namespace {

std::vector<CompartmentLink> Build() {
  std::vector<CompartmentLink> out;
  auto def = json::Parse(kPatientCompartmentJson);
  // The definition is build input: if it does not parse the build itself is broken.
  if (!def.ok() || def->Find("resource") == nullptr || !def->Find("resource")->is_array()) {
    return out;
  }
  for (const json::Value& r : def->Find("resource")->as_array()) {
    const std::string* code = r.FindString("code");
    const json::Value* params = r.Find("param");
    if (code == nullptr || params == nullptr || !params->is_array()) continue;
    CompartmentLink link{*code, {}};
    for (const json::Value& p : params->as_array()) {
      if (p.is_string()) link.params.push_back(p.as_string());
    }
    if (!link.params.empty()) out.push_back(std::move(link));
  }
  return out;
}

}  // namespace

const std::vector<CompartmentLink>& PatientCompartment() {
  static const std::vector<CompartmentLink> links = Build();
  return links;
}

}  // namespace rhip::fhir::bulk
