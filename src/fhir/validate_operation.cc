#include "fhir/validate_operation.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "fhir/model/validator.h"
#include "fhir/operation_outcome.h"

namespace rhip::fhir {
namespace {

json::Value OutcomeOf(std::vector<Issue> issues) {
  if (issues.empty()) return InformationOutcome("no issues");
  // ErrorResponseFor is the one place issues become an OperationOutcome; the status here only
  // carries them (the operation itself answers 200).
  return ErrorResponseFor(MakeError(ErrorKind::kInvalid, "validation", issues)).outcome;
}

json::Value SingleError(std::string_view code, std::string message) {
  Issue issue;
  issue.code = std::string(code);
  issue.diagnostics = std::move(message);
  return OutcomeOf({issue});
}

}  // namespace

json::Value ValidateOperation(std::string_view body, std::string_view type,
                              std::string_view query_profile, const ProfileLookup& lookup) {
  absl::StatusOr<json::Value> doc = json::Parse(body);
  if (!doc.ok()) return SingleError("structure", StrCat("the body is not JSON: ", ToStd(doc.status().message())));
  ValidateOptions options;
  options.profile_lookup = lookup;
  if (!query_profile.empty()) options.extra_profiles.emplace_back(query_profile);
  const json::Value* resource = &*doc;
  const std::string* rt = doc->FindString("resourceType");
  // A Parameters body carries the resource, unless Parameters itself is being validated.
  if (rt != nullptr && *rt == "Parameters" && type != "Parameters") {
    resource = nullptr;
    if (const json::Value* params = doc->Find("parameter"); params != nullptr && params->is_array()) {
      for (const json::Value& p : params->as_array()) {
        const std::string* name = p.FindString("name");
        if (name == nullptr) continue;
        if (*name == "resource") resource = p.Find("resource");
        if (*name == "profile") {
          for (std::string_view key : {"valueUri", "valueCanonical"}) {
            if (const std::string* url = p.FindString(key)) options.extra_profiles.push_back(*url);
          }
        }
      }
    }
    if (resource == nullptr) return SingleError("required", "the Parameters have no 'resource' parameter");
    rt = resource->FindString("resourceType");
  }
  if (!type.empty() && rt != nullptr && *rt != type) {
    return SingleError("invalid", StrCat("resourceType '", *rt, "' does not match the URL type '", type, "'"));
  }
  return OutcomeOf(ValidateResource(*resource, options));
}

}  // namespace rhip::fhir
