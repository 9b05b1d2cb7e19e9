#include "app/registration_check.h"

#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/strings.h"
#include "registry/resident_id.h"

namespace rhip::app {
namespace {

bool IsPatient(const json::Value& v) {
  const std::string* type = v.is_object() ? v.FindString("resourceType") : nullptr;
  return type != nullptr && *type == "Patient";
}

void Collect(const json::Value& patient, std::string_view prefix, Micros now,
             std::vector<Issue>* errors) {
  for (Issue& issue : registry::CheckPatientIdentifiers(patient, registry::ShanghaiDate(now))) {
    if (issue.severity != "error") continue;
    if (!prefix.empty()) {
      std::string_view path = issue.expression;
      if (path.starts_with("Patient.")) path.remove_prefix(8);
      issue.expression = StrCat(prefix, path);
    }
    errors->push_back(std::move(issue));
  }
}

}  // namespace

absl::Status CheckRegistration(const net::HttpRequest& request, Micros now) {
  if (request.method != "POST" && request.method != "PUT") return absl::OkStatus();
  std::string_view path = request.path;
  bool bundle = path == "/fhir" || path == "/fhir/";
  bool patient = path == "/fhir/Patient" ||
                 (path.starts_with("/fhir/Patient/") && path.find('/', 14) == std::string_view::npos &&
                  !path.substr(14).starts_with("$"));
  if (!bundle && !patient) return absl::OkStatus();
  absl::StatusOr<json::Value> body = json::Parse(request.body);
  if (!body.ok() || !body->is_object()) return absl::OkStatus();
  std::vector<Issue> errors;
  if (patient && IsPatient(*body)) Collect(*body, "", now, &errors);
  if (bundle) {
    const json::Value* entries = body->Find("entry");
    if (entries != nullptr && entries->is_array()) {
      for (size_t i = 0; i < entries->as_array().size(); ++i) {
        const json::Value& entry = entries->as_array()[i];
        const json::Value* resource = entry.is_object() ? entry.Find("resource") : nullptr;
        if (resource != nullptr && IsPatient(*resource)) {
          Collect(*resource, StrCat("Bundle.entry[", i, "].resource."), now, &errors);
        }
      }
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return MakeError(ErrorKind::kUnprocessable,
                   StrCat("登记信息有误 the resident's identifiers are wrong: ", errors.front().diagnostics),
                   errors);
}

}  // namespace rhip::app
