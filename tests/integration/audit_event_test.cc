// GET /fhir/AuditEvent through the real server: a searchset Bundle (the mapping and the
// filters are tested at unit level in src/fhir/audit_event_rest_test.cc), the server's own
// records of the requests it answered, reads of unknown records, refused writes and unknown
// parameters.
#include <chrono>
#include <string>
#include <thread>

#include "core/json.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

using AuditEventTest = ServerTest;

TEST_P(AuditEventTest, SearchAnswersASearchsetBundle) {
  HttpResult r = client().Get("/fhir/AuditEvent?subtype=break-glass&date=ge2026-01-01&_count=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Header("Content-Type").find("application/fhir+json"), std::string::npos);
  json::Value b = Json(r);
  EXPECT_EQ(*b.FindString("resourceType"), "Bundle");
  EXPECT_EQ(*b.FindString("type"), "searchset");
  const json::Value& self = b.Find("link")->as_array()[0];
  EXPECT_EQ(*self.FindString("relation"), "self");
  EXPECT_NE(self.FindString("url")->find("/fhir/AuditEvent?subtype=break-glass"), std::string::npos);
  EXPECT_EQ(client().Get("/fhir/AuditEvent/999999999").status, 404);
}

TEST_P(AuditEventTest, EveryAnsweredRequestIsAnAuditEvent) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = *Json(created).FindString("id");
  ASSERT_EQ(client().Get("/fhir/Patient/" + id).status, 200);
  // Records reach the chain from the journal within a few milliseconds.
  json::Value bundle;
  for (int i = 0; i < 100; ++i) {
    bundle = Json(client().Get("/fhir/AuditEvent?patient=Patient/" + id));
    const json::Value* entries = bundle.Find("entry");
    if (entries != nullptr && entries->as_array().size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(bundle.Find("entry"), nullptr);
  const json::Array& entries = bundle.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 2u) << json::Serialize(bundle);
  // Newest first: the read, then the create; both by the test client, both successful.
  const json::Value& read = *entries[0].Find("resource");
  EXPECT_EQ(*read.FindString("action"), "R");
  EXPECT_EQ(*read.FindString("outcome"), "0");
  EXPECT_EQ(*read.Find("agent")->as_array()[0].Find("who")->FindString("display"), kTestClientId);
  EXPECT_EQ(*entries[1].Find("resource")->FindString("action"), "C");
}

TEST_P(AuditEventTest, WritesAreRefused) {
  const std::string event = R"({"resourceType":"AuditEvent","recorded":"2026-01-01T00:00:00Z"})";
  HttpResult post = client().Send("POST", "/fhir/AuditEvent", event,
                                  {{"Content-Type", "application/fhir+json"}});
  EXPECT_EQ(post.status, 405) << post.body;
  ExpectOutcome(post, "not-supported");
  EXPECT_EQ(client().Send("PUT", "/fhir/AuditEvent/1", event,
                          {{"Content-Type", "application/fhir+json"}}).status, 405);
  EXPECT_EQ(client().Send("DELETE", "/fhir/AuditEvent/1").status, 405);
  // Nor as an entry of a transaction, which the generic store would otherwise take.
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)" + event +
      R"(,"request":{"method":"POST","url":"AuditEvent"}}]})";
  HttpResult tx = client().Send("POST", "/fhir", bundle, {{"Content-Type", "application/fhir+json"}});
  EXPECT_EQ(tx.status, 405) << tx.body;
  EXPECT_EQ(client().Get("/fhir/AuditEvent").status, 200) << "nothing was written";
}

TEST_P(AuditEventTest, UnknownParameterIs400UnlessLenient) {
  HttpResult strict = client().Get("/fhir/AuditEvent?entity-type=2");
  EXPECT_EQ(strict.status, 400) << strict.body;
  ExpectOutcome(strict, "invalid");
  HttpResult lenient = client().Send("GET", "/fhir/AuditEvent?entity-type=2", "",
                                     {{"Prefer", "handling=lenient"}});
  EXPECT_EQ(lenient.status, 200) << lenient.body;
}

TEST_P(AuditEventTest, CapabilityStatementSaysReadAndSearchOnly) {
  json::Value cs = Json(client().Get("/fhir/metadata"));
  const json::Value* found = nullptr;
  for (const json::Value& r : cs.Find("rest")->as_array()[0].Find("resource")->as_array()) {
    if (*r.FindString("type") == "AuditEvent") found = &r;
  }
  ASSERT_NE(found, nullptr);
  std::string interactions;
  for (const json::Value& i : found->Find("interaction")->as_array()) {
    interactions += *i.FindString("code") + " ";
  }
  EXPECT_EQ(interactions, "read search-type ");
}

TEST_P(AuditEventTest, NeedsAToken) {
  HttpResult r = client().Send("GET", "/fhir/AuditEvent", "", {{"Authorization", ""}});
  EXPECT_EQ(r.status, 401) << r.body;
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditEventTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
