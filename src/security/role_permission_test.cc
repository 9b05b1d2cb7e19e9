// Roles and role_permission through IdentityStore, the seeded operation permissions of
// 0007_access_permissions.sql, and RoleAllows.
#include <string>
#include <vector>

#include "core/error.h"
#include "gtest/gtest.h"
#include "security/identity_store.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

using testing::IdentityFixture;

class RolePermissionTest : public IdentityFixture {
 protected:
  bool Allows(const std::string& role, std::string_view target, char action) {
    auto p = identities_->RolePermissions(role);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() && RoleAllows(*p, target, action);
  }
};

TEST(RoleAllowsTest, StarCoversTypesAndOperations) {
  std::vector<Permission> admin = {{"*", "cruds"}};
  EXPECT_TRUE(RoleAllows(admin, "Patient", 'd'));
  EXPECT_TRUE(RoleAllows(admin, "$unmask", 'r'));
  std::vector<Permission> nurse = {{"Patient", "rus"}, {"$break-glass", "r"}};
  EXPECT_TRUE(RoleAllows(nurse, "Patient", 'r'));
  EXPECT_FALSE(RoleAllows(nurse, "Patient", 'c'));
  EXPECT_FALSE(RoleAllows(nurse, "Observation", 'r'));
  EXPECT_TRUE(RoleAllows(nurse, "$break-glass", 'r'));
  EXPECT_FALSE(RoleAllows(nurse, "$unmask", 'r'));
  EXPECT_FALSE(RoleAllows({}, "Patient", 'r'));
}

TEST(RoleAllowsTest, TargetAndActionShapes) {
  for (std::string_view ok : {"*", "Patient", "$unmask", "$break-glass", "$export", "AB1"}) {
    EXPECT_TRUE(IsValidPermissionTarget(ok)) << ok;
  }
  for (std::string_view bad : {"", "$", "patient", "$Unmask", "$un mask", "Pat-ient", "P", "**"}) {
    EXPECT_FALSE(IsValidPermissionTarget(bad)) << bad;
  }
  for (std::string_view ok : {"cruds", "r", "rs", "cd"}) EXPECT_TRUE(IsValidActions(ok));
  for (std::string_view bad : {"", "sr", "rr", "x", "read", "*"}) {
    EXPECT_FALSE(IsValidActions(bad)) << bad;
  }
}

TEST_F(RolePermissionTest, SeededOperationPermissions) {
  for (const char* role : {"system_admin", "doctor", "village_doctor", "public_health_worker",
                           "public_health_staff", "interface_system"}) {
    EXPECT_TRUE(Allows(role, "$unmask", 'r')) << role;
  }
  for (const char* role : {"nurse", "pharmacist", "cashier", "bureau_manager", "resident"}) {
    EXPECT_FALSE(Allows(role, "$unmask", 'r')) << role;
  }
  for (const char* role : {"system_admin", "doctor", "nurse", "village_doctor"}) {
    EXPECT_TRUE(Allows(role, "$break-glass", 'r')) << role;
  }
  for (const char* role : {"pharmacist", "public_health_staff", "resident"}) {
    EXPECT_FALSE(Allows(role, "$break-glass", 'r')) << role;
  }
  auto doctor = identities_->RolePermissions("doctor");
  ASSERT_TRUE(doctor.ok());
  ASSERT_FALSE(doctor->empty());
  // Ordered by target: the operations ('$' sorts before letters) come first.
  EXPECT_EQ(doctor->front(), (Permission{"$break-glass", "r"}));
}

TEST_F(RolePermissionTest, SetReplacesAndRemoveDeletes) {
  ASSERT_TRUE(identities_->SetPermission("nurse", "$unmask", "r").ok());
  EXPECT_TRUE(Allows("nurse", "$unmask", 'r'));
  ASSERT_TRUE(identities_->SetPermission("nurse", "Patient", "r").ok());  // was rus
  EXPECT_FALSE(Allows("nurse", "Patient", 'u'));
  EXPECT_TRUE(Allows("nurse", "Patient", 'r'));
  ASSERT_TRUE(identities_->RemovePermission("nurse", "$unmask").ok());
  EXPECT_FALSE(Allows("nurse", "$unmask", 'r'));
  EXPECT_EQ(KindOf(identities_->RemovePermission("nurse", "$unmask")), ErrorKind::kNotFound);
}

TEST_F(RolePermissionTest, RejectsBadInput) {
  EXPECT_EQ(KindOf(identities_->SetPermission("wizard", "Patient", "r")), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(identities_->SetPermission("nurse", "patient", "r")), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(identities_->SetPermission("nurse", "Patient", "sr")), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(identities_->RemovePermission("wizard", "Patient")), ErrorKind::kNotFound);
  EXPECT_EQ(KindOf(identities_->RolePermissions("wizard").status()), ErrorKind::kNotFound);
}

TEST_F(RolePermissionTest, AddRoleThenGrant) {
  ASSERT_TRUE(identities_->AddRole("school_doctor", "School doctor", "校医").ok());
  auto none = identities_->RolePermissions("school_doctor");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(identities_->SetPermission("school_doctor", "Immunization", "rs").ok());
  EXPECT_TRUE(Allows("school_doctor", "Immunization", 's'));
  auto roles = identities_->ListRoles();
  ASSERT_TRUE(roles.ok());
  bool listed = false;
  for (const RoleInfo& r : *roles) listed |= r.code == "school_doctor" && r.name_zh == "校医";
  EXPECT_TRUE(listed);
  // The new role can be given to a user.
  EXPECT_TRUE(
      identities_->AddUser("zhao", "Zhao", "Abcdef-12345", {{"school_doctor", "110101001"}}).ok());
  EXPECT_EQ(KindOf(identities_->AddRole("school_doctor", "x", "y")), ErrorKind::kConflict);
  EXPECT_EQ(KindOf(identities_->AddRole("School", "x", "y")), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(identities_->AddRole("nurse2", "", "y")), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace rhip::security
