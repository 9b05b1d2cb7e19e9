// Web sessions against the real binary: a user made with `rhip user add` logs in over HTTP,
// must change the first password, uses /fhir with the cookie (and the CSRF header for writes),
// logs out; failed logins look alike; a client-chosen session id is never accepted; every
// response carries the security headers.
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

constexpr char kNewPassword[] = "Changed-Pass-42";
constexpr char kOrg[] = "110101001";
// A resident managed by kOrg, so within the org-unit scope of the users made here.
constexpr char kOwnPatient[] =
    R"({"resourceType":"Patient","managingOrganization":{"reference":"Organization/110101001"},"name":[{"family":"张","given":["三"]}]})";

class SessionTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    web_ = std::make_unique<HttpClient>("127.0.0.1", server().port());
  }
  void TearDown() override {
    web_.reset();
    ServerTest::TearDown();
  }
  // `rhip user add LOGIN` as a doctor; the generated first password.
  std::string AddUser(const std::string& login) {
    std::string out;
    EXPECT_EQ(Cli({"user", "add", login, "--role", "doctor", "--org", kOrg}, &out), 0)
        << out;
    const std::string key = "password: ";
    size_t at = out.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return out.substr(at, out.find('\n', at) - at);
  }
  HttpResult Login(const std::string& login, const std::string& password,
                   const std::string& cookie = "") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (!cookie.empty()) headers.push_back({"Cookie", "rhip_session=" + cookie});
    return web_->Send("POST", "/auth/login",
                      StrCat(R"({"login":")", login, R"(","password":")", password, R"("})"),
                      std::move(headers));
  }
  // The rhip_session value of a Set-Cookie header.
  static std::string SessionId(const HttpResult& r) {
    const std::string set_cookie = r.Header("Set-Cookie");
    const std::string key = "rhip_session=";
    if (set_cookie.rfind(key, 0) != 0) return "";
    return set_cookie.substr(key.size(), set_cookie.find(';') - key.size());
  }
  // A request with the session cookie (and X-CSRF-Token when csrf is not empty).
  HttpResult WithCookie(const std::string& method, const std::string& target,
                        const std::string& cookie, const std::string& csrf = "",
                        const std::string& body = "",
                        const std::string& content_type = "application/fhir+json") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Cookie", "lang=zh-CN; rhip_session=" + cookie}};
    if (!csrf.empty()) headers.push_back({"X-CSRF-Token", csrf});
    if (!body.empty()) headers.push_back({"Content-Type", content_type});
    return web_->Send(method, target, body, std::move(headers));
  }
  static void ExpectSecurityHeaders(const HttpResult& r) {
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.Header("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r.Header("Content-Security-Policy"),
              "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
    EXPECT_EQ(r.Header("Strict-Transport-Security"), "");  // plain HTTP
  }

  std::unique_ptr<HttpClient> web_;
};

TEST_P(SessionTest, LoginChangePasswordUseFhirWithCsrfAndLogout) {
  const std::string first = AddUser("wang");
  ASSERT_FALSE(first.empty());
  HttpResult login = Login("wang", first);
  ASSERT_EQ(login.status, 200) << login.body;
  ExpectSecurityHeaders(login);
  EXPECT_EQ(login.Header("Cache-Control"), "no-store");
  const std::string set_cookie = login.Header("Set-Cookie");
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << set_cookie;
  const std::string cookie = SessionId(login);
  ASSERT_EQ(cookie.size(), 43u) << set_cookie;
  json::Value me = Json(login);
  const std::string csrf = *me.FindString("csrf_token");
  ASSERT_NE(me.Find("must_change_password"), nullptr);
  EXPECT_TRUE(me.Find("must_change_password")->as_bool());

  // The first password was set by an administrator: only the password change is open.
  HttpResult blocked = WithCookie("GET", "/fhir/Patient", cookie);
  EXPECT_EQ(blocked.status, 403) << blocked.body;
  const std::string change =
      StrCat(R"({"old_password":")", first, R"(","new_password":")", kNewPassword, R"("})");
  EXPECT_EQ(WithCookie("POST", "/auth/password", cookie, "", change, "application/json").status,
            403);
  HttpResult changed = WithCookie("POST", "/auth/password", cookie, csrf, change, "application/json");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_FALSE(Json(changed).Find("must_change_password")->as_bool());

  HttpResult search = WithCookie("GET", "/fhir/Patient", cookie);
  EXPECT_EQ(search.status, 200) << search.body;
  ExpectSecurityHeaders(search);
  EXPECT_EQ(search.Header("Cache-Control").find("no-store"), std::string::npos);
  HttpResult no_csrf = WithCookie("POST", "/fhir/Patient", cookie, "", kOwnPatient);
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_NE(no_csrf.body.find("X-CSRF-Token"), std::string::npos) << no_csrf.body;
  HttpResult wrong_csrf = WithCookie("POST", "/fhir/Patient", cookie, "wrong", kOwnPatient);
  EXPECT_EQ(wrong_csrf.status, 403);
  EXPECT_NE(wrong_csrf.body.find("X-CSRF-Token"), std::string::npos) << wrong_csrf.body;
  HttpResult created = WithCookie("POST", "/fhir/Patient", cookie, csrf, kOwnPatient);
  EXPECT_EQ(created.status, 201) << created.body;
  // Beyond the doctor's role: Invoice is not among its permissions.
  EXPECT_EQ(WithCookie("GET", "/fhir/Invoice", cookie).status, 403);

  HttpResult session = WithCookie("GET", "/auth/session", cookie);
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(*Json(session).FindString("csrf_token"), csrf);
  EXPECT_EQ(session.Header("Cache-Control"), "no-store");

  HttpResult logout = WithCookie("POST", "/auth/logout", cookie, csrf);
  EXPECT_EQ(logout.status, 204) << logout.body;
  EXPECT_NE(logout.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(WithCookie("GET", "/fhir/Patient", cookie).status, 401);
  EXPECT_EQ(WithCookie("GET", "/auth/session", cookie).status, 401);
  // The bearer path is unchanged.
  EXPECT_EQ(client().Get("/fhir/Patient").status, 200);
}

TEST_P(SessionTest, FailedLoginsLookAlikeAndClientChosenIdsAreRefused) {
  const std::string first = AddUser("li");
  ASSERT_FALSE(first.empty());
  HttpResult wrong = Login("li", "Wrong-Pass-11");
  HttpResult unknown = Login("nobody", "Wrong-Pass-11");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.Header("Set-Cookie"), "");
  ExpectSecurityHeaders(wrong);

  // Session fixation: an id the attacker planted in the browser is not a session, and logging
  // in with it gives a new id while the planted one stays refused.
  const std::string planted = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_EQ(WithCookie("GET", "/auth/session", planted).status, 401);
  EXPECT_EQ(WithCookie("GET", "/fhir/Patient", planted).status, 401);
  HttpResult login = Login("li", first, planted);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string issued = SessionId(login);
  EXPECT_EQ(issued.size(), 43u);
  EXPECT_NE(issued, planted);
  EXPECT_EQ(WithCookie("GET", "/auth/session", planted).status, 401);
  EXPECT_EQ(WithCookie("GET", "/auth/session", issued).status, 200);
  // A second login (as a victim would after an attacker's) replaces the earlier session.
  HttpResult again = Login("li", first, issued);
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(SessionId(again), issued);
  EXPECT_EQ(WithCookie("GET", "/auth/session", issued).status, 401);

  // `rhip user disable` ends the live session at once.
  std::string out;
  ASSERT_EQ(Cli({"user", "disable", "li"}, &out), 0) << out;
  EXPECT_EQ(WithCookie("GET", "/auth/session", SessionId(again)).status, 401);
  ExpectSecurityHeaders(web_->Get("/healthz"));
}

TEST(SessionConfigTest, LoginLimitsAndTimeoutsComeFromTheConfigFile) {
  TempDir dir;
  const std::string cfg = dir.path() + "/rhip.toml";
  auto write = [&](const std::string& text) { std::ofstream(cfg) << text; };
  std::string out;
  write("data = \"" + dir.path() + "/data\"\nsession_idle_minutes = 0\n");
  EXPECT_EQ(RunRhip({"serve", "--config", cfg}, &out), 2);
  EXPECT_NE(out.find("session_idle_minutes"), std::string::npos) << out;

  write("login_attempts_per_account = 2\nsession_idle_minutes = 5\npassword_max_age_days = 90\n");
  RhipProcess server(dir.path() + "/data");
  ASSERT_TRUE(server.Start({"--config", cfg}));
  HttpClient web("127.0.0.1", server.port());
  auto login = [&] {
    return web.Send("POST", "/auth/login", R"({"login":"ghost","password":"Wrong-Pass-11"})",
                    {{"Content-Type", "application/json"}});
  };
  EXPECT_EQ(login().status, 401);
  EXPECT_EQ(login().status, 401);
  HttpResult limited = login();
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("Retry-After").empty());
  EXPECT_EQ(server.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, SessionTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
