#include "security/scopes.h"

#include "gtest/gtest.h"

namespace rhip::security {
namespace {

TEST(ScopesTest, ParsesV2AndNormalisesV1) {
  absl::StatusOr<Scope> s = ParseScope("system/Patient.rs");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->context, "system");
  EXPECT_EQ(s->resource, "Patient");
  EXPECT_EQ(s->actions, "rs");
  EXPECT_EQ(ParseScope("system/*.cruds")->ToString(), "system/*.cruds");
  EXPECT_EQ(ParseScope("user/Observation.read")->actions, "rs");
  EXPECT_EQ(ParseScope("patient/Observation.write")->actions, "cud");
  EXPECT_EQ(ParseScope("system/*.*")->actions, "cruds");
}

TEST(ScopesTest, RejectsMalformed) {
  for (const char* bad : {"", "Patient.rs", "system/Patient", "system/Patient.", "system/Patient.x",
                          "system/Patient.sr", "system/Patient.rr", "admin/Patient.rs",
                          "system/patient.rs", "system/Pat-ient.rs", "system/Patient.rs?x=1",
                          "openid"}) {
    EXPECT_FALSE(ParseScope(bad).ok()) << bad;
  }
}

TEST(ScopesTest, ListsDeduplicateAndRoundTrip) {
  auto list = ParseScopes("  system/Patient.rs system/Observation.cruds system/Patient.rs ");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(FormatScopes(*list), "system/Patient.rs system/Observation.cruds");
  EXPECT_TRUE(ParseScopes("")->empty());
  EXPECT_FALSE(ParseScopes("system/Patient.rs bogus").ok());
}

TEST(ScopesTest, NarrowingGrantsOnlyWhatIsCovered) {
  auto all = *ParseScopes("system/*.cruds");
  auto patient_read = *ParseScopes("system/Patient.rs");
  EXPECT_EQ(*NarrowScopes(all, {}), all);
  EXPECT_EQ(*NarrowScopes(all, patient_read), patient_read);
  EXPECT_FALSE(NarrowScopes(patient_read, *ParseScopes("system/Patient.c")).ok());
  EXPECT_FALSE(NarrowScopes(patient_read, *ParseScopes("system/Observation.r")).ok());
  EXPECT_FALSE(NarrowScopes(patient_read, *ParseScopes("system/*.r")).ok());
  EXPECT_FALSE(NarrowScopes(all, *ParseScopes("user/Patient.r")).ok());  // other context
  EXPECT_EQ(*NarrowScopes(patient_read, *ParseScopes("system/Patient.s")),
            *ParseScopes("system/Patient.s"));
}

TEST(ScopesTest, Allow) {
  auto scopes = *ParseScopes("system/Patient.rs system/Observation.c");
  EXPECT_TRUE(ScopesAllow(scopes, "Patient", 'r'));
  EXPECT_FALSE(ScopesAllow(scopes, "Patient", 'c'));
  EXPECT_TRUE(ScopesAllow(scopes, "Observation", 'c'));
  EXPECT_FALSE(ScopesAllow(scopes, "Encounter", 'r'));
  EXPECT_TRUE(ScopesAllow(*ParseScopes("system/*.cruds"), "Encounter", 'd'));
}

}  // namespace
}  // namespace rhip::security
