#include "security/session_service.h"

#include <algorithm>

#include "core/error.h"
#include "gtest/gtest.h"
#include "security/password.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

constexpr Micros kMinute = int64_t{60} * 1000 * 1000;
constexpr Micros kDay = 24 * 60 * kMinute;
constexpr const char* kPassword = testing::SessionFixture::kUserPassword;

class SessionServiceTest : public testing::SessionFixture {
 protected:
  SessionInfo MustLogin(std::string_view password = kPassword) {
    absl::StatusOr<SessionInfo> s = sessions_->Login("wang", password);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : SessionInfo();
  }
  // Whether the session is live; a session that is not must say so as kUnauthorized.
  bool Live(const std::string& id) {
    absl::StatusOr<SessionInfo> s = sessions_->Authenticate(id);
    if (!s.ok()) {
      EXPECT_EQ(KindOf(s.status()), ErrorKind::kUnauthorized) << s.status();
    }
    return s.ok();
  }
  int64_t CountRows(std::string_view sql) {
    int64_t n = -1;
    EXPECT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                     auto rows = s.Query(sql);
                     if (!rows.ok()) return rows.status();
                     n = static_cast<int64_t>(rows->size());
                     return absl::OkStatus();
                   }).ok());
    return n;
  }
};

TEST_F(SessionServiceTest, LoginGivesANewRandomIdStoredOnlyAsItsHash) {
  SessionInfo a = MustLogin();
  SessionInfo b = MustLogin();
  EXPECT_EQ(a.session_id.size(), 43u);
  EXPECT_EQ(a.csrf_token.size(), 43u);
  EXPECT_NE(a.session_id, b.session_id);
  EXPECT_NE(a.csrf_token, b.csrf_token);
  EXPECT_EQ(CountRows("SELECT 1 FROM sessions WHERE session_hash = '" + Sha256Hex(a.session_id) +
                      "'"),
            1);
  EXPECT_EQ(CountRows("SELECT 1 FROM sessions WHERE session_hash = '" + a.session_id + "'"), 0);

  absl::StatusOr<SessionInfo> s = sessions_->Authenticate(a.session_id);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->session_id.empty());
  EXPECT_EQ(s->csrf_token, a.csrf_token);
  EXPECT_EQ(s->principal.kind, Principal::Kind::kUser);
  EXPECT_EQ(s->principal.subject, "wang");
  EXPECT_EQ(s->display_name, "王医生");
  ASSERT_EQ(s->principal.roles.size(), 1u);
  EXPECT_EQ(s->principal.roles[0].org_unit, "110101001");
  EXPECT_TRUE(ScopesAllow(s->principal.scopes, "Patient", 'c'));
  EXPECT_FALSE(ScopesAllow(s->principal.scopes, "Patient", 'd'));
  EXPECT_FALSE(ScopesAllow(s->principal.scopes, "Invoice", 'r'));
}

TEST_F(SessionServiceTest, UnknownIdsAndWrongPasswordsAreRejected) {
  // Session fixation: an id the client made up is never a session.
  EXPECT_EQ(KindOf(sessions_->Authenticate("attacker-chosen-id").status()),
            ErrorKind::kUnauthorized);
  EXPECT_EQ(KindOf(sessions_->Authenticate("").status()), ErrorKind::kUnauthorized);
  EXPECT_EQ(KindOf(sessions_->Login("wang", "wrong-Password-1").status()),
            ErrorKind::kUnauthorized);
  EXPECT_EQ(KindOf(sessions_->Login("nobody", kPassword).status()), ErrorKind::kUnauthorized);
}

TEST_F(SessionServiceTest, IdleTimeoutCountsFromTheLastRequest) {
  SessionInfo s = MustLogin();
  clock_.Advance(29 * kMinute);
  EXPECT_TRUE(Live(s.session_id));
  clock_.Advance(29 * kMinute);  // 58 minutes after login, 29 after the last use
  EXPECT_TRUE(Live(s.session_id));
  clock_.Advance(30 * kMinute);
  EXPECT_FALSE(Live(s.session_id));
  // Expired sessions are deleted, not only refused.
  EXPECT_EQ(CountRows("SELECT 1 FROM sessions"), 0);
}

TEST_F(SessionServiceTest, AbsoluteTimeoutEndsABusySession) {
  SessionInfo s = MustLogin();
  absl::StatusOr<SessionInfo> first = sessions_->Authenticate(s.session_id);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->absolute_expires, first->created + 12 * 60 * kMinute);
  for (int i = 0; i < 12 * 3 - 1; ++i) {
    clock_.Advance(20 * kMinute);
    ASSERT_TRUE(Live(s.session_id)) << i;
  }
  clock_.Advance(20 * kMinute);  // 12 h after login
  EXPECT_FALSE(Live(s.session_id));
}

TEST_F(SessionServiceTest, TimeoutsAreOptions) {
  sessions_ = std::make_unique<SessionService>(
      db_.get(), &clock_, identities_.get(),
      SessionOptions{.idle_timeout = 5 * kMinute, .absolute_timeout = 8 * kMinute});
  SessionInfo s = MustLogin();
  clock_.Advance(5 * kMinute);
  EXPECT_FALSE(Live(s.session_id));
  s = MustLogin();
  clock_.Advance(4 * kMinute);
  EXPECT_TRUE(Live(s.session_id));
  clock_.Advance(4 * kMinute);
  EXPECT_FALSE(Live(s.session_id));
}

TEST_F(SessionServiceTest, LogoutDisableAndResetEndSessions) {
  SessionInfo a = MustLogin();
  SessionInfo b = MustLogin();
  ASSERT_TRUE(sessions_->Logout(a.session_id).ok());
  EXPECT_FALSE(Live(a.session_id));
  EXPECT_TRUE(Live(b.session_id));
  EXPECT_TRUE(sessions_->Logout("unknown").ok());

  ASSERT_TRUE(identities_->ResetPassword("wang", "Reset-Pass-22").ok());
  EXPECT_FALSE(Live(b.session_id));
  SessionInfo c = MustLogin("Reset-Pass-22");
  EXPECT_TRUE(c.must_change_password);
  ASSERT_TRUE(identities_->DisableUser("wang").ok());
  EXPECT_FALSE(Live(c.session_id));
}

TEST_F(SessionServiceTest, FirstLoginMustChangeThePassword) {
  SessionInfo s = MustLogin();
  SessionInfo other = MustLogin();
  EXPECT_TRUE(s.must_change_password);
  EXPECT_FALSE(s.password_expired);
  EXPECT_EQ(KindOf(sessions_->ChangePassword(s.session_id, "wrong-Pass-99", "Second-Pass-2")),
            ErrorKind::kUnauthorized);
  EXPECT_EQ(KindOf(sessions_->ChangePassword(s.session_id, kPassword, "short")),
            ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(sessions_->ChangePassword(s.session_id, kPassword, kPassword)),
            ErrorKind::kConflict);
  ASSERT_TRUE(sessions_->ChangePassword(s.session_id, kPassword, "Second-Pass-2").ok());
  absl::StatusOr<SessionInfo> after = sessions_->Authenticate(s.session_id);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->must_change_password);
  // The user's other sessions end with the change; this one stays.
  EXPECT_FALSE(Live(other.session_id));
  EXPECT_FALSE(sessions_->Login("wang", kPassword).ok());
  EXPECT_FALSE(MustLogin("Second-Pass-2").must_change_password);
}

TEST_F(SessionServiceTest, TheLastFivePasswordsCannotBeReused) {
  const std::vector<std::string> passwords = {kPassword,       "History-Pass-1", "History-Pass-2",
                                              "History-Pass-3", "History-Pass-4", "History-Pass-5"};
  for (size_t i = 1; i < passwords.size(); ++i) {
    clock_.Advance(kMinute);
    ASSERT_TRUE(identities_->ChangePassword("wang", passwords[i - 1], passwords[i]).ok()) << i;
  }
  // Current: History-Pass-5; the last five are Pass-1..Pass-5, the first one has dropped out.
  for (size_t i = 1; i < passwords.size(); ++i) {
    EXPECT_EQ(KindOf(identities_->ChangePassword("wang", passwords.back(), passwords[i])),
              ErrorKind::kConflict)
        << passwords[i];
  }
  EXPECT_EQ(CountRows("SELECT 1 FROM password_history"), IdentityStore::kPasswordHistory);
  EXPECT_TRUE(identities_->ChangePassword("wang", passwords.back(), kPassword).ok());
}

TEST_F(SessionServiceTest, OldPasswordsExpireWhenConfigured) {
  sessions_ = std::make_unique<SessionService>(db_.get(), &clock_, identities_.get(),
                                               SessionOptions{.password_max_age_days = 90});
  ASSERT_TRUE(identities_->ChangePassword("wang", kPassword, "Second-Pass-2").ok());
  clock_.Advance(89 * kDay);
  SessionInfo s = MustLogin("Second-Pass-2");
  EXPECT_FALSE(s.password_expired);
  EXPECT_FALSE(s.must_change_password);
  clock_.Advance(kDay);
  s = MustLogin("Second-Pass-2");
  EXPECT_TRUE(s.password_expired);
  EXPECT_TRUE(s.must_change_password);
  ASSERT_TRUE(sessions_->ChangePassword(s.session_id, "Second-Pass-2", "Third-Pass-33").ok());
  absl::StatusOr<SessionInfo> after = sessions_->Authenticate(s.session_id);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->password_expired);
  EXPECT_FALSE(after->must_change_password);
}

}  // namespace
}  // namespace rhip::security
