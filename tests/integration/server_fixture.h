// A fixture that starts the real rhip on a fresh store per test, on SQLite or PostgreSQL.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {

enum class Engine { kSqlite, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info);

inline constexpr char kPatient[] =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003074514"}],"name":[{"family":"张","given":["三"]}],"gender":"male","birthDate":"1990-03-07"})";
inline constexpr char kObservation[] =
    R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}})";


// A staff user signed in over the web login (tests/integration: ServerTest::LoginUser).
struct WebUser {
  std::string login;
  std::string org;
  std::string cookie;  // the rhip_session value
  std::string csrf;    // for X-CSRF-Token on unsafe methods
};

// A fresh database URL for the engine: "" for SQLite (the data dir), a new PostgreSQL
// database on a server shared by the whole test program otherwise.
std::string FreshDatabaseUrl(Engine engine);

class ServerTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Sends the bootstrap test client's bearer token with every request.
  HttpClient& client() { return *client_; }
  RhipProcess& server() { return *server_; }
  // A connection to the server with no credentials of its own.
  HttpClient& web();
  const std::string& data_dir() const { return data_dir_; }
  const std::string& db_url() const { return db_url_; }  // empty for SQLite
  // Restarts the server on the same store (after Stop or Kill).
  void Restart();

  // A new bearer token for the bootstrap test client (POST /auth/token); "" with a test
  // failure when the server does not issue one.
  std::string AccessToken();
  // {"Authorization", "Bearer " + AccessToken()} for HttpClient::Send.
  std::pair<std::string, std::string> AuthHeader() { return {"Authorization", "Bearer " + AccessToken()}; }

  // `rhip ARGS --data DIR [--db URL]` on this test's store; its exit code, output in *out.
  int Cli(std::vector<std::string> args, std::string* out);

  // `rhip user add LOGIN --role ROLE --org ORG`, POST /auth/login with the generated password,
  // then the required first password change; the session's cookie and CSRF token. On failure
  // the test fails and the cookie is empty.
  WebUser LoginUser(const std::string& login, const std::string& role, const std::string& org);
  // A request as `user` (the session cookie, X-CSRF-Token on unsafe methods, a FHIR JSON
  // Content-Type when there is a body), on a connection without the bootstrap token.
  HttpResult AsUser(const WebUser& user, const std::string& method, const std::string& target,
                    const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {});

  static json::Value Json(const HttpResult& r);
  static void ExpectOutcome(const HttpResult& r, const std::string& issue_code);

 protected:
  // Extra `rhip serve` arguments for Start and Restart; set before ServerTest::SetUp.
  std::vector<std::string> server_args_;

 private:
  TempDir temp_;
  std::string data_dir_;
  std::string db_url_;
  std::unique_ptr<RhipProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<HttpClient> web_;
};

}  // namespace rhip::testing
