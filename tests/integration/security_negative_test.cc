// Hostile input against the real binary, on SQLite and PostgreSQL: SQL injection through every
// search parameter type, stored and reflected XSS payloads, bad and misplaced tokens, CSRF with
// another session's token, oversized requests, path traversal in the file routes. What the
// other integration tests already cover (session fixation, look-alike login failures, the
// revoked client's token status) is not repeated here; docs/SECURITY.md "Negative tests" maps it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

std::string Replace(std::string text, std::string_view hole, std::string_view with) {
  text.replace(text.find(hole), hole.size(), with);
  return text;
}

class SecurityNegativeTest : public ServerTest {
 protected:
  std::string Create(const std::string& type, const std::string& body) {
    HttpResult r = client().Send("POST", "/fhir/" + type, body);
    EXPECT_EQ(r.status, 201) << r.body;
    const json::Value v = Json(r);
    const std::string* id = v.FindString("id");
    return id != nullptr ? *id : "";
  }
  int64_t Total(const std::string& query) {
    HttpResult r = client().Get("/fhir/" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    const json::Value* t = Json(r).Find("total");
    return t != nullptr && t->AsInt64() ? *t->AsInt64() : -1;
  }
  // A hostile request's answer: a Bundle with at most max_matches matches, or a 400 (404 for
  // a path) OperationOutcome; never a server error or a dropped connection.
  static void ExpectContained(const std::string& what, const HttpResult& r, int64_t max_matches) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(r.status == 200 || r.status == 400 || r.status == 404)
        << r.status << " " << r.body.substr(0, 2000);
    EXPECT_TRUE(r.Header("Content-Type").starts_with("application/fhir+json"))
        << r.Header("Content-Type");
    json::Value v = Json(r);
    const std::string* type = v.FindString("resourceType");
    ASSERT_NE(type, nullptr) << r.body;
    if (r.status != 200) {
      EXPECT_EQ(*type, "OperationOutcome") << r.body;
      return;
    }
    ASSERT_EQ(*type, "Bundle") << r.body;
    int64_t matches = 0;
    if (const json::Value* entries = v.Find("entry"); entries != nullptr) {
      for (const json::Value& e : entries->as_array()) {
        const json::Value* search = e.Find("search");
        const std::string* mode = search != nullptr ? search->FindString("mode") : nullptr;
        if (mode == nullptr || *mode == "match") ++matches;
      }
    }
    EXPECT_LE(matches, max_matches) << r.body.substr(0, 2000);
    if (const json::Value* t = v.Find("total"); t != nullptr) {
      EXPECT_LE(*t->AsInt64(), max_matches) << r.body.substr(0, 2000);
    }
  }
};

constexpr char kHole[] = "{}";

// Whether every '"' before "><img" in body is escaped, i.e. stays inside a JSON string.
bool QuoteBeforeImgIsEscaped(const std::string& body) {
  for (size_t at = body.find("\"><img"); at != std::string::npos; at = body.find("\"><img", at + 1)) {
    if (at == 0 || body[at - 1] != '\\') return false;
  }
  return true;
}

// Payloads aimed at string-built SQL (quotes, comments, stacked statements, UNION), at LIKE
// (wildcards that would match everything if not escaped), at C strings (NUL) and at buffers.
std::vector<std::string> InjectionPayloads() {
  return {"' OR 1=1 --",
          "'); DROP TABLE resource; --",
          "x' UNION SELECT id, type, json FROM resource --",
          "1 UNION SELECT 1,2,3",
          "\" OR \"\"=\"",
          "\\' OR \\'1\\'=\\'1",
          "\\",
          "%",
          "_",
          "%' OR '%'='",
          "$$ OR 1=1 $$",
          "1; SELECT pg_sleep(5); --",
          std::string("a\0' OR 1=1 --", 13),
          std::string(1, '\0'),
          "张' OR 'a'='a",
          std::string(6000, 'A') + "' OR 1=1 --"};
}

TEST_P(SecurityNegativeTest, SqlInjectionInEverySearchParameterTypeFindsNothingExtra) {
  const std::string zhang = Create("Patient", kPatient);
  Create("Patient", R"({"resourceType":"Patient","meta":{"tag":[{"system":"urn:t","code":"vip"}]},"name":[{"family":"Li","given":["Si"]}],"gender":"female","birthDate":"1985-01-01"})");
  const std::string obs = Create("Observation", Replace(
      R"({"resourceType":"Observation","status":"final","subject":{"reference":"Patient/{}"},"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":150,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}],"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}})",
      kHole, zhang));
  Create("RiskAssessment", Replace(
      R"({"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/{}"},"prediction":[{"probabilityDecimal":0.3}]})",
      kHole, zhang));
  Create("ValueSet", R"({"resourceType":"ValueSet","status":"active","url":"http://example.org/fhir/ValueSet/vs1"})");
  ASSERT_FALSE(HasFailure());
  const int64_t patients = Total("Patient");
  const int64_t observations = Total("Observation");
  ASSERT_EQ(patients, 2);

  // The audit trail grows with these very requests; its parameters that do not filter are
  // only checked for a clean answer.
  constexpr int64_t kUnfiltered = std::numeric_limits<int64_t>::max();
  // {query with {} for the payload, most matches a hostile value may yield}. Filters on a
  // payload match nothing; parameters that do not filter (_sort, _elements, ...) and :not may
  // return the whole type, never more.
  const std::vector<std::pair<std::string, int64_t>> templates = {
      // string
      {"Patient?name={}", 0},
      {"Patient?name:exact={}", 0},
      {"Patient?name:contains={}", 0},
      {"Patient?family={}&given={}", 0},
      {"Patient?name={},Li", 1},
      // token
      {"Patient?identifier={}", 0},
      {"Patient?identifier=urn:oid:2.16.156.10011.1.3%7C{}", 0},
      {"Patient?identifier={}%7C11010119900307451X", 0},
      {"Patient?identifier:of-type={}", 0},
      {"Patient?gender={}", 0},
      {"Patient?gender:text={}", 0},
      {"Patient?gender:not={}", 2},
      {"Patient?gender:in={}", 0},
      {"Patient?gender:missing={}", 2},
      {"Observation?code=http://loinc.org%7C{}", 0},
      // date
      {"Patient?birthdate={}", 0},
      {"Patient?birthdate=ge{}", 0},
      {"Patient?birthdate=eq1990-03-07{}", 0},
      {"Patient?birthdate=sa{}", 0},
      // number
      {"RiskAssessment?probability={}", 0},
      {"RiskAssessment?probability=gt{}", 0},
      // quantity
      {"Observation?value-quantity={}", 0},
      {"Observation?value-quantity=gt{}", 0},
      {"Observation?value-quantity=120%7C{}%7Cmm[Hg]", 0},
      {"Observation?value-quantity=120%7Chttp://unitsofmeasure.org%7C{}", 0},
      {"Observation?value-quantity=120%7C%7C{}", 0},
      // reference, chains, reverse chains
      {"Observation?subject={}", 0},
      {"Observation?subject=Patient/{}", 0},
      {"Observation?subject:Patient={}", 0},
      {"Observation?subject:identifier={}", 0},
      {"Observation?subject:Patient.name={}", 0},
      {"Observation?subject:Patient.identifier=urn:oid:2.16.156.10011.1.3%7C{}", 0},
      {"Observation?subject:{}.name=x", 0},
      {"Patient?_has:Observation:subject:code={}", 0},
      {"Patient?_has:Observation:{}:code=85354-9", 0},
      {"Patient?_has:{}:subject:code=85354-9", 0},
      // uri
      {"ValueSet?url={}", 0},
      {"ValueSet?url:below={}", 0},
      {"ValueSet?url:above={}", 0},
      {"ValueSet?url:below=http://example.org/{}", 0},
      // composite
      {"Observation?component-code-value-quantity={}", 0},
      {"Observation?component-code-value-quantity=http://loinc.org%7C8480-6${}", 0},
      {"Observation?component-code-value-quantity={}$gt100", 0},
      {"Observation?code-value-quantity=http://loinc.org%7C85354-9${}", 0},
      // special and result parameters
      {"Patient?_id={}", 0},
      {"Patient?_id={}," + zhang, 1},
      {"Patient?_lastUpdated={}", 0},
      {"Patient?_lastUpdated=gt{}", 0},
      {"Patient?_tag={}", 0},
      {"Patient?_tag=urn:t%7C{}", 0},
      {"Patient?_profile={}", 0},
      {"Patient?_sort={}", 2},
      {"Patient?_sort=-{}", 2},
      {"Patient?_count={}", 2},
      {"Patient?_elements={}", 2},
      {"Patient?_summary={}", 2},
      {"Patient?_total={}", 2},
      {"Patient?_cursor={}", 2},
      {"Patient?_include={}", 2},
      {"Patient?_revinclude={}", 2},
      {"Observation?_include=Observation:{}", observations},
      {"Patient?_contained={}", 2},
      {"?_type={}", 0},
      {"?_id={}", 0},
      {"Patient/" + zhang + "/{}", 0},
      {"Patient/" + zhang + "/Observation?code={}", 0},
      // the AuditEvent view's own query
      {"AuditEvent?agent={}", 0},
      {"AuditEvent?altid={}", 0},
      {"AuditEvent?patient={}", 0},
      {"AuditEvent?subtype={}", 0},
      {"AuditEvent?subtype=https://rhip.cn/fhir/CodeSystem/audit-action%7C{}", 0},
      {"AuditEvent?outcome={}", 0},
      {"AuditEvent?date={}", 0},
      {"AuditEvent?date=ge{}", 0},
      {"AuditEvent?_count={}", kUnfiltered},
      {"AuditEvent?_cursor={}", kUnfiltered},
      // names and modifiers
      {"Patient?{}=x", 0},
      {"Patient?name:{}=x", 0},
      {"Patient?name={}&_sort=family,{}", 0},
  };
  for (const auto& [tmpl, max_matches] : templates) {
    for (const std::string& payload : InjectionPayloads()) {
      std::string target = "/fhir/" + tmpl;
      const std::string encoded = PercentEncode(payload);
      for (size_t at = target.find(kHole); at != std::string::npos; at = target.find(kHole, at)) {
        target.replace(at, 2, encoded);
        at += encoded.size();
      }
      ExpectContained(target.substr(0, 300), client().Get(target), max_matches);
    }
  }
  // The same through a POST form body.
  for (const std::string& payload : InjectionPayloads()) {
    ExpectContained("POST name=" + payload.substr(0, 100),
                    client().Send("POST", "/fhir/Patient/_search", "name=" + PercentEncode(payload),
                                  {{"Content-Type", "application/x-www-form-urlencoded"}}),
                    0);
  }

  // The store is intact: same counts, the known resources readable, the audit chain whole.
  EXPECT_EQ(Total("Patient"), patients);
  EXPECT_EQ(Total("Observation"), observations);
  EXPECT_EQ(Total("Patient?name=%E5%BC%A0"), 1);
  EXPECT_EQ(client().Get("/fhir/Patient/" + zhang).status, 200);
  EXPECT_EQ(client().Get("/fhir/Observation/" + obs).status, 200);
  std::string out;
  EXPECT_EQ(Cli({"audit", "verify"}, &out), 0) << out;
}

// Stored payloads come back as the same JSON strings, under a JSON content type with nosniff
// and the CSP; error messages that echo input are JSON too.
TEST_P(SecurityNegativeTest, ScriptPayloadsStayDataInJson) {
  const std::string script = "<script>alert(1)</script>";
  const std::string img = "\"><img src=x onerror=alert(1)>";
  const std::string js = "javascript:alert(document.cookie)";
  json::Value patient = *json::Parse(
      R"({"resourceType":"Patient","name":[{"family":"f","given":["g"],"text":"t"}],"telecom":[{"system":"url","value":"v"}]})");
  json::Value& name = patient.Find("name")->as_array()[0];
  *name.Find("family") = script;
  name.Find("given")->as_array()[0] = img;
  *name.Find("text") = img + script;
  *patient.Find("telecom")->as_array()[0].Find("value") = js;
  const std::string id = Create("Patient", json::Serialize(patient));
  ASSERT_FALSE(id.empty());

  auto check = [&](const HttpResult& r, const json::Value& p) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.Header("Content-Type").starts_with("application/fhir+json"))
        << r.Header("Content-Type");
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    // The quote that would close an HTML attribute is escaped by JSON's own rules.
    EXPECT_TRUE(QuoteBeforeImgIsEscaped(r.body)) << r.body;
    const json::Value& n = p.Find("name")->as_array()[0];
    EXPECT_EQ(*n.FindString("family"), script);
    EXPECT_EQ(n.Find("given")->as_array()[0].as_string(), img);
    EXPECT_EQ(*n.FindString("text"), img + script);
    EXPECT_EQ(*p.Find("telecom")->as_array()[0].FindString("value"), js);
  };
  HttpResult read = client().Get("/fhir/Patient/" + id);
  check(read, Json(read));
  HttpResult found = client().Get("/fhir/Patient?name=" + PercentEncode(script));
  json::Value bundle = Json(found);
  ASSERT_EQ(*bundle.Find("total")->AsInt64(), 1) << found.body;
  check(found, *bundle.Find("entry")->as_array()[0].Find("resource"));

  // Reflected: a parameter name, a resource type, an id and a body carrying markup.
  for (const std::string& target :
       {"/fhir/Patient?" + PercentEncode(img + script) + "=1",
        "/fhir/Patient?name:" + PercentEncode(script) + "=1",
        "/fhir/Patient?birthdate=" + PercentEncode(img + script),
        "/fhir/" + PercentEncode(script) + "?x=1", "/fhir/Patient/" + PercentEncode(img + script)}) {
    SCOPED_TRACE(target);
    HttpResult r = client().Get(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << r.status << " " << r.body;
    EXPECT_TRUE(r.Header("Content-Type").starts_with("application/fhir+json"));
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(QuoteBeforeImgIsEscaped(r.body)) << r.body;
    json::Value oo = Json(r);
    ASSERT_NE(oo.FindString("resourceType"), nullptr) << r.body;
    EXPECT_EQ(*oo.FindString("resourceType"), "OperationOutcome");
  }
  HttpResult bad = client().Send(
      "POST", "/fhir/Patient", R"({"resourceType":"Patient","<script>\"":"<img src=x onerror=alert(1)>"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(*Json(bad).FindString("resourceType"), "OperationOutcome") << bad.body;
}

// Every unusable credential gets the same 401: WWW-Authenticate, an OperationOutcome, no data.
TEST_P(SecurityNegativeTest, BadTokensAreRefusedWithoutData) {
  const std::string id = Create("Patient", kPatient);
  const std::string good = AccessToken();
  ASSERT_EQ(good.size(), 43u);
  std::string flipped = good;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  std::string out;
  ASSERT_EQ(Cli({"client", "add", "doomed", "--scope", "system/*.cruds"}, &out), 0) << out;
  const size_t at = out.find("client_secret: ") + 15;
  HttpResult issued = client().Send(
      "POST", "/auth/token",
      "grant_type=client_credentials&client_id=doomed&client_secret=" +
          out.substr(at, out.find('\n', at) - at),
      {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  const std::string doomed = *Json(issued).FindString("access_token");
  ASSERT_EQ(Cli({"client", "revoke", "doomed"}, &out), 0) << out;

  HttpClient anonymous("127.0.0.1", server().port());
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      cases = {
          {"forged", {{"Authorization", "Bearer " + std::string(43, 'x')}}},
          {"truncated", {{"Authorization", "Bearer " + good.substr(0, 42)}}},
          {"flipped", {{"Authorization", "Bearer " + flipped}}},
          {"extended", {{"Authorization", "Bearer " + good + "A"}}},
          {"revoked client's token", {{"Authorization", "Bearer " + doomed}}},
          {"empty bearer", {{"Authorization", "Bearer "}}},
          {"bare scheme", {{"Authorization", "Bearer"}}},
          {"two tokens", {{"Authorization", "Bearer " + std::string(43, 'x') + " " + good}}},
          {"basic", {{"Authorization", "Basic cmhpcC10ZXN0OnJoaXAtdGVzdC1zZWNyZXQ="}}},
          {"token as scheme", {{"Authorization", good}}},
          {"token as session cookie", {{"Cookie", "rhip_session=" + good}}},
          {"token in X-Access-Token", {{"X-Access-Token", good}}},
      };
  auto expect_refused = [&](const std::string& what, const HttpResult& r) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_TRUE(r.Header("WWW-Authenticate").starts_with("Bearer")) << r.Header("WWW-Authenticate");
    ExpectOutcome(r, "login");
    EXPECT_EQ(r.body.find(id), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("11010119900307451X"), std::string::npos) << r.body;
  };
  for (const auto& [what, headers] : cases) {
    expect_refused(what, anonymous.Send("GET", "/fhir/Patient/" + id, "", headers));
    expect_refused(what + " search", anonymous.Send("GET", "/fhir/Patient", "", headers));
  }
  // A token outside the Authorization header is not a credential (RFC 6750 §2.3 is opt-in and
  // leaks tokens into logs and Referer headers).
  expect_refused("query", anonymous.Get("/fhir/Patient/" + id + "?access_token=" + good));
  expect_refused("query search", anonymous.Get("/fhir/Patient?access_token=" + good));
  expect_refused("form body", anonymous.Send("POST", "/fhir/Patient/_search", "access_token=" + good,
                                             {{"Content-Type", "application/x-www-form-urlencoded"}}));
  // Nothing above changed the store, and the good token still works.
  EXPECT_EQ(anonymous.Send("GET", "/fhir/Patient/" + id, "", {{"Authorization", "Bearer " + good}})
                .status,
            200);
}

// Cookie-authenticated writes need this session's own CSRF token: none, or another live
// session's, is 403 for every unsafe method; reads need none.
TEST_P(SecurityNegativeTest, CsrfTokenOfAnotherSessionIsRefused) {
  HttpClient web("127.0.0.1", server().port());
  // Doctors of org 110101001, logged in, first password changed.
  const WebUser a = LoginUser("wang", "doctor", "110101001");
  const WebUser b = LoginUser("zhao", "doctor", "110101001");
  ASSERT_FALSE(HasFailure());
  ASSERT_NE(a.csrf, b.csrf);
  auto send = [&](const std::string& method, const std::string& target, const WebUser& s,
                  const std::string& csrf, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", "rhip_session=" + s.cookie}};
    if (!csrf.empty()) headers.push_back({"X-CSRF-Token", csrf});
    if (!body.empty()) headers.push_back({"Content-Type", "application/fhir+json"});
    return web.Send(method, target, body, std::move(headers));
  };
  const std::string own = R"({"resourceType":"Patient","managingOrganization":{"reference":"Organization/110101001"},"name":[{"family":"王"}]})";
  HttpResult created = send("POST", "/fhir/Patient", a, a.csrf, own);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = *Json(created).FindString("id");
  json::Value changed = Json(created);
  *changed.Find("name")->as_array()[0].Find("family") = "改";
  const std::string update = json::Serialize(changed);

  for (const std::string& csrf : {std::string(), b.csrf, a.csrf + "x", a.cookie}) {
    SCOPED_TRACE("X-CSRF-Token: " + csrf);
    EXPECT_EQ(send("POST", "/fhir/Patient", a, csrf, own).status, 403);
    EXPECT_EQ(send("PUT", "/fhir/Patient/" + id, a, csrf, update).status, 403);
    EXPECT_EQ(send("DELETE", "/fhir/Patient/" + id, a, csrf).status, 403);
    EXPECT_EQ(send("POST", "/auth/logout", a, csrf).status, 403);
  }
  // The CSRF token is no credential by itself.
  EXPECT_EQ(web.Send("GET", "/fhir/Patient/" + id, "", {{"X-CSRF-Token", a.csrf}}).status, 401);
  HttpResult read = send("GET", "/fhir/Patient/" + id, a, "");
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(*Json(read).Find("name")->as_array()[0].FindString("family"), "王");  // unchanged
  EXPECT_EQ(send("GET", "/fhir/Patient/" + id, b, "").status, 200);
  EXPECT_EQ(send("PUT", "/fhir/Patient/" + id, a, a.csrf, update).status, 200);
  EXPECT_EQ(send("POST", "/auth/logout", a, a.csrf).status, 204);
  EXPECT_EQ(send("GET", "/auth/session", b, "").status, 200);  // b's session lives on
}

// Header, request-line and body limits answer 431 / 413 and leave the server serving.
TEST_P(SecurityNegativeTest, OversizedRequestsAreCutAndTheServerServesOn) {
  // The same store, with a body limit small enough to cross quickly.
  ASSERT_EQ(server().Stop(), 0);
  ASSERT_TRUE(server().Start({"--max-body", "65536"}));
  HttpClient c("127.0.0.1", server().port());
  ASSERT_TRUE(AuthorizeTestClient(c));
  auto healthy = [&] {
    HttpClient fresh("127.0.0.1", server().port());
    EXPECT_TRUE(AuthorizeTestClient(fresh));
    EXPECT_EQ(fresh.Get("/fhir/Patient").status, 200);
  };
  EXPECT_EQ(c.Send("GET", "/fhir/Patient", "", {{"X-Junk", std::string(20000, 'a')}}).status, 431);
  healthy();
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 1000; ++i) many.push_back({"X-H" + std::to_string(i), "0123456789"});
  EXPECT_EQ(c.Send("GET", "/fhir/Patient", "", many).status, 431);
  healthy();
  HttpResult url = c.Get("/fhir/Patient?name=" + std::string(20000, 'a'));
  EXPECT_TRUE(url.status == 431 || url.status == 414) << url.status;
  healthy();
  const std::string big = R"({"resourceType":"Patient","name":[{"text":")" + std::string(70000, 'x') + R"("}]})";
  HttpResult body = c.Send("POST", "/fhir/Patient", big);
  EXPECT_EQ(body.status, 413);
  EXPECT_NE(body.body.find("OperationOutcome"), std::string::npos) << body.body;
  // A declared length beyond the limit is refused before the body is read; a chunked body
  // once its chunks pass the limit.
  const std::string head =
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n";
  std::string raw = c.SendRaw(head + "Content-Length: 4000000000\r\n\r\n{");
  EXPECT_NE(raw.find(" 413 "), std::string::npos) << raw.substr(0, 200);
  std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "2000\r\n" + std::string(0x2000, ' ') + "\r\n";
  chunked += "0\r\n\r\n";
  raw = c.SendRaw(chunked);
  EXPECT_NE(raw.find(" 413 "), std::string::npos) << raw.substr(0, 200);
  healthy();
  EXPECT_EQ(c.Get("/fhir/Patient?_summary=count").status, 200);
}

// The bulk file route serves only files of a completed job's own directory, and $import reads
// only under the data directory's import/ folder, whatever the path spelling.
TEST_P(SecurityNegativeTest, PathTraversalInFileRoutesReachesNothingOutside) {
  Create("Patient", kPatient);
  // A file outside any job directory, in the bulk and the data directory, that would be
  // served (its name ends in .ndjson) or imported (it holds a valid Patient) if reached.
  const std::string secret = R"({"resourceType":"Patient","name":[{"family":"TOPSECRET"}]})";
  namespace fs = std::filesystem;
  fs::create_directories(data_dir() + "/bulk");
  for (const std::string& dir : {data_dir(), data_dir() + "/bulk"}) {
    std::ofstream(dir + "/secret.ndjson") << secret << "\n";
  }

  constexpr char kAsync[] = "respond-async";
  HttpResult kick = client().Send("GET", "/fhir/$export?_type=Patient", "", {{"Prefer", kAsync}});
  ASSERT_EQ(kick.status, 202) << kick.body;
  std::string status_url = kick.Header("Content-Location");
  status_url = status_url.substr(status_url.find("/fhir/"));
  HttpResult done;
  for (int i = 0; i < 600; ++i) {
    done = client().Get(status_url);
    if (done.status != 202) break;
    usleep(50 * 1000);
  }
  ASSERT_EQ(done.status, 200) << done.body;
  std::string file_url = *Json(done).Find("output")->as_array()[0].FindString("url");
  file_url = file_url.substr(file_url.find("/fhir/"));
  ASSERT_EQ(client().Get(file_url).status, 200);
  // /fhir/$bulk-file/JOB/Patient.ndjson
  const std::string job_prefix = file_url.substr(0, file_url.rfind('/') + 1);
  const std::string abs = PercentEncode(data_dir() + "/secret.ndjson");

  for (const std::string& target : {
           job_prefix + "../secret.ndjson",
           job_prefix + "..%2Fsecret.ndjson",
           job_prefix + "%2e%2e%2fsecret.ndjson",
           job_prefix + "%2E%2E%2F%2E%2E%2Fsecret.ndjson",
           job_prefix + "..%2F..%2Fsecret.ndjson",
           job_prefix + "..%5Csecret.ndjson",
           job_prefix + "..\\..\\secret.ndjson",
           job_prefix + "....%2F%2Fsecret.ndjson",
           job_prefix + abs,
           job_prefix + "%2Fetc%2Fpasswd",
           job_prefix + "..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
           job_prefix + "Patient.ndjson%00.txt",
           job_prefix + "secret.ndjson%00",
           job_prefix + "..%2F..%2Frhip.db",
           job_prefix + "rhip.db",
           std::string("/fhir/$bulk-file/..%2Fsecret.ndjson"),
           std::string("/fhir/$bulk-file/../secret.ndjson"),
           std::string("/fhir/$bulk-file/%2e%2e/secret.ndjson"),
           std::string("/fhir/$bulk-file/./secret.ndjson"),
           std::string("/fhir/$bulk-file/.%2F/secret.ndjson"),
           std::string("/fhir/$bulk-file/") + abs.substr(0, abs.rfind("%2F")) + "/secret.ndjson",
           std::string("/fhir/$bulk-file//etc/passwd"),
           std::string("/fhir/$bulk-status/..%2F..%2Fsecret.ndjson"),
       }) {
    SCOPED_TRACE(target);
    HttpResult r = client().Get(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << r.status << " " << r.body.substr(0, 300);
    EXPECT_EQ(r.body.find("TOPSECRET"), std::string::npos);
    EXPECT_EQ(r.body.find("root:"), std::string::npos);
    EXPECT_EQ(r.body.find("SQLite format"), std::string::npos);
  }

  // $import: anything that resolves outside import/, including through a symbolic link.
  fs::create_directories(data_dir() + "/import");
  std::error_code ec;
  fs::create_symlink(data_dir() + "/secret.ndjson", data_dir() + "/import/link.ndjson", ec);
  ASSERT_FALSE(ec) << ec.message();
  fs::create_directory_symlink(data_dir(), data_dir() + "/import/up", ec);
  ASSERT_FALSE(ec) << ec.message();
  for (const std::string& url :
       {std::string("../secret.ndjson"), std::string("import/../../secret.ndjson"),
        data_dir() + "/secret.ndjson", "file://" + data_dir() + "/secret.ndjson",
        std::string("/etc/passwd"), std::string("file:///etc/passwd"),
        std::string("..\\secret.ndjson"), std::string("%2e%2e/secret.ndjson"),
        std::string("link.ndjson"), std::string("up/secret.ndjson"), std::string("up"),
        std::string("../secret.ndjson\\u0000"), std::string("x\\u0000/../../secret.ndjson")}) {
    SCOPED_TRACE(url);
    HttpResult r = client().Send(
        "POST", "/fhir/$import",
        R"({"resourceType":"Parameters","parameter":[{"name":"input","part":[{"name":"url","valueUrl":")" +
            url + R"("}]}]})",
        {{"Prefer", kAsync}});
    EXPECT_TRUE(r.status == 400 || r.status == 422 || r.status == 501) << r.status << " " << r.body;
    EXPECT_EQ(r.Header("Content-Location"), "");
    EXPECT_EQ(r.body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(Total("Patient?name=TOPSECRET"), 0);
}

// Beyond the wrong-password / unknown-login pair (session_test, auth_test): a locked account
// given its right password, a disabled one, and a revoked client's right secret answer
// exactly like an account that does not exist.
TEST_P(SecurityNegativeTest, LockedDisabledAndRevokedAccountsLookUnknown) {
  // Without the per-minute limits, so the lockout itself answers rather than the 429 that
  // treats known and unknown logins alike anyway.
  ASSERT_EQ(server().Stop(), 0);
  const std::string cfg = data_dir() + "/../limits.toml";
  std::ofstream(cfg) << "login_attempts_per_address = 0\nlogin_attempts_per_account = 0\n";
  ASSERT_TRUE(server().Start({"--config", cfg}));
  HttpClient web("127.0.0.1", server().port());
  std::string out;
  auto add_user = [&](const std::string& login) {
    EXPECT_EQ(Cli({"user", "add", login, "--role", "doctor", "--org", "110101001"}, &out), 0) << out;
    const size_t at = out.find("password: ") + 10;
    return out.substr(at, out.find('\n', at) - at);
  };
  auto login = [&](const std::string& user, const std::string& password) {
    return web.Send("POST", "/auth/login",
                    StrCat(R"({"login":")", user, R"(","password":")", password, R"("})"),
                    {{"Content-Type", "application/json"}});
  };
  const std::string locked_pw = add_user("locked");
  const std::string disabled_pw = add_user("disabled");
  ASSERT_EQ(Cli({"user", "disable", "disabled"}, &out), 0) << out;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login("locked", "Wrong-Pass-11").status, 401);

  const HttpResult unknown = login("nobody", locked_pw);
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  for (const HttpResult& r : {login("locked", locked_pw), login("disabled", disabled_pw)}) {
    EXPECT_EQ(r.status, unknown.status) << r.body;
    EXPECT_EQ(r.body, unknown.body);
    EXPECT_EQ(r.Header("Set-Cookie"), "");
  }

  ASSERT_EQ(Cli({"client", "add", "gone", "--scope", "system/Patient.rs"}, &out), 0) << out;
  const size_t at = out.find("client_secret: ") + 15;
  const std::string secret = out.substr(at, out.find('\n', at) - at);
  ASSERT_EQ(Cli({"client", "revoke", "gone"}, &out), 0) << out;
  auto token = [&](const std::string& id) {
    return web.Send("POST", "/auth/token",
                    StrCat("grant_type=client_credentials&client_id=", id, "&client_secret=", secret),
                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  };
  const HttpResult revoked = token("gone");
  const HttpResult no_client = token("never-was");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.status, no_client.status);
  EXPECT_EQ(revoked.body, no_client.body);
  EXPECT_EQ(revoked.Header("WWW-Authenticate"), no_client.Header("WWW-Authenticate"));
}

INSTANTIATE_TEST_SUITE_P(Engines, SecurityNegativeTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
