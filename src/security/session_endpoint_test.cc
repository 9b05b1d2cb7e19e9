#include "security/session_endpoint.h"

#include "core/error.h"
#include "core/json.h"
#include "gtest/gtest.h"
#include "security/http_headers.h"
#include "security/testing/identity_fixture.h"

namespace rhip::security {
namespace {

constexpr Micros kSecond = 1000 * 1000;
constexpr const char* kPassword = testing::SessionFixture::kUserPassword;

class SessionEndpointTest : public testing::SessionFixture {
 protected:
  void SetUp() override {
    SessionFixture::SetUp();
    MakeEndpoint({});
  }
  void TearDown() override {
    endpoint_.reset();
    audit_.reset();
    SessionFixture::TearDown();
  }
  void MakeEndpoint(SessionEndpointOptions options, bool with_audit = false) {
    if (with_audit) audit_ = std::make_unique<AuditLog>(db_.get(), &clock_);
    endpoint_ = std::make_unique<SessionEndpoint>(sessions_.get(), &clock_, audit_.get(), options);
  }
  static net::HttpRequest Request(std::string method, std::string path, std::string body = "",
                                  std::string cookie = "", std::string csrf = "") {
    net::HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.remote_address = "10.0.0.7";
    req.body = std::move(body);
    if (!req.body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    if (!cookie.empty()) req.headers.push_back({"Cookie", "theme=dark; rhip_session=" + cookie});
    if (!csrf.empty()) req.headers.push_back({kCsrfHeader, csrf});
    return req;
  }
  net::HttpResponse Login(std::string login, std::string password, std::string address = "10.0.0.7") {
    net::HttpRequest req = Request(
        "POST", "/auth/login",
        json::Serialize(json::Value(Obj({{"login", login}, {"password", password}}))));
    req.remote_address = std::move(address);
    return endpoint_->Handle(req);
  }
  static json::Object Obj(std::vector<std::pair<std::string, std::string>> members) {
    json::Object o;
    for (auto& [k, v] : members) o.Set(k, v);
    return o;
  }
  static std::string Field(const net::HttpResponse& r, std::string_view name) {
    auto v = json::Parse(r.body);
    const std::string* s = v.ok() ? v->FindString(name) : nullptr;
    return s ? *s : "";
  }
  static bool Flag(const net::HttpResponse& r, std::string_view name) {
    auto v = json::Parse(r.body);
    const json::Value* f = v.ok() ? v->Find(name) : nullptr;
    return f != nullptr && f->is_bool() && f->as_bool();
  }
  // The session id in a Set-Cookie header.
  static std::string CookieOf(const net::HttpResponse& r) {
    return std::string(CookieValue(r.Header("Set-Cookie"), kSessionCookie).value_or(""));
  }
  // Logs in and changes the first password, so the session is unrestricted.
  void LoginReady(std::string* cookie, std::string* csrf) {
    net::HttpResponse r = Login("wang", kPassword);
    ASSERT_EQ(r.status, 200) << r.body;
    *cookie = CookieOf(r);
    *csrf = Field(r, "csrf_token");
    net::HttpResponse changed = endpoint_->Handle(Request(
        "POST", "/auth/password",
        json::Serialize(json::Value(
            Obj({{"old_password", kPassword}, {"new_password", "Second-Pass-2"}}))),
        *cookie, *csrf));
    ASSERT_EQ(changed.status, 200) << changed.body;
    ASSERT_FALSE(Flag(changed, "must_change_password"));
  }
  absl::StatusOr<Principal> Authenticate(std::string method, std::string cookie,
                                         std::string csrf) {
    return AuthenticateRequest(*tokens_, *sessions_,
                               Request(std::move(method), "/fhir/Patient", "", cookie, csrf));
  }

  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SessionEndpoint> endpoint_;
};

TEST_F(SessionEndpointTest, LoginSetsAHardenedCookieAndAnswersWhoIsLoggedIn) {
  net::HttpResponse r = Login("wang", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string set_cookie(r.Header("Set-Cookie"));
  EXPECT_EQ(CookieOf(r).size(), 43u) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos);
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // not over TLS
  EXPECT_EQ(Field(r, "user"), "wang");
  EXPECT_EQ(Field(r, "display_name"), "王医生");
  EXPECT_EQ(Field(r, "csrf_token").size(), 43u);
  EXPECT_TRUE(Flag(r, "must_change_password"));
  auto v = json::Parse(r.body);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->Find("roles") != nullptr && v->Find("roles")->is_array());
  EXPECT_EQ(*v->Find("roles")->as_array()[0].FindString("role"), "doctor");
  EXPECT_EQ(*v->Find("roles")->as_array()[0].FindString("org_unit"), "110101001");

  net::HttpResponse me =
      endpoint_->Handle(Request("GET", "/auth/session", "", CookieOf(r)));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Field(me, "csrf_token"), Field(r, "csrf_token"));

  net::HttpRequest tls = Request("POST", "/auth/login",
                                 R"({"login":"wang","password":"Initial-Pass-1"})");
  tls.tls = true;
  EXPECT_NE(endpoint_->Handle(tls).Header("Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(SessionEndpointTest, FailedLoginsLookAlike) {
  net::HttpResponse wrong = Login("wang", "Wrong-Pass-11");
  net::HttpResponse unknown = Login("nobody", "Wrong-Pass-11");
  ASSERT_TRUE(identities_->AddUser("li", "李", kPassword, {{"nurse", "1"}}).ok());
  ASSERT_TRUE(identities_->DisableUser("li").ok());
  net::HttpResponse disabled = Login("li", kPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.body, disabled.body);
  EXPECT_TRUE(wrong.Header("Set-Cookie").empty());
  EXPECT_NE(Field(wrong, "message_zh").find("rhip user reset"), std::string::npos);
  // Locked (5 wrong in a row): the same answer, with the right password too.
  for (int i = 0; i < 4; ++i) Login("wang", "Wrong-Pass-11", "10.0.0." + std::to_string(i));
  clock_.Advance(61 * kSecond);  // past the rate limit, within the lockout
  EXPECT_EQ(Login("wang", kPassword).body, unknown.body);
}

TEST_F(SessionEndpointTest, MalformedLoginRequests) {
  net::HttpRequest form = Request("POST", "/auth/login", "login=wang&password=x");
  form.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  EXPECT_EQ(endpoint_->Handle(form).status, 415);
  EXPECT_EQ(endpoint_->Handle(Request("POST", "/auth/login", R"({"login":"wang"})")).status, 400);
  EXPECT_EQ(endpoint_->Handle(Request("POST", "/auth/login", "not json")).status, 400);
  net::HttpResponse get = endpoint_->Handle(Request("GET", "/auth/login"));
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("Allow"), "POST");
}

TEST_F(SessionEndpointTest, LoginsAreRateLimitedPerAccountAndPerAddress) {
  MakeEndpoint({.per_address = {.max_events = 4, .window = 60 * kSecond},
                .per_account = {.max_events = 2, .window = 60 * kSecond}});
  EXPECT_EQ(Login("wang", "Wrong-Pass-11", "10.0.0.1").status, 401);
  EXPECT_EQ(Login("wang", "Wrong-Pass-11", "10.0.0.2").status, 401);
  net::HttpResponse limited = Login("wang", kPassword, "10.0.0.3");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "60");
  // An unknown login is limited just the same (no hint of existence).
  EXPECT_EQ(Login("ghost", "x", "10.0.0.4").status, 401);
  EXPECT_EQ(Login("ghost", "x", "10.0.0.4").status, 401);
  EXPECT_EQ(Login("ghost", "x", "10.0.0.4").body, limited.body);
  // Per address: 10.0.0.9 tries four different logins, the fifth attempt is refused.
  for (const char* who : {"a1", "a2", "a3", "a4"}) EXPECT_EQ(Login(who, "x", "10.0.0.9").status, 401);
  EXPECT_EQ(Login("a5", "x", "10.0.0.9").status, 429);
  clock_.Advance(30 * kSecond);
  EXPECT_EQ(Login("wang", kPassword, "10.0.0.3").Header("Retry-After"), "30");
  clock_.Advance(30 * kSecond);
  EXPECT_EQ(Login("wang", kPassword, "10.0.0.3").status, 200);
}

TEST_F(SessionEndpointTest, CookieRequestsNeedTheCsrfTokenForUnsafeMethods) {
  std::string cookie, csrf;
  LoginReady(&cookie, &csrf);
  absl::StatusOr<Principal> get = Authenticate("GET", cookie, "");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->kind, Principal::Kind::kUser);
  EXPECT_EQ(get->subject, "wang");
  EXPECT_EQ(get->roles.size(), 1u);
  EXPECT_TRUE(ScopesAllow(get->scopes, "Observation", 'c'));
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(KindOf(Authenticate(method, cookie, "").status()), ErrorKind::kForbidden) << method;
    EXPECT_EQ(KindOf(Authenticate(method, cookie, csrf + "x").status()), ErrorKind::kForbidden);
    EXPECT_TRUE(Authenticate(method, cookie, csrf).ok()) << method;
  }
  EXPECT_EQ(KindOf(Authenticate("GET", "made-up", "").status()), ErrorKind::kUnauthorized);
  EXPECT_EQ(KindOf(Authenticate("GET", "", "").status()), ErrorKind::kUnauthorized);
  // A bearer header takes precedence: a bad token is not rescued by a good cookie.
  net::HttpRequest both = Request("GET", "/fhir/Patient", "", cookie);
  both.headers.push_back({"Authorization", "Bearer nope"});
  EXPECT_EQ(KindOf(AuthenticateRequest(*tokens_, *sessions_, both).status()),
            ErrorKind::kUnauthorized);
}

TEST_F(SessionEndpointTest, UntilThePasswordIsChangedOnlyAuthEndpointsWork) {
  net::HttpResponse r = Login("wang", kPassword);
  const std::string cookie = CookieOf(r), csrf = Field(r, "csrf_token");
  EXPECT_EQ(KindOf(Authenticate("GET", cookie, "").status()), ErrorKind::kForbidden);
  EXPECT_EQ(endpoint_->Handle(Request("GET", "/auth/session", "", cookie)).status, 200);
  auto change = [&](std::string old_pw, std::string new_pw, std::string token) {
    return endpoint_->Handle(Request(
        "POST", "/auth/password",
        json::Serialize(json::Value(Obj({{"old_password", old_pw}, {"new_password", new_pw}}))),
        cookie, token));
  };
  EXPECT_EQ(change(kPassword, "Second-Pass-2", "").status, 403);  // no CSRF token
  EXPECT_EQ(change("Wrong-Pass-11", "Second-Pass-2", csrf).status, 403);
  EXPECT_EQ(change(kPassword, "weak", csrf).status, 400);
  net::HttpResponse reused = change(kPassword, kPassword, csrf);
  EXPECT_EQ(reused.status, 409);
  EXPECT_NE(Field(reused, "message_zh").find("5"), std::string::npos);
  EXPECT_EQ(change(kPassword, "Second-Pass-2", csrf).status, 200);
  EXPECT_TRUE(Authenticate("GET", cookie, "").ok());
}

TEST_F(SessionEndpointTest, LogoutEndsTheSessionAndLoginReplacesAPlantedOne) {
  std::string cookie, csrf;
  LoginReady(&cookie, &csrf);
  EXPECT_EQ(endpoint_->Handle(Request("POST", "/auth/logout", "", cookie)).status, 403);
  net::HttpResponse out = endpoint_->Handle(Request("POST", "/auth/logout", "", cookie, csrf));
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(KindOf(Authenticate("GET", cookie, "").status()), ErrorKind::kUnauthorized);
  EXPECT_EQ(endpoint_->Handle(Request("GET", "/auth/session", "", cookie)).status, 401);

  // A victim's browser carries a session the attacker also knows; logging in replaces it.
  net::HttpResponse planted = Login("wang", "Second-Pass-2");
  net::HttpRequest req = Request("POST", "/auth/login",
                                 R"({"login":"wang","password":"Second-Pass-2"})", CookieOf(planted));
  net::HttpResponse fresh = endpoint_->Handle(req);
  ASSERT_EQ(fresh.status, 200);
  EXPECT_NE(CookieOf(fresh), CookieOf(planted));
  EXPECT_EQ(endpoint_->Handle(Request("GET", "/auth/session", "", CookieOf(planted))).status, 401);
  EXPECT_EQ(endpoint_->Handle(Request("GET", "/auth/session", "", CookieOf(fresh))).status, 200);
}

TEST_F(SessionEndpointTest, LoginsAndFailuresAreAudited) {
  MakeEndpoint({}, /*with_audit=*/true);
  EXPECT_EQ(Login("wang", kPassword).status, 200);
  EXPECT_EQ(Login("Nobody", "Wrong-Pass-11").status, 401);
  ASSERT_TRUE(audit_->Flush().ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                   auto rows = s.Query(
                       "SELECT actor, client_address, action, outcome FROM audit_event ORDER BY seq");
                   if (!rows.ok()) return rows.status();
                   for (const db::Row& r : *rows) {
                     seen.push_back(r.Text(0) + " " + r.Text(1) + " " + r.Text(2) + " " + r.Text(3));
                   }
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"wang 10.0.0.7 login 200",
                                            "Nobody 10.0.0.7 login-failed 401"}));
}

TEST(HttpHeadersTest, EveryResponseGetsTheSecurityHeaders) {
  net::HttpRequest req;
  req.path = "/fhir/Patient";
  net::HttpResponse r;
  AddSecurityHeaders(req, &r);
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.Header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
  EXPECT_NE(r.Header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.Header("Cache-Control"), "");
  EXPECT_EQ(r.Header("Strict-Transport-Security"), "");
  req.path = "/auth/session";
  req.tls = true;
  AddSecurityHeaders(req, &r);
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  EXPECT_EQ(r.Header("Strict-Transport-Security"), "max-age=31536000");
}

}  // namespace
}  // namespace rhip::security
