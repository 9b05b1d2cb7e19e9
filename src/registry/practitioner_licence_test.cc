#include "registry/practitioner_licence.h"

#include "core/strings.h"
#include "gtest/gtest.h"

namespace rhip::registry {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

constexpr std::chrono::year_month_day kToday{year(2026), month(11), day(29)};

std::vector<Issue> Check(std::string_view system, std::string_view value) {
  return CheckPractitionerIdentifiers(
      *json::Parse(StrCat(
          R"({"resourceType":"Practitioner","identifier":[{"system":"urn:other","value":"x y"},)",
          R"({"system":")", system, R"(","value":")", value, R"("}]})")),
      kToday);
}

TEST(PractitionerLicenceTest, PhysicianQualificationCode) {
  // 2010, Beijing (11), level 2, category 11, then the GB 11643 example ID.
  EXPECT_TRUE(Check(kPhysicianQualificationSystem, "20101121111010519491231002X").empty());
  // 15-digit first-generation ID: 24 characters.
  EXPECT_TRUE(Check(kPhysicianQualificationSystem, "201011211110105491231002").empty());

  auto bad_check = Check(kPhysicianQualificationSystem, "201011211110105194912310021");
  ASSERT_EQ(bad_check.size(), 1u);
  EXPECT_EQ(bad_check[0].severity, "warning");
  EXPECT_EQ(bad_check[0].expression, "Practitioner.identifier[1].value");
  EXPECT_NE(bad_check[0].diagnostics.find("resident ID"), std::string::npos);

  EXPECT_EQ(Check(kPhysicianQualificationSystem, "2010112111101051949123100").size(), 1u);  // 25
  EXPECT_EQ(Check(kPhysicianQualificationSystem, "19901121111010519491231002X").size(),
            1u);  // year
  EXPECT_EQ(Check(kPhysicianQualificationSystem, "20301121111010519491231002X").size(),
            1u);  // future
  EXPECT_EQ(Check(kPhysicianQualificationSystem, "2010 1121111010519491231002X").size(), 1u);
}

TEST(PractitionerLicenceTest, PractisingCodeHasFifteenDigits) {
  EXPECT_TRUE(Check(kPhysicianPractisingSystem, "110110000012345").empty());
  EXPECT_EQ(Check(kPhysicianPractisingSystem, "11011000001234").size(), 1u);
  EXPECT_EQ(Check(kPhysicianPractisingSystem, "11011000001234A").size(), 1u);
}

TEST(PractitionerLicenceTest, NurseAndVillageDoctorNumbersOnlyNeedPlainCharacters) {
  EXPECT_TRUE(Check(kNursePractisingSystem, "201111001234").empty());
  EXPECT_TRUE(Check(kVillageDoctorSystem, "542524000123").empty());
  EXPECT_EQ(Check(kVillageDoctorSystem, "５４２５").size(), 1u);  // full-width digits
}

TEST(PractitionerLicenceTest, QualificationIdentifiersAreCheckedToo) {
  auto issues = CheckPractitionerIdentifiers(
      *json::Parse(StrCat(
          R"({"resourceType":"Practitioner","qualification":[{"code":{"text":"执业医师"},)",
          R"("identifier":[{"system":")", kPhysicianPractisingSystem, R"(","value":"123"}]}]})")),
      kToday);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].expression, "Practitioner.qualification[0].identifier[0].value");
}

}  // namespace
}  // namespace rhip::registry
