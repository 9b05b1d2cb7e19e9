#include "registry/region_loader.h"

#include <cstdio>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "registry/organization_types_data.h"

namespace rhip::registry {
namespace {

constexpr char kPhysicalTypeSystem[] =
    "http://terminology.hl7.org/CodeSystem/location-physical-type";

json::Value Coding(std::string_view system, std::string_view code, std::string_view display) {
  json::Object coding;
  coding.Set("system", system);
  coding.Set("code", code);
  coding.Set("display", display);
  json::Object concept_;
  concept_.Set("coding", json::Array{json::Value(std::move(coding))});
  return concept_;
}

json::Value Identifier(std::string_view system, std::string_view value) {
  json::Object id;
  id.Set("system", system);
  id.Set("value", value);
  return json::Array{json::Value(std::move(id))};
}

json::Value Reference(std::string ref) {
  json::Object r;
  r.Set("reference", std::move(ref));
  return r;
}

// A placeholder fullUrl per resource of this load, so that the resources of one transaction can
// refer to each other. kind tells Location and Organization (and facilities) apart; a division
// code fits the last group as it is, other keys are hashed into it (FNV-1a, 48 bits).
std::string Placeholder(int kind, std::string_view key) {
  char out[64];
  bool digits = key.size() <= 12 && key.find_first_not_of("0123456789") == std::string_view::npos;
  if (digits) {
    std::snprintf(out, sizeof out, "urn:uuid:%08x-0000-4%03zx-8000-%12s", kind, key.size(),
                  std::string(key).c_str());
    for (char* p = out; *p != 0; ++p) {
      if (*p == ' ') *p = '0';
    }
  } else {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
    std::snprintf(out, sizeof out, "urn:uuid:%08x-0000-4fff-8000-%012llx", kind,
                  static_cast<unsigned long long>(h & 0xffffffffffffull));
  }
  return out;
}

std::string ConditionalUrl(std::string_view type, std::string_view system, std::string_view value) {
  return StrCat(type, "?identifier=", system, "|", value);
}

class BundleBuilder {
 public:
  void Put(std::string full_url, json::Value resource, std::string url) {
    json::Object request;
    request.Set("method", "PUT");
    request.Set("url", std::move(url));
    json::Object entry;
    entry.Set("fullUrl", std::move(full_url));
    entry.Set("resource", std::move(resource));
    entry.Set("request", std::move(request));
    entries_.push_back(std::move(entry));
  }
  // A reference to a division's resource: its placeholder when it is in this bundle, else
  // the conditional reference the bundle processor resolves by identifier.
  std::string Ref(int kind, std::string_view type, std::string_view code) const {
    if (in_bundle_.count(StrCat(kind, ":", code)) != 0) return Placeholder(kind, code);
    return ConditionalUrl(type, kDivisionCodeSystem, code);
  }
  void Note(int kind, std::string_view code) { in_bundle_.insert(StrCat(kind, ":", code)); }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  json::Value Take() {
    json::Object bundle;
    bundle.Set("resourceType", "Bundle");
    bundle.Set("type", "transaction");
    bundle.Set("entry", std::move(entries_));
    entries_.clear();
    in_bundle_.clear();
    return bundle;
  }

 private:
  json::Array entries_;
  std::set<std::string> in_bundle_;
};

constexpr int kLocation = 1, kOrganization = 2, kFacilityLocation = 3, kFacilityOrganization = 4,
              kTerminology = 5;

void AddDivision(const Division& d, BundleBuilder& b) {
  b.Note(kLocation, d.code);
  b.Note(kOrganization, d.code);
  std::string_view level = DivisionLevelCode(d.level);
  std::string_view level_display = DivisionLevelDisplay(d.level);

  json::Object org;
  org.Set("resourceType", "Organization");
  org.Set("identifier", Identifier(kDivisionCodeSystem, d.code));
  org.Set("active", true);
  org.Set("type", json::Array{Coding(kOrganizationTypeSystem, "admin-unit", "行政区划单元"),
                              Coding(kDivisionLevelSystem, level, level_display)});
  org.Set("name", d.name);
  if (!d.parent_code.empty()) {
    org.Set("partOf", Reference(b.Ref(kOrganization, "Organization", d.parent_code)));
  }

  json::Object loc;
  loc.Set("resourceType", "Location");
  loc.Set("identifier", Identifier(kDivisionCodeSystem, d.code));
  loc.Set("status", "active");
  loc.Set("name", d.name);
  loc.Set("mode", "instance");
  loc.Set("type", json::Array{Coding(kDivisionLevelSystem, level, level_display)});
  loc.Set("physicalType", Coding(kPhysicalTypeSystem, "jdn", "Jurisdiction"));
  loc.Set("managingOrganization", Reference(Placeholder(kOrganization, d.code)));
  if (!d.parent_code.empty()) {
    loc.Set("partOf", Reference(b.Ref(kLocation, "Location", d.parent_code)));
  }
  b.Put(Placeholder(kOrganization, d.code), std::move(org),
        ConditionalUrl("Organization", kDivisionCodeSystem, d.code));
  b.Put(Placeholder(kLocation, d.code), std::move(loc),
        ConditionalUrl("Location", kDivisionCodeSystem, d.code));
}

std::string_view TypeDisplay(std::string_view type) {
  const json::Value& bundle = OrganizationTypeTerminology();
  for (const json::Value& e : bundle.Find("entry")->as_array()) {
    const json::Value* concepts = e.Find("resource")->Find("concept");
    if (concepts == nullptr) continue;
    for (const json::Value& c : concepts->as_array()) {
      if (*c.FindString("code") == type) return *c.FindString("display");
    }
  }
  return type;
}

void AddFacility(const Division& d, const Facility& f, BundleBuilder& b) {
  std::string key = StrCat(d.code, "/", f.type);
  json::Object org;
  org.Set("resourceType", "Organization");
  org.Set("identifier", Identifier(kGeneratedFacilitySystem, key));
  org.Set("active", true);
  org.Set("type", json::Array{Coding(kOrganizationTypeSystem, f.type, TypeDisplay(f.type))});
  org.Set("name", f.name);
  org.Set("partOf", Reference(b.Ref(kOrganization, "Organization", d.code)));

  json::Object loc;
  loc.Set("resourceType", "Location");
  loc.Set("identifier", Identifier(kGeneratedFacilitySystem, key));
  loc.Set("status", "active");
  loc.Set("name", f.name);
  loc.Set("mode", "instance");
  loc.Set("physicalType", Coding(kPhysicalTypeSystem, "bu", "Building"));
  loc.Set("managingOrganization", Reference(Placeholder(kFacilityOrganization, key)));
  loc.Set("partOf", Reference(b.Ref(kLocation, "Location", d.code)));
  b.Put(Placeholder(kFacilityOrganization, key), std::move(org),
        ConditionalUrl("Organization", kGeneratedFacilitySystem, key));
  b.Put(Placeholder(kFacilityLocation, key), std::move(loc),
        ConditionalUrl("Location", kGeneratedFacilitySystem, key));
}

// The place a committee stands for: 楼梓庄村委会 and 大庄村村委会 → 楼梓庄村, 大庄村;
// 月河社区居民委员会 → 月河社区. Other names as they are.
std::string BaseName(std::string_view name) {
  for (std::string_view suffix : {"村民委员会", "村委会"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      name.remove_suffix(suffix.size());
      return name.ends_with("村") ? std::string(name) : StrCat(name, "村");
    }
  }
  for (std::string_view suffix : {"居民委员会", "居委会"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) name.remove_suffix(suffix.size());
  }
  return std::string(name);
}

absl::Status Commit(fhir::Repository& repository, BundleBuilder& b) {
  if (b.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(json::Value response, repository.ProcessBundle(b.Take(), "", {}));
  (void)response;  // a transaction fails as a whole: an OK result wrote every entry
  return absl::OkStatus();
}

}  // namespace

const json::Value& OrganizationTypeTerminology() {
  static const json::Value* value = new json::Value(*json::Parse(internal::kOrganizationTypesJson));
  return *value;
}

std::vector<Facility> StandardFacilities(const Division& d) {
  std::string base = BaseName(d.name);
  switch (d.level) {
    case DivisionLevel::kCounty:
      return {{"county-hospital", StrCat(base, "人民医院")},
              {"cdc", StrCat(base, "疾病预防控制中心")},
              {"mch", StrCat(base, "妇幼保健院")},
              {"health-bureau", StrCat(base, "卫生健康局")}};
    case DivisionLevel::kTownship: {
      // GB/T 10114 township codes: 001-099 subdistricts, 100-399 towns and townships.
      int n = std::stoi(d.code.substr(6));
      if (n < 100) return {{"community-health-centre", StrCat(base, "社区卫生服务中心")}};
      if (n < 400) return {{"township-health-centre", StrCat(base, "卫生院")}};
      return {};
    }
    case DivisionLevel::kVillage: {
      // Village codes: 001-199 residents' committees, 200-399 villagers' committees.
      int n = std::stoi(d.code.substr(9));
      if (n < 200) return {{"community-health-station", StrCat(base, "卫生服务站")}};
      if (n < 400) return {{"village-clinic", StrCat(base, "卫生室")}};
      return {};
    }
    default:
      return {};
  }
}

absl::StatusOr<RegionLoadResult> LoadRegion(fhir::Repository& repository,
                                            const std::vector<Division>& divisions,
                                            const RegionLoadOptions& options) {
  RegionLoadResult result;
  BundleBuilder b;
  // The code systems first, so that the types the resources carry are defined.
  for (const json::Value& e : OrganizationTypeTerminology().Find("entry")->as_array()) {
    const json::Value& r = *e.Find("resource");
    std::string url = StrCat(*r.FindString("resourceType"), "?url=", *r.FindString("url"));
    b.Put(Placeholder(kTerminology, url), r, url);
  }
  RETURN_IF_ERROR(Commit(repository, b));
  size_t in_batch = 0;
  for (const Division& d : divisions) {
    AddDivision(d, b);
    ++result.divisions;
    if (options.facilities) {
      for (const Facility& f : StandardFacilities(d)) {
        AddFacility(d, f, b);
        ++result.facilities;
      }
    }
    if (++in_batch == options.divisions_per_transaction) {
      RETURN_IF_ERROR(Commit(repository, b));
      in_batch = 0;
      if (options.progress) options.progress(result.divisions, divisions.size());
    }
  }
  RETURN_IF_ERROR(Commit(repository, b));
  return result;
}

}  // namespace rhip::registry
