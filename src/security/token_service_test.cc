#include "security/token_service.h"

#include "core/error.h"
#include "gtest/gtest.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

using testing::IdentityFixture;

constexpr Micros kSecond = 1000 * 1000;

class TokenServiceTest : public IdentityFixture {
 protected:
  void AddClient(const std::string& id, const std::string& scopes) {
    ASSERT_TRUE(identities_->AddClient(id, "s3cret-" + id, *ParseScopes(scopes)).ok());
  }
};

TEST_F(TokenServiceTest, IssuedTokenAuthenticatesUntilItExpires) {
  AddClient("his", "system/*.cruds");
  auto token = tokens_->IssueClientToken("his", "s3cret-his", "");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->expires_in, 3600);
  EXPECT_EQ(FormatScopes(token->scopes), "system/*.cruds");
  auto p = tokens_->Authenticate(token->access_token);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, Principal::Kind::kClient);
  EXPECT_EQ(p->subject, "his");
  EXPECT_EQ(FormatScopes(p->scopes), "system/*.cruds");
  clock_.Advance(3599 * kSecond);
  EXPECT_TRUE(tokens_->Authenticate(token->access_token).ok());
  clock_.Advance(kSecond);
  EXPECT_EQ(KindOf(tokens_->Authenticate(token->access_token).status()), ErrorKind::kUnauthorized);
}

TEST_F(TokenServiceTest, RequestedScopeNarrows) {
  AddClient("lis", "system/Observation.cruds system/Patient.rs");
  auto token = tokens_->IssueClientToken("lis", "s3cret-lis", "system/Patient.r");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(FormatScopes(tokens_->Authenticate(token->access_token)->scopes), "system/Patient.r");
  EXPECT_EQ(KindOf(tokens_->IssueClientToken("lis", "s3cret-lis", "system/Patient.d").status()),
            ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(tokens_->IssueClientToken("lis", "s3cret-lis", "nonsense").status()),
            ErrorKind::kInvalid);
}

TEST_F(TokenServiceTest, WrongSecretAndUnknownClientFailAlike) {
  AddClient("his", "system/*.cruds");
  absl::Status wrong = tokens_->IssueClientToken("his", "guess", "").status();
  absl::Status unknown = tokens_->IssueClientToken("nobody", "guess", "").status();
  EXPECT_EQ(KindOf(wrong), ErrorKind::kUnauthorized);
  EXPECT_EQ(wrong, unknown);
  EXPECT_EQ(tokens_->IssueClientToken("bad id!", "x", "").status(), unknown);
}

TEST_F(TokenServiceTest, RevocationRejectsTokens) {
  AddClient("a", "system/*.cruds");
  AddClient("b", "system/*.cruds");
  auto a1 = tokens_->IssueClientToken("a", "s3cret-a", "");
  auto a2 = tokens_->IssueClientToken("a", "s3cret-a", "");
  auto b1 = tokens_->IssueClientToken("b", "s3cret-b", "");
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok());
  ASSERT_TRUE(tokens_->Revoke(a1->access_token).ok());
  EXPECT_FALSE(tokens_->Authenticate(a1->access_token).ok());
  EXPECT_TRUE(tokens_->Authenticate(a2->access_token).ok());
  // Revoking the client ends all its tokens and its ability to get new ones.
  ASSERT_TRUE(identities_->RevokeClient("a").ok());
  EXPECT_FALSE(tokens_->Authenticate(a2->access_token).ok());
  EXPECT_EQ(KindOf(tokens_->IssueClientToken("a", "s3cret-a", "").status()),
            ErrorKind::kUnauthorized);
  EXPECT_TRUE(tokens_->Authenticate(b1->access_token).ok());
  EXPECT_EQ(KindOf(identities_->RevokeClient("nobody")), ErrorKind::kNotFound);
}

TEST_F(TokenServiceTest, ForgedTokensAreRejected) {
  for (const std::string& t : {std::string(), std::string("x"), std::string(43, 'A'),
                               std::string(100000, 'A'), std::string("' OR 1=1 --")}) {
    EXPECT_EQ(KindOf(tokens_->Authenticate(t).status()), ErrorKind::kUnauthorized);
  }
}

TEST_F(TokenServiceTest, ClientsListAndEnsureIsIdempotent) {
  auto all = *ParseScopes("system/*.cruds");
  EXPECT_TRUE(*identities_->EnsureClient("boot", "one", all));
  EXPECT_FALSE(*identities_->EnsureClient("boot", "two", all));
  EXPECT_TRUE(tokens_->IssueClientToken("boot", "one", "").ok());
  EXPECT_FALSE(tokens_->IssueClientToken("boot", "two", "").ok());  // the first secret stays
  EXPECT_EQ(KindOf(identities_->AddClient("boot", "x", all)), ErrorKind::kConflict);
  EXPECT_EQ(KindOf(identities_->AddClient("bad id", "x", all)), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(identities_->AddClient("noscope", "x", {})), ErrorKind::kInvalid);
  auto list = identities_->ListClients();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].client_id, "boot");
  EXPECT_EQ((*list)[0].status, "active");
}

TEST_F(TokenServiceTest, UsersRolesAndLockout) {
  ASSERT_TRUE(identities_->AddUser("wang", "王医生", "Village-doc-1",
                                   {{"village_doctor", "110101001001"}})
                  .ok());
  EXPECT_EQ(KindOf(identities_->AddUser("wang", "x", "Village-doc-1", {{"doctor", "1"}})),
            ErrorKind::kConflict);
  EXPECT_EQ(KindOf(identities_->AddUser("li", "x", "Village-doc-1", {{"wizard", "1"}})),
            ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(identities_->AddUser("li", "x", "short", {{"doctor", "1"}})),
            ErrorKind::kInvalid);
  auto roles = identities_->ListRoles();
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles->size(), 12u);  // 11 of 0005_identity.sql + mpi_steward (0010_mpi.sql)

  EXPECT_TRUE(identities_->AuthenticateUser("wang", "Village-doc-1").ok());
  absl::Status unknown = identities_->AuthenticateUser("nobody", "Village-doc-1").status();
  for (int i = 0; i < IdentityStore::kMaxFailedAttempts; ++i) {
    EXPECT_EQ(identities_->AuthenticateUser("wang", "wrong").status(), unknown);
  }
  // Locked: even the right password fails, with the same answer, until the lockout ends.
  EXPECT_EQ(identities_->AuthenticateUser("wang", "Village-doc-1").status(), unknown);
  auto users = identities_->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_TRUE((*users)[0].locked_until.has_value());
  ASSERT_EQ((*users)[0].roles.size(), 1u);
  EXPECT_EQ((*users)[0].roles[0].role, "village_doctor");
  clock_.Advance(IdentityStore::kLockout);
  EXPECT_TRUE(identities_->AuthenticateUser("wang", "Village-doc-1").ok());

  // Reset is the unlock path and replaces the password.
  for (int i = 0; i < IdentityStore::kMaxFailedAttempts; ++i) {
    (void)identities_->AuthenticateUser("wang", "wrong");
  }
  ASSERT_TRUE(identities_->ResetPassword("wang", "New-password-2").ok());
  EXPECT_FALSE(identities_->AuthenticateUser("wang", "Village-doc-1").ok());
  EXPECT_TRUE(identities_->AuthenticateUser("wang", "New-password-2").ok());

  ASSERT_TRUE(identities_->DisableUser("wang").ok());
  EXPECT_EQ(identities_->AuthenticateUser("wang", "New-password-2").status(), unknown);
  EXPECT_EQ(KindOf(identities_->DisableUser("nobody")), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace rhip::security
