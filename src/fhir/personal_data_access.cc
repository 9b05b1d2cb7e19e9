#include "fhir/personal_data_access.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/search/index_extractor.h"
#include "fhir/search/search_parameters.h"

namespace rhip::fhir {
namespace {

using search::SearchParamRegistry;

int64_t ParamKey(std::string_view type, std::string_view code) {
  const search::SearchParam* p = SearchParamRegistry::Default().Find(type, code);
  return p == nullptr ? 0 : p->key;
}

// Every Patient-compartment parameter key, of every type (a reference row's key names its
// type, so one list serves all).
const std::vector<int64_t>& CompartmentKeys() {
  static const std::vector<int64_t> keys = [] {
    std::set<int64_t> out;
    const SearchParamRegistry& reg = SearchParamRegistry::Default();
    for (const std::string& type : reg.PatientCompartmentTypes()) {
      if (type == "Patient") continue;  // Patient.link: a Patient belongs to itself only
      for (const std::string& code : reg.PatientCompartmentParams(type)) {
        if (int64_t k = ParamKey(type, code)) out.insert(k);
      }
    }
    return std::vector<int64_t>(out.begin(), out.end());
  }();
  return keys;
}

// Binds each value and returns "(:a_x0, :a_x1, ...)", or "(NULL)" for none (matches nothing).
std::string InList(std::string_view prefix, const std::vector<std::string>& values,
                   std::string_view ref_prefix, search::BoundParams* params) {
  if (values.empty()) return "(NULL)";
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    std::string name = StrCat(prefix, i);
    StrAppend(&out, i ? ", :" : ":", name);
    params->emplace_back(name, StrCat(ref_prefix, values[i]));
  }
  out.push_back(')');
  return out;
}

}  // namespace

const std::string& CompartmentKeysSql() {
  static const std::string sql = [] {
    std::string out = "(";
    for (size_t i = 0; i < CompartmentKeys().size(); ++i) {
      StrAppend(&out, i ? ", " : "", CompartmentKeys()[i]);
    }
    out.push_back(')');
    return out;
  }();
  return sql;
}

std::vector<std::string> PatientIdsOf(const json::Value& resource) {
  search::IndexRows rows = search::IndexExtractor::Default().Extract(resource);
  const std::vector<int64_t>& keys = CompartmentKeys();
  std::set<std::string> patients;
  for (const search::ReferenceRow& row : rows.references) {
    if (row.ref.starts_with("Patient/") && std::binary_search(keys.begin(), keys.end(), row.key)) {
      patients.insert(row.ref.substr(8));
    }
  }
  return std::vector<std::string>(patients.begin(), patients.end());
}

bool IsPersonalDataType(std::string_view type) {
  if (type == "Patient") return true;
  auto types = SearchParamRegistry::Default().PatientCompartmentTypes();
  return std::find(types.begin(), types.end(), type) != types.end();
}

absl::Status OutsideAccessError(std::string_view type, std::string_view id) {
  return MakeError(ErrorKind::kForbidden,
                   StrCat(type, "/", id, " belongs to a resident outside your org units, or the "
                          "resident's consent does not allow your access; a clinician may open it "
                          "with a stated reason (break the glass) "
                          "(该记录不在您的机构范围内或居民授权不允许访问；医生可说明理由后紧急调阅)"));
}

search::AccessPredicate PersonalDataPredicate(const security::OrgScope& scope) {
  search::AccessPredicate out;
  if (scope.unrestricted) return out;
  search::BoundParams& params = out.params;
  params.emplace_back("a_porg", ParamKey("Patient", "organization"));
  params.emplace_back("a_cpat", ParamKey("Consent", "patient"));
  params.emplace_back("a_cstatus", ParamKey("Consent", "status"));
  params.emplace_back("a_cprov", ParamKey("Consent", "provision-type"));
  params.emplace_back("a_epat", ParamKey("Encounter", "patient"));
  params.emplace_back("a_esp", ParamKey("Encounter", "service-provider"));
  std::string area = InList("a_o", scope.area, "Organization/", &params);
  std::string own = InList("a_w", scope.own, "Organization/", &params);
  const std::string& compartment = CompartmentKeysSql();

  // Managed in the area: Patient rk's managingOrganization.
  auto in_area = [&](std::string_view prk) {
    return StrCat("EXISTS (SELECT 1 FROM sp_reference ao WHERE ao.rk = ", prk,
                  " AND ao.p = :a_porg AND ao.ref IN ", area, ")");
  };
  // No active deny consent of patient (reference text pref, row prk) — or the principal's
  // own org unit manages or treated the resident.
  auto consent_allows = [&](std::string_view pref, std::string_view prk) {
    return StrCat(
        "(NOT EXISTS (SELECT 1 FROM sp_reference cp"
        " JOIN sp_token cs ON cs.rk = cp.rk AND cs.p = :a_cstatus AND cs.code = 'active'"
        " JOIN sp_token ct ON ct.rk = cp.rk AND ct.p = :a_cprov AND ct.code = 'deny'"
        " WHERE cp.p = :a_cpat AND cp.ref = ", pref, ")"
        " OR EXISTS (SELECT 1 FROM sp_reference aw WHERE aw.rk = ", prk,
        " AND aw.p = :a_porg AND aw.ref IN ", own, ")"
        " OR EXISTS (SELECT 1 FROM sp_reference ep JOIN sp_reference es ON es.rk = ep.rk"
        " AND es.p = :a_esp AND es.ref IN ", own, " WHERE ep.p = :a_epat AND ep.ref = ", pref, "))");
  };
  std::string personal_types;
  for (const std::string& type : SearchParamRegistry::Default().PatientCompartmentTypes()) {
    StrAppend(&personal_types, personal_types.empty() ? "'" : ", '", type, "'");
  }
  if (personal_types.find("'Patient'") == std::string::npos) {
    StrAppend(&personal_types, ", 'Patient'");
  }
  out.sql = StrCat(
      "r.type NOT IN (", personal_types, ")",
      " OR (r.type = 'Patient' AND ", in_area("r.rk"), " AND ",
      consent_allows("'Patient/' || r.id", "r.rk"), ")",
      " OR (r.type <> 'Patient' AND EXISTS (SELECT 1 FROM sp_reference ax"
      " JOIN resource ap ON ap.type = 'Patient' AND ap.id = substr(ax.ref, 9) AND ap.deleted = 0"
      " WHERE ax.rk = r.rk AND ax.p IN ", compartment, " AND ax.ref LIKE 'Patient/%' AND ",
      in_area("ap.rk"), " AND ", consent_allows("ax.ref", "ap.rk"), "))");
  return out;
}

absl::Status CheckWritableContent(Repository& repository, const json::Value& resource,
                                  const security::OrgScope& scope,
                                  const search::AccessPredicate& predicate) {
  if (scope.unrestricted) return absl::OkStatus();
  const std::string* type = resource.FindString("resourceType");
  if (type == nullptr || !IsPersonalDataType(*type)) return absl::OkStatus();
  if (*type == "Patient") {
    const json::Value* managing = resource.Find("managingOrganization");
    const std::string* ref = managing == nullptr ? nullptr : managing->FindString("reference");
    std::string_view id = ref == nullptr ? "" : security::OrgUnitId(*ref);
    if (std::find(scope.area.begin(), scope.area.end(), id) == scope.area.end()) {
      return MakeError(ErrorKind::kForbidden,
                       "Patient.managingOrganization must be an organization in your org units "
                       "(患者的管理机构必须在您的机构范围内)");
    }
    return absl::OkStatus();
  }
  std::vector<std::string> patients = PatientIdsOf(resource);
  if (patients.empty()) {
    return MakeError(ErrorKind::kForbidden,
                     StrCat("a ", *type, " written with org-unit restricted access must belong to a "
                            "Patient in your org units (须关联到您机构范围内的居民)"));
  }
  for (const std::string& id : patients) {
    ASSIGN_OR_RETURN(Visibility v, repository.CheckVisible("Patient", id, predicate));
    if (!v.visible) return OutsideAccessError("Patient", id);
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir
