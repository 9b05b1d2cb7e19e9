// `rhip role list|show|grant|revoke|add` against the real binary on a fresh store (no server),
// on SQLite and PostgreSQL: output, exit codes 0/1/2 and the seeded operation permissions.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/integration/server_fixture.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

class RoleCliTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { url_ = FreshDatabaseUrl(GetParam()); }
  // `rhip role ARGS --data DIR [--db URL]`; the exit code, output in *out.
  int Role(std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), "role");
    args.insert(args.end(), {"--data", dir_.path()});
    if (!url_.empty()) args.insert(args.end(), {"--db", url_});
    return RunRhip(args, out);
  }
  static bool Has(const std::string& out, const std::string& text) {
    return out.find(text) != std::string::npos;
  }

  TempDir dir_;
  std::string url_;
};

TEST_P(RoleCliTest, ListAndShowSeededRoles) {
  std::string out;
  ASSERT_EQ(Role({"list"}, &out), 0) << out;
  EXPECT_TRUE(Has(out, "village_doctor\t乡村医生\tVillage doctor\n")) << out;
  ASSERT_EQ(Role({"show", "doctor"}, &out), 0) << out;
  // Byte order of target: the operations first, on both engines.
  EXPECT_TRUE(Has(out, "target\tactions\n$break-glass\tr\n$unmask\tr\nAllergyIntolerance\tcrus\n"))
      << out;
  ASSERT_EQ(Role({"show", "system_admin"}, &out), 0) << out;
  EXPECT_TRUE(Has(out, "*\tcruds\n")) << out;
  ASSERT_EQ(Role({"show", "nurse"}, &out), 0) << out;
  EXPECT_FALSE(Has(out, "$unmask")) << out;
  EXPECT_EQ(Role({"show", "wizard"}, &out), 1) << out;
  EXPECT_TRUE(Has(out, "no role 'wizard'")) << out;
}

TEST_P(RoleCliTest, GrantRevoke) {
  std::string out;
  ASSERT_EQ(Role({"grant", "nurse", "$unmask", "r"}, &out), 0) << out;
  ASSERT_EQ(Role({"grant", "nurse", "Patient", "rs"}, &out), 0) << out;  // replaces rus
  ASSERT_EQ(Role({"show", "nurse"}, &out), 0) << out;
  EXPECT_TRUE(Has(out, "$unmask\tr\n")) << out;
  EXPECT_TRUE(Has(out, "Patient\trs\n")) << out;
  ASSERT_EQ(Role({"revoke", "nurse", "$unmask"}, &out), 0) << out;
  ASSERT_EQ(Role({"show", "nurse"}, &out), 0) << out;
  EXPECT_FALSE(Has(out, "$unmask")) << out;
  EXPECT_EQ(Role({"revoke", "nurse", "$unmask"}, &out), 1) << out;  // nothing to revoke
  EXPECT_TRUE(Has(out, "has no permission on '$unmask'")) << out;
}

TEST_P(RoleCliTest, GrantRejectsBadInput) {
  std::string out;
  EXPECT_EQ(Role({"grant", "nurse", "Patients", "r"}, &out), 2) << out;  // not an R4 type
  EXPECT_TRUE(Has(out, "unknown target 'Patients'")) << out;
  EXPECT_EQ(Role({"grant", "nurse", "$Un mask", "r"}, &out), 2) << out;
  EXPECT_EQ(Role({"grant", "nurse", "Patient", "sr"}, &out), 2) << out;
  EXPECT_TRUE(Has(out, "letters of cruds in that order")) << out;
  EXPECT_EQ(Role({"grant", "nurse", "Patient"}, &out), 2) << out;  // ACTIONS missing
  EXPECT_EQ(Role({"grant", "wizard", "Patient", "r"}, &out), 1) << out;
  EXPECT_EQ(Role({"frobnicate"}, &out), 2) << out;
}

TEST_P(RoleCliTest, AddCustomRole) {
  std::string out;
  ASSERT_EQ(Role({"add", "school_doctor", "School doctor", "校医"}, &out), 0) << out;
  ASSERT_EQ(Role({"list"}, &out), 0) << out;
  EXPECT_TRUE(Has(out, "school_doctor\t校医\tSchool doctor\n")) << out;
  ASSERT_EQ(Role({"show", "school_doctor"}, &out), 0) << out;
  EXPECT_EQ(out, "target\tactions\n");
  ASSERT_EQ(Role({"grant", "school_doctor", "Immunization", "crus"}, &out), 0) << out;
  ASSERT_EQ(Role({"show", "school_doctor"}, &out), 0) << out;
  EXPECT_EQ(out, "target\tactions\nImmunization\tcrus\n");
  EXPECT_EQ(Role({"add", "school_doctor", "x", "y"}, &out), 1) << out;
  EXPECT_TRUE(Has(out, "exists")) << out;
  EXPECT_EQ(Role({"add", "School Doctor", "x", "y"}, &out), 2) << out;
  EXPECT_EQ(Role({"add", "x1", "only english"}, &out), 2) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, RoleCliTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
