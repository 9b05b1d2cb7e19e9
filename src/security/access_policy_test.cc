// AccessPolicy::Resolve and its cache of users' Access (kAccessCacheTtl).
#include "security/access_policy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

using testing::SessionFixture;

// Villages 110101001 and 110101002 below township 110101.
class FakeOrgTree : public OrgTree {
 public:
  absl::StatusOr<std::vector<std::string>> Subtree(std::string_view org_id) const override {
    if (org_id == "110101") return std::vector<std::string>{"110101", "110101001", "110101002"};
    return std::vector<std::string>{std::string(org_id)};
  }
};

class AccessPolicyTest : public SessionFixture {
 protected:
  Principal Wang() const {
    Principal p;
    p.kind = Principal::Kind::kUser;
    p.subject = "wang";
    return p;
  }
  bool MayUnmask(const AccessPolicy& policy) {
    auto access = policy.Resolve(Wang());
    EXPECT_TRUE(access.ok()) << access.status();
    return access.ok() && access->may_unmask;
  }
  FakeOrgTree tree_;
};

TEST_F(AccessPolicyTest, ResolvesRolesAndOrgUnits) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_);
  auto access = policy.Resolve(Wang());
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->role, "doctor");
  EXPECT_EQ(access->org_unit, "110101001");
  EXPECT_FALSE(access->scope.unrestricted);
  EXPECT_EQ(access->scope.area, std::vector<std::string>{"110101001"});
  EXPECT_FALSE(access->scopes.empty());
}

// Regression: operation rows were left out of the scopes and kept nowhere else, so no role but
// '*' could pass the router's check of `$mpi` (mpi_steward got 403 on $mpi-link).
TEST_F(AccessPolicyTest, KeepsOperationRowsOfTheRoles) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_);
  ASSERT_TRUE(identities_->SetPermission("doctor", "$mpi", "ru").ok());
  auto access = policy.Resolve(Wang());
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_TRUE(RoleAllows(access->operations, "$mpi", 'u'));
  EXPECT_FALSE(RoleAllows(access->operations, "$mpi", 'd'));
  EXPECT_FALSE(ScopesAllow(access->scopes, "$mpi", 'u'));
}

TEST_F(AccessPolicyTest, WithoutCacheAPermissionChangeCountsAtOnce) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_);
  ASSERT_TRUE(identities_->SetPermission("doctor", kUnmaskPermission, "r").ok());
  EXPECT_TRUE(MayUnmask(policy));
  ASSERT_TRUE(identities_->RemovePermission("doctor", kUnmaskPermission).ok());
  EXPECT_FALSE(MayUnmask(policy));
}

TEST_F(AccessPolicyTest, CachedAccessLastsAtMostTheTtl) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_, &clock_, kAccessCacheTtl);
  ASSERT_TRUE(identities_->SetPermission("doctor", kUnmaskPermission, "r").ok());
  EXPECT_TRUE(MayUnmask(policy));
  ASSERT_TRUE(identities_->RemovePermission("doctor", kUnmaskPermission).ok());
  clock_.Advance(kAccessCacheTtl - 1);
  EXPECT_TRUE(MayUnmask(policy));  // stale, within the documented bound
  clock_.Advance(1);
  EXPECT_FALSE(MayUnmask(policy));
}

TEST_F(AccessPolicyTest, CachedAccessCarriesTheCurrentPrincipal) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_, &clock_, kAccessCacheTtl);
  Principal first = Wang();
  first.expires = 1;
  ASSERT_TRUE(policy.Resolve(first).ok());
  Principal second = Wang();
  second.expires = 2;
  auto access = policy.Resolve(second);
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->principal.expires, 2);
}

TEST_F(AccessPolicyTest, UnknownUserIsNotCachedAsAllowed) {
  AccessPolicy policy(db_.get(), identities_.get(), &tree_, &clock_, kAccessCacheTtl);
  Principal ghost = Wang();
  ghost.subject = "ghost";
  EXPECT_FALSE(policy.Resolve(ghost).ok());
  EXPECT_FALSE(policy.Resolve(ghost).ok());
}

}  // namespace
}  // namespace rhip::security
