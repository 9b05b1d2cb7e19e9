#include "tests/integration/server_fixture.h"

#include <algorithm>
#include <atomic>

#include "core/strings.h"
#include "db/testing/test_databases.h"

namespace rhip::testing {

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

std::string FreshDatabaseUrl(Engine engine) {
  if (engine == Engine::kSqlite) return "";
  static std::atomic<int> counter{0};
  auto server = db::SharedPostgresServer();
  if (!server.ok()) {
    ADD_FAILURE() << "cannot start PostgreSQL: " << server.status();
    return "";
  }
  auto uri = (*server)->CreateDatabase("rhip_test_" + std::to_string(counter++));
  if (!uri.ok()) {
    ADD_FAILURE() << "cannot create database: " << uri.status();
    return "";
  }
  return *uri;
}

void ServerTest::SetUp() {
  data_dir_ = temp_.path() + "/data";
  db_url_ = FreshDatabaseUrl(GetParam());
  if (GetParam() == Engine::kPostgres && db_url_.empty()) GTEST_SKIP() << "no PostgreSQL";
  server_ = std::make_unique<RhipProcess>(data_dir_, db_url_);
  ASSERT_TRUE(server_->Start(server_args_)) << "rhip did not start; log: " << server_->log_path();
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  ASSERT_TRUE(AuthorizeTestClient(*client_)) << "no token for the test client";
}

void ServerTest::TearDown() {
  client_.reset();
  web_.reset();
  if (server_) {
    EXPECT_EQ(server_->Stop(), 0);
  }
}

void ServerTest::Restart() {
  server_ = std::make_unique<RhipProcess>(data_dir_, db_url_);
  web_.reset();
  ASSERT_TRUE(server_->Start(server_args_)) << "rhip did not restart";
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  ASSERT_TRUE(AuthorizeTestClient(*client_)) << "no token for the test client";
}

std::string ServerTest::AccessToken() {
  HttpResult r = client().Send(
      "POST", "/auth/token",
      StrCat("grant_type=client_credentials&client_id=", kTestClientId, "&client_secret=",
             kTestClientSecret),
      {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 200) << r.body;
  json::Value v = Json(r);
  const std::string* token = v.FindString("access_token");
  EXPECT_NE(token, nullptr) << r.body;
  return token != nullptr ? *token : "";
}

HttpClient& ServerTest::web() {
  if (web_ == nullptr) web_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  return *web_;
}

WebUser ServerTest::LoginUser(const std::string& login, const std::string& role,
                              const std::string& org) {
  WebUser user{login, org, "", ""};
  std::string out;
  EXPECT_EQ(Cli({"user", "add", login, "--role", role, "--org", org}, &out), 0) << out;
  const std::string key = "password: ";
  size_t at = out.find(key);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no generated password in: " << out;
    return user;
  }
  at += key.size();
  const std::string first = out.substr(at, out.find('\n', at) - at);
  HttpResult login_result =
      web().Send("POST", "/auth/login",
                 StrCat(R"({"login":")", login, R"(","password":")", first, R"("})"),
                 {{"Content-Type", "application/json"}});
  const std::string set_cookie = login_result.Header("Set-Cookie");
  const std::string cookie_key = "rhip_session=";
  if (login_result.status != 200 || !set_cookie.starts_with(cookie_key)) {
    ADD_FAILURE() << "login of " << login << ": " << login_result.status << " " << login_result.body;
    return user;
  }
  const std::string cookie = set_cookie.substr(cookie_key.size(), set_cookie.find(';') - cookie_key.size());
  const json::Value session = Json(login_result);
  const std::string* csrf = session.FindString("csrf_token");
  if (csrf == nullptr) {
    ADD_FAILURE() << "no csrf_token: " << login_result.body;
    return user;
  }
  // The first password was set by an administrator: /fhir stays closed until it is changed.
  HttpResult changed = web().Send(
      "POST", "/auth/password",
      StrCat(R"({"old_password":")", first, R"(","new_password":"Changed-Pass-42"})"),
      {{"Content-Type", "application/json"},
       {"Cookie", cookie_key + cookie},
       {"X-CSRF-Token", *csrf}});
  const json::Value changed_session = Json(changed);
  const std::string* new_csrf = changed_session.FindString("csrf_token");
  if (changed.status != 200 || new_csrf == nullptr) {
    ADD_FAILURE() << "password change of " << login << ": " << changed.status << " " << changed.body;
    return user;
  }
  user.cookie = cookie;
  user.csrf = *new_csrf;
  return user;
}

HttpResult ServerTest::AsUser(const WebUser& user, const std::string& method,
                              const std::string& target, const std::string& body,
                              std::vector<std::pair<std::string, std::string>> headers) {
  headers.push_back({"Cookie", "rhip_session=" + user.cookie});
  if (method != "GET" && method != "HEAD") headers.push_back({"X-CSRF-Token", user.csrf});
  bool typed = std::any_of(headers.begin(), headers.end(),
                           [](const auto& h) { return h.first == "Content-Type"; });
  if (!body.empty() && !typed) headers.push_back({"Content-Type", "application/fhir+json"});
  return web().Send(method, target, body, std::move(headers));
}

int ServerTest::Cli(std::vector<std::string> args, std::string* out) {
  args.insert(args.end(), {"--data", data_dir()});
  if (!db_url().empty()) args.insert(args.end(), {"--db", db_url()});
  return RunRhip(args, out);
}

json::Value ServerTest::Json(const HttpResult& r) {
  auto v = json::Parse(r.body);
  EXPECT_TRUE(v.ok()) << "not JSON: " << r.body;
  return v.ok() ? *v : json::Value();
}

void ServerTest::ExpectOutcome(const HttpResult& r, const std::string& issue_code) {
  json::Value oo = Json(r);
  ASSERT_NE(oo.FindString("resourceType"), nullptr) << r.body;
  EXPECT_EQ(*oo.FindString("resourceType"), "OperationOutcome") << r.body;
  const json::Value* issues = oo.Find("issue");
  ASSERT_TRUE(issues != nullptr && issues->is_array() && !issues->as_array().empty()) << r.body;
  EXPECT_EQ(*issues->as_array()[0].FindString("code"), issue_code) << r.body;
  EXPECT_NE(issues->as_array()[0].FindString("diagnostics"), nullptr) << r.body;
}

}  // namespace rhip::testing
