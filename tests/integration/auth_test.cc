// POST /auth/token, the bootstrap client and `rhip client` against the real binary; token
// checks through security::TokenService on the same store.
#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "core/strings.h"
#include "db/database.h"
#include "security/identity_store.h"
#include "security/token_service.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

constexpr char kForm[] = "application/x-www-form-urlencoded";

class AuthTest : public ServerTest {
 protected:
  HttpResult PostToken(const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.push_back({"Content-Type", kForm});
    return client().Send("POST", "/auth/token", body, std::move(headers));
  }
  // The store the server uses, opened by the test to check tokens with the C++ API.
  absl::StatusOr<security::Principal> Authenticate(const std::string& token) {
    auto db = db::Database::Open({.target = db_url().empty() ? data_dir() : db_url()});
    if (!db.ok()) return db.status();
    security::IdentityStore ids(db->get(), &Clock::Real());
    security::TokenService tokens(db->get(), &Clock::Real(), &ids);
    return tokens.Authenticate(token);
  }
  // Adds client id with scopes (`rhip client add`) and makes http send its token.
  void AuthorizeAsNewClient(const std::string& id, const std::string& scopes, HttpClient& http) {
    std::string out;
    ASSERT_EQ(Cli({"client", "add", id, "--scope", scopes}, &out), 0) << out;
    HttpResult t = PostToken(StrCat("grant_type=client_credentials&client_id=", id,
                                    "&client_secret=", Field(out, "client_secret")));
    ASSERT_EQ(t.status, 200) << t.body;
    http.SetDefaultHeader("Authorization", "Bearer " + *Json(t).FindString("access_token"));
  }
  // The value after "NAME: " in `rhip client add` output.
  static std::string Field(const std::string& out, const std::string& name) {
    size_t at = out.find(name + ": ");
    if (at == std::string::npos) return "";
    at += name.size() + 2;
    return out.substr(at, out.find('\n', at) - at);
  }
};

TEST_P(AuthTest, BootstrapClientGetsAToken) {
  HttpResult r = PostToken(StrCat("grant_type=client_credentials&client_id=", kTestClientId,
                                  "&client_secret=", kTestClientSecret));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  json::Value v = Json(r);
  EXPECT_EQ(*v.FindString("token_type"), "Bearer");
  EXPECT_EQ(*v.FindString("scope"), "system/*.cruds");
  ASSERT_NE(v.Find("expires_in"), nullptr);
  EXPECT_EQ(v.Find("expires_in")->as_number().text, "3600");
  const std::string token = *v.FindString("access_token");
  EXPECT_EQ(token.size(), 43u);
  auto p = Authenticate(token);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->subject, kTestClientId);
  // The secret never reaches the log.
  std::ifstream log(server().log_path());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(kTestClientSecret), std::string::npos) << text;
  EXPECT_NE(text.find("created bootstrap client"), std::string::npos) << text;
  // A second start with the same variable leaves the client as it is.
  ASSERT_EQ(server().Stop(), 0);
  Restart();
  EXPECT_EQ(AccessToken().size(), 43u);
}

TEST_P(AuthTest, WrongSecretAndUnknownClientAnswerAlike) {
  HttpResult wrong = PostToken(
      StrCat("grant_type=client_credentials&client_id=", kTestClientId, "&client_secret=nope"));
  HttpResult unknown =
      PostToken("grant_type=client_credentials&client_id=no-such-client&client_secret=nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(*Json(wrong).FindString("error"), "invalid_client");
  // HTTP Basic with a wrong secret: base64("rhip-test:nope").
  HttpResult basic = PostToken("grant_type=client_credentials",
                               {{"Authorization", "Basic cmhpcC10ZXN0Om5vcGU="}});
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(basic.body, unknown.body);
  EXPECT_EQ(*Json(PostToken("grant_type=authorization_code&code=x")).FindString("error"),
            "unsupported_grant_type");
  EXPECT_EQ(client().Get("/auth/token").status, 405);
}

TEST_P(AuthTest, ClientCliAddListRevoke) {
  std::string out;
  ASSERT_EQ(Cli({"client", "add", "lis", "--scope", "system/Observation.cruds system/Patient.rs"},
                &out),
            0)
      << out;
  const std::string secret = Field(out, "client_secret");
  ASSERT_EQ(secret.size(), 43u) << out;
  EXPECT_EQ(Cli({"client", "add", "lis", "--scope", "system/Patient.rs"}, &out), 1) << out;
  EXPECT_EQ(Cli({"client", "add", "x", "--scope", "system/Patient.zz"}, &out), 2) << out;
  EXPECT_EQ(Cli({"client", "revoke", "no-such-client"}, &out), 1) << out;

  HttpResult r = PostToken("grant_type=client_credentials&client_id=lis&client_secret=" + secret +
                           "&scope=system/Patient.r");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*Json(r).FindString("scope"), "system/Patient.r");
  const std::string token = *Json(r).FindString("access_token");
  EXPECT_EQ(*Json(PostToken("grant_type=client_credentials&client_id=lis&client_secret=" + secret +
                            "&scope=system/Encounter.r"))
                 .FindString("error"),
            "invalid_scope");
  ASSERT_TRUE(Authenticate(token).ok());

  ASSERT_EQ(Cli({"client", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("lis\tactive"), std::string::npos) << out;
  EXPECT_NE(out.find(StrCat(kTestClientId, "\tactive")), std::string::npos) << out;
  EXPECT_EQ(out.find(secret), std::string::npos);

  ASSERT_EQ(Cli({"client", "revoke", "lis"}, &out), 0) << out;
  EXPECT_EQ(KindOf(Authenticate(token).status()), ErrorKind::kUnauthorized);
  EXPECT_EQ(PostToken("grant_type=client_credentials&client_id=lis&client_secret=" + secret).status,
            401);
  ASSERT_EQ(Cli({"client", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("lis\trevoked"), std::string::npos) << out;
}

TEST_P(AuthTest, UserCliAddListDisableReset) {
  std::string out;
  ASSERT_EQ(Cli({"user", "add", "wang", "--role", "village_doctor", "--org", "110101001001",
                 "--name", "王医生"},
                &out),
            0)
      << out;
  EXPECT_GE(Field(out, "password").size(), 10u) << out;
  EXPECT_EQ(Cli({"user", "add", "wang", "--role", "doctor", "--org", "1"}, &out), 1) << out;
  EXPECT_EQ(Cli({"user", "add", "li", "--role", "wizard", "--org", "1"}, &out), 2) << out;
  EXPECT_EQ(Cli({"user", "add", "li"}, &out), 2) << out;  // --role and --org are required
  ASSERT_EQ(Cli({"user", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("wang\t王医生\tactive\tvillage_doctor@110101001001"), std::string::npos) << out;
  ASSERT_EQ(Cli({"user", "reset", "wang"}, &out), 0) << out;
  EXPECT_FALSE(Field(out, "password").empty()) << out;
  ASSERT_EQ(Cli({"user", "disable", "wang"}, &out), 0) << out;
  ASSERT_EQ(Cli({"user", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("wang\t王医生\tdisabled"), std::string::npos) << out;
  EXPECT_EQ(Cli({"user", "disable", "nobody"}, &out), 1) << out;
  ASSERT_EQ(Cli({"user", "roles"}, &out), 0) << out;
  EXPECT_NE(out.find("village_doctor\t乡村医生"), std::string::npos) << out;
}

TEST(BootstrapClientTest, MalformedValueIsAUsageError) {
  TempDir dir;
  std::string out;
  // The child inherits the variable; it must not leak into later tests.
  for (const char* bad : {"no-colon", ":secret", "id:", "bad id:secret"}) {
    setenv("RHIP_BOOTSTRAP_CLIENT", bad, 1);
    EXPECT_EQ(RunRhip({"serve", "--data", dir.path() + "/data", "--listen", "127.0.0.1:0"}, &out), 2)
        << bad << ": " << out;
    EXPECT_EQ(out.find("secret"), std::string::npos) << out;
  }
  unsetenv("RHIP_BOOTSTRAP_CLIENT");
}

// /fhir requires a bearer token; only the CapabilityStatement stays public.
TEST_P(AuthTest, FhirRequiresBearerToken) {
  HttpClient anonymous("127.0.0.1", server().port());
  HttpResult r = anonymous.Get("/fhir/Patient");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Header("WWW-Authenticate");
  ExpectOutcome(r, "login");
  EXPECT_EQ(anonymous.Send("POST", "/fhir/Patient", kPatient).status, 401);
  EXPECT_EQ(anonymous.Get("/fhir/$export").status, 401);
  EXPECT_EQ(anonymous.Get("/fhir/$bulk-status/x").status, 401);
  EXPECT_EQ(anonymous.Send("POST", "/fhir", R"({"resourceType":"Bundle","type":"batch"})").status,
            401);

  r = anonymous.Send("GET", "/fhir/Patient", "", {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer"));
  ExpectOutcome(r, "login");
  EXPECT_EQ(anonymous.Send("GET", "/fhir/Patient", "", {{"Authorization", "Basic eDp5"}}).status,
            401);

  r = anonymous.Get("/fhir/metadata");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(*Json(r).FindString("resourceType"), "CapabilityStatement");
  EXPECT_EQ(anonymous.Get("/healthz").status, 200);
  EXPECT_EQ(anonymous.Get("/metrics").status, 200);

  // The fixture's client sends the bootstrap client's token.
  EXPECT_EQ(client().Get("/fhir/Patient").status, 200);
}

// A token whose scopes cover Patient reads and searches gets 403 for anything else.
TEST_P(AuthTest, ScopesLimitTypesAndActions) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = *Json(created).FindString("id");
  HttpClient reader("127.0.0.1", server().port());
  ASSERT_NO_FATAL_FAILURE(AuthorizeAsNewClient("reader", "system/Patient.rs", reader));

  EXPECT_EQ(reader.Get("/fhir/Patient/" + id).status, 200);
  EXPECT_EQ(reader.Get("/fhir/Patient?gender=male").status, 200);
  HttpResult r = reader.Get("/fhir/Observation");
  EXPECT_EQ(r.status, 403) << r.body;
  ExpectOutcome(r, "forbidden");
  r = reader.Send("POST", "/fhir/Patient", kPatient);
  EXPECT_EQ(r.status, 403) << r.body;
  ExpectOutcome(r, "forbidden");
  EXPECT_EQ(reader.Send("DELETE", "/fhir/Patient/" + id).status, 403);
  EXPECT_EQ(reader.Get("/fhir/Patient/" + id + "/Observation").status, 403);
  EXPECT_EQ(reader.Get("/fhir/$export").status, 403);
  // A batch is checked entry by entry.
  EXPECT_EQ(reader.Send("POST", "/fhir",
                        R"({"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/)" +
                            id + R"("}}]})")
                .status,
            200);
  EXPECT_EQ(reader.Send("POST", "/fhir",
                        StrCat(R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)",
                               kPatient, R"(,"request":{"method":"POST","url":"Patient"}}]})"))
                .status,
            403);
  // Nothing was created by the refused requests.
  EXPECT_EQ(*Json(client().Get("/fhir/Patient")).Find("total")->AsInt64(), 1);
}

// Revoking a client ends its tokens at once.
TEST_P(AuthTest, RevokedClientTokenIsRefused) {
  HttpClient c("127.0.0.1", server().port());
  ASSERT_NO_FATAL_FAILURE(AuthorizeAsNewClient("gone", "system/*.cruds", c));
  EXPECT_EQ(c.Get("/fhir/Patient").status, 200);
  std::string out;
  ASSERT_EQ(Cli({"client", "revoke", "gone"}, &out), 0) << out;
  HttpResult r = c.Get("/fhir/Patient");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer"));
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
