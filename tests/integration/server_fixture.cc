#include "tests/integration/server_fixture.h"

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
  ASSERT_TRUE(server_->Start()) << "rhip did not start; log: " << server_->log_path();
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  ASSERT_TRUE(AuthorizeTestClient(*client_)) << "no token for the test client";
}

void ServerTest::TearDown() {
  client_.reset();
  if (server_) {
    EXPECT_EQ(server_->Stop(), 0);
  }
}

void ServerTest::Restart() {
  server_ = std::make_unique<RhipProcess>(data_dir_, db_url_);
  ASSERT_TRUE(server_->Start()) << "rhip did not restart";
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
