#include "fhir/capability_statement.h"

#include <string>
#include <utility>

#include "core/clock.h"
#include "fhir/model/structure_model.h"
#include "fhir/search/search_parameters.h"

namespace rhip::fhir {
namespace {

json::Value Codes(std::initializer_list<const char*> names, const char* key) {
  json::Array out;
  for (const char* n : names) {
    json::Object o;
    o.Set(key, n);
    out.emplace_back(std::move(o));
  }
  return out;
}

json::Value SearchParamEntry(std::string_view name, std::string_view type, std::string_view url) {
  json::Object p;
  p.Set("name", name);
  if (!url.empty()) p.Set("definition", url);
  p.Set("type", type);
  return p;
}

// What the search engine really indexes for the type (fhir/search/search_parameters.h).
json::Array SearchParams(std::string_view type) {
  const search::SearchParamRegistry& registry = search::SearchParamRegistry::Default();
  json::Array out;
  for (std::string_view code : {"_id", "_lastUpdated"}) {
    const search::SearchParam* p = registry.Find(type, code);
    if (p != nullptr) out.emplace_back(SearchParamEntry(code, search::ParamTypeName(p->type), p->url));
  }
  for (const search::SearchParam* p : registry.Indexed(type)) {
    out.emplace_back(SearchParamEntry(p->code, search::ParamTypeName(p->type), p->url));
  }
  return out;
}

// AuditEvent is a read-only view of the audit trail (fhir/audit_event_rest.h), with its own
// search parameters.
json::Value AuditEventResource() {
  json::Object r;
  r.Set("type", "AuditEvent");
  r.Set("interaction", Codes({"read", "search-type"}, "code"));
  json::Array params;
  for (auto [code, type] : {std::pair{"date", "date"}, {"agent", "reference"}, {"altid", "token"},
                            {"patient", "reference"}, {"subtype", "token"}, {"outcome", "token"}}) {
    params.emplace_back(SearchParamEntry(
        code, type, std::string("http://hl7.org/fhir/SearchParameter/AuditEvent-") + code));
  }
  r.Set("searchParam", std::move(params));
  return r;
}

}  // namespace

json::Value BuildCapabilityStatement(std::string_view software_version, std::string_view base_url,
                                     const std::vector<OperationInfo>& operations) {
  json::Array resources;
  for (std::string_view type : StructureModel::R4().ResourceTypeNames()) {
    json::Object r;
    r.Set("type", type);
    if (type == "AuditEvent") {
      resources.emplace_back(AuditEventResource());
      continue;
    }
    r.Set("interaction", Codes({"read", "vread", "update", "patch", "delete", "history-instance",
                                "history-type", "create", "search-type"},
                               "code"));
    r.Set("versioning", "versioned-update");
    r.Set("readHistory", true);
    r.Set("updateCreate", true);
    r.Set("conditionalCreate", true);
    r.Set("conditionalRead", "not-supported");
    r.Set("conditionalUpdate", true);
    r.Set("conditionalDelete", "single");
    r.Set("searchInclude", json::Array{json::Value("*")});
    r.Set("searchRevInclude", json::Array{json::Value("*")});
    r.Set("searchParam", SearchParams(type));
    json::Array ops;
    for (const OperationInfo& op : operations) {
      if (op.type != type) continue;
      json::Object o;
      o.Set("name", op.name);
      o.Set("definition", op.definition);
      ops.push_back(std::move(o));
    }
    if (!ops.empty()) r.Set("operation", std::move(ops));
    resources.emplace_back(std::move(r));
  }
  json::Object rest;
  rest.Set("mode", "server");
  rest.Set("resource", std::move(resources));
  rest.Set("interaction", Codes({"transaction", "batch", "history-system", "search-system"}, "code"));
  rest.Set("searchParam", SearchParams("Resource"));

  json::Object software;
  software.Set("name", "rhip");
  software.Set("version", software_version);
  json::Object implementation;
  implementation.Set("description", "rhip regional health information platform");
  if (!base_url.empty()) implementation.Set("url", base_url);

  json::Object cs;
  cs.Set("resourceType", "CapabilityStatement");
  cs.Set("status", "active");
  // The statement describes this running server: it is dated when the server built it.
  cs.Set("date", FormatInstant(Clock::Real().Now()).substr(0, 10));
  cs.Set("publisher", "rhip");
  cs.Set("kind", "instance");
  cs.Set("software", std::move(software));
  cs.Set("implementation", std::move(implementation));
  cs.Set("fhirVersion", "4.0.1");
  cs.Set("format", json::Array{json::Value("application/fhir+json"), json::Value("json")});
  cs.Set("patchFormat", json::Array{json::Value("application/json-patch+json"),
                                    json::Value("application/fhir+json")});
  cs.Set("rest", json::Array{json::Value(std::move(rest))});
  return cs;
}

}  // namespace rhip::fhir
