#include "registry/organization_operations.h"

#include "absl/strings/numbers.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::registry {
namespace {

json::Value Ref(std::string_view id, std::string_view display) {
  json::Object ref;
  ref.Set("reference", StrCat("Organization/", id));
  if (!display.empty()) ref.Set("display", display);
  return ref;
}

json::Value Param(std::string_view name, std::string_view value_key, json::Value value) {
  json::Object p;
  p.Set("name", name);
  p.Set(value_key, std::move(value));
  return p;
}

json::Value Parameters(const std::vector<OrgUnit>& units) {
  json::Array params;
  params.reserve(units.size() + 1);
  params.push_back(Param("count", "valueInteger", static_cast<int64_t>(units.size())));
  for (const OrgUnit& u : units) {
    json::Array parts;
    parts.push_back(Param("organization", "valueReference", Ref(u.id, u.name)));
    if (!u.parent.empty()) parts.push_back(Param("partOf", "valueReference", Ref(u.parent, {})));
    parts.push_back(Param("depth", "valueInteger", u.depth));
    params.push_back(Param("organization", "part", std::move(parts)));
  }
  json::Object out;
  out.Set("resourceType", "Parameters");
  out.Set("parameter", std::move(params));
  return out;
}

}  // namespace

std::vector<fhir::OperationInfo> OrganizationTreeOperations::Operations() const {
  return {{"Organization", "ancestors", "https://rhip.cn/fhir/OperationDefinition/Organization-ancestors"},
          {"Organization", "descendants", "https://rhip.cn/fhir/OperationDefinition/Organization-descendants"}};
}

bool OrganizationTreeOperations::Serves(std::string_view type, std::string_view name) const {
  return type == "Organization" && (name == kAncestorsOperation || name == kDescendantsOperation);
}

absl::StatusOr<json::Value> OrganizationTreeOperations::Run(const fhir::OperationCall& call) const {
  if (call.body != nullptr) {
    return MakeError(ErrorKind::kMethodNotAllowed, StrCat(call.name, " is called with GET"));
  }
  if (call.type != "Organization" || call.id.empty()) {
    return MakeError(
        ErrorKind::kNotFound,
        StrCat(call.name, " is an operation on one Organization: Organization/{id}/", call.name));
  }
  int depth = 0;
  for (const auto& [key, value] : call.query) {
    if (key == "depth" && call.name == kDescendantsOperation) {
      if (!absl::SimpleAtoi(ToAbsl(value), &depth) || depth < 1 || depth > 100) {
        return MakeError(ErrorKind::kInvalid, "depth must be a whole number from 1 to 100");
      }
    } else if (!key.starts_with("_format")) {
      return MakeError(ErrorKind::kInvalid, StrCat(call.name, " does not take '", key, "'"));
    }
  }
  if (call.name == kAncestorsOperation) {
    ASSIGN_OR_RETURN(std::vector<OrgUnit> units, tree_->Ancestors(call.id));
    return Parameters(units);
  }
  ASSIGN_OR_RETURN(std::vector<OrgUnit> units, tree_->Descendants(call.id, depth));
  return Parameters(units);
}

}  // namespace rhip::registry
