// FHIR REST against the real build/rhip over HTTP, on SQLite and on PostgreSQL.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "db/testing/postgres_server.h"
#include "gtest/gtest.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

class FhirRestTest : public ServerTest {};

TEST_P(FhirRestTest, MetadataIsACapabilityStatement) {
  HttpResult r = client().Get("/fhir/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Header("Content-Type").find("application/fhir+json"), std::string::npos);
  json::Value cs = Json(r);
  EXPECT_EQ(*cs.FindString("resourceType"), "CapabilityStatement");
  EXPECT_EQ(*cs.FindString("fhirVersion"), "4.0.1");
  EXPECT_TRUE(ParseFhirDateTime(*cs.FindString("date")).has_value()) << *cs.FindString("date");
  // The statement is itself valid R4: the server accepts it as a resource.
  EXPECT_EQ(client().Send("POST", "/fhir/CapabilityStatement", r.body).status, 201);
  const json::Array& resources = cs.Find("rest")->as_array()[0].Find("resource")->as_array();
  EXPECT_GT(resources.size(), 140u);  // every R4 resource type
}

TEST_P(FhirRestTest, CreateReadUpdateDeleteAndHistory) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient);
  ASSERT_EQ(created.status, 201) << created.body;
  json::Value p = Json(created);
  std::string id = *p.FindString("id");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(*p.Find("meta")->FindString("versionId"), "1");
  EXPECT_EQ(created.Header("ETag"), "W/\"1\"");
  EXPECT_NE(created.Header("Location").find("/fhir/Patient/" + id + "/_history/1"),
            std::string::npos);
  EXPECT_FALSE(created.Header("Last-Modified").empty());

  HttpResult read = client().Get("/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(Json(read), p);

  p.as_object().Set("gender", "female");
  HttpResult updated = client().Send("PUT", "/fhir/Patient/" + id, json::Serialize(p),
                                     {{"If-Match", "W/\"1\""}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Header("ETag"), "W/\"2\"");

  HttpResult stale = client().Send("PUT", "/fhir/Patient/" + id, json::Serialize(p),
                                   {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412);
  ExpectOutcome(stale, "conflict");

  EXPECT_EQ(client().Get("/fhir/Patient/" + id + "/_history/1").status, 200);
  EXPECT_EQ(*Json(client().Get("/fhir/Patient/" + id + "/_history/1")).FindString("gender"), "male");

  HttpResult del = client().Send("DELETE", "/fhir/Patient/" + id);
  EXPECT_EQ(del.status, 204);
  HttpResult gone = client().Get("/fhir/Patient/" + id);
  EXPECT_EQ(gone.status, 410);
  ExpectOutcome(gone, "deleted");
  EXPECT_EQ(client().Send("DELETE", "/fhir/Patient/" + id).status, 204);  // idempotent

  HttpResult history = client().Get("/fhir/Patient/" + id + "/_history");
  ASSERT_EQ(history.status, 200);
  json::Value history_doc = Json(history);
  const json::Array& entries = history_doc.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(*entries[0].Find("request")->FindString("method"), "DELETE");
  EXPECT_EQ(entries[0].Find("resource"), nullptr);
  EXPECT_EQ(*entries[2].Find("request")->FindString("method"), "POST");
  EXPECT_EQ(*entries[2].Find("response")->FindString("status"), "201 Created");

  // Updating a deleted resource brings it back as a new version.
  p.as_object().Erase("meta");
  HttpResult revived = client().Send("PUT", "/fhir/Patient/" + id, json::Serialize(p));
  EXPECT_EQ(revived.status, 201);
  EXPECT_EQ(revived.Header("ETag"), "W/\"4\"");
}

TEST_P(FhirRestTest, UpdateAsCreateWithClientId) {
  std::string body = R"({"resourceType":"Patient","id":"zhang-san-1","active":true})";
  HttpResult first = client().Send("PUT", "/fhir/Patient/zhang-san-1", body);
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult second = client().Send("PUT", "/fhir/Patient/zhang-san-1", body);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.Header("ETag"), "W/\"2\"");
  HttpResult mismatch = client().Send("PUT", "/fhir/Patient/other", body);
  EXPECT_EQ(mismatch.status, 400);
  HttpResult bad_id = client().Send("PUT", "/fhir/Patient/bad$id",
                                    R"({"resourceType":"Patient","id":"bad$id"})");
  EXPECT_EQ(bad_id.status, 400);
}

TEST_P(FhirRestTest, ConditionalReadsAndPrefer) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient,
                                     {{"Prefer", "return=minimal"}});
  ASSERT_EQ(created.status, 201);
  EXPECT_TRUE(created.body.empty());
  std::string location = created.Header("Location");
  std::string id = location.substr(location.find("Patient/") + 8, 32);

  HttpResult same = client().Send("GET", "/fhir/Patient/" + id, "", {{"If-None-Match", "W/\"1\""}});
  EXPECT_EQ(same.status, 304);
  HttpResult changed = client().Send("GET", "/fhir/Patient/" + id, "", {{"If-None-Match", "W/\"7\""}});
  EXPECT_EQ(changed.status, 200);
  HttpResult not_modified = client().Send("GET", "/fhir/Patient/" + id, "",
                                          {{"If-Modified-Since", created.Header("Last-Modified")}});
  EXPECT_EQ(not_modified.status, 304);
  HttpResult modified = client().Send("GET", "/fhir/Patient/" + id, "",
                                      {{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}});
  EXPECT_EQ(modified.status, 200);

  HttpResult oo = client().Send("POST", "/fhir/Patient", kPatient,
                                {{"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(oo.status, 201);
  EXPECT_EQ(*Json(oo).FindString("resourceType"), "OperationOutcome");
}

TEST_P(FhirRestTest, ConditionalCreateUpdateDelete) {
  std::string body = R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003074514"}],"name":[{"text":"张三"}]})";
  std::vector<std::pair<std::string, std::string>> cond = {
      {"If-None-Exist", "identifier=urn:oid:2.16.156.10011.1.3|110101199003074514"}};
  HttpResult first = client().Send("POST", "/fhir/Patient", body, cond);
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult again = client().Send("POST", "/fhir/Patient", body, cond);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(*Json(again).FindString("id"), *Json(first).FindString("id"));

  HttpResult search = client().Get("/fhir/Patient?identifier=110101199003074514");
  ASSERT_EQ(search.status, 200);
  EXPECT_EQ(*Json(search).Find("total")->AsInt64(), 1);

  HttpResult cu = client().Send(
      "PUT", "/fhir/Patient?identifier=urn:oid:2.16.156.10011.1.3%7C110101199003074514", body);
  EXPECT_EQ(cu.status, 200) << cu.body;
  EXPECT_EQ(cu.Header("ETag"), "W/\"2\"");
  HttpResult cu_new = client().Send(
      "PUT", "/fhir/Patient?identifier=urn:x|new-one",
      R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"new-one"}]})");
  EXPECT_EQ(cu_new.status, 201) << cu_new.body;

  // A second resource with the same identifier makes the condition ambiguous: 412.
  client().Send("POST", "/fhir/Patient", body);
  EXPECT_EQ(client().Send("POST", "/fhir/Patient", body, cond).status, 412);
  EXPECT_EQ(client().Send("DELETE", "/fhir/Patient?identifier=110101199003074514").status, 412);
  EXPECT_EQ(client().Send("DELETE", "/fhir/Patient?identifier=urn:x|new-one").status, 204);
  EXPECT_EQ(*Json(client().Get("/fhir/Patient?identifier=urn:x|new-one")).Find("total")->AsInt64(), 0);

  HttpResult unsupported = client().Get("/fhir/Patient?shoe-size=42");
  EXPECT_EQ(unsupported.status, 400);
}

TEST_P(FhirRestTest, HistoryPagingSinceAndAt) {
  std::string first_id, first_updated;
  for (int i = 0; i < 7; ++i) {
    HttpResult r = client().Send("POST", "/fhir/Observation", kObservation);
    ASSERT_EQ(r.status, 201) << r.body;
    if (i == 0) {
      first_id = *Json(r).FindString("id");
      first_updated = *Json(r).Find("meta")->FindString("lastUpdated");
    }
  }
  std::string next = "/fhir/Observation/_history?_count=3";
  int pages = 0, total = 0;
  while (!next.empty()) {
    HttpResult page = client().Get(next);
    ASSERT_EQ(page.status, 200) << page.body;
    json::Value b = Json(page);
    total += static_cast<int>(b.Find("entry")->as_array().size());
    ++pages;
    next.clear();
    for (const json::Value& l : b.Find("link")->as_array()) {
      if (*l.FindString("relation") == "next") {
        std::string url = *l.FindString("url");
        next = url.substr(url.find("/fhir/"));
      }
    }
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(total, 7);

  // Since the first Observation: the store also holds the terminology installed at creation.
  HttpResult system = client().Get("/fhir/_history?_count=100&_since=" + first_updated);
  EXPECT_EQ(Json(system).Find("entry")->as_array().size(), 7u);
  EXPECT_EQ(Json(client().Get("/fhir/_history?_since=2100-01-01T00:00:00Z")).Find("entry")->as_array().size(), 0u);
  EXPECT_EQ(Json(client().Get("/fhir/_history?_at=2000-01-01")).Find("entry")->as_array().size(), 0u);
  EXPECT_EQ(Json(client().Get("/fhir/Observation/" + first_id + "/_history?_at=2100-01-01")).Find("entry")->as_array().size(), 1u);
  EXPECT_EQ(client().Get("/fhir/_history?_since=yesterday").status, 400);
}

TEST_P(FhirRestTest, TransactionResolvesReferencesAndIsAtomic) {
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
     "resource":{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"p1"}]},
     "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:t|p1"}},
    {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
     "resource":{"resourceType":"Observation","status":"final","code":{"text":"血压"},
                 "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  HttpResult r = client().Send("POST", "/fhir", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value resp = Json(r);
  EXPECT_EQ(*resp.FindString("type"), "transaction-response");
  const json::Array& entries = resp.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(*entries[0].Find("response")->FindString("status"), "201 Created");
  std::string patient_loc = *entries[0].Find("response")->FindString("location");
  std::string obs_loc = *entries[1].Find("response")->FindString("location");
  std::string patient_ref = patient_loc.substr(0, patient_loc.find("/_history"));
  json::Value obs = Json(client().Get("/fhir/" + obs_loc.substr(0, obs_loc.find("/_history"))));
  EXPECT_EQ(*obs.Find("subject")->FindString("reference"), patient_ref);

  // ifNoneExist matches now: the patient is not created twice.
  HttpResult again = client().Send("POST", "/fhir", bundle);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(*Json(again).Find("entry")->as_array()[0].Find("response")->FindString("status"), "200 OK");

  // Conditional reference.
  std::string cond = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
                 "subject":{"reference":"Patient?identifier=urn:t|p1"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  HttpResult cr = client().Send("POST", "/fhir", cond);
  ASSERT_EQ(cr.status, 200) << cr.body;

  // One bad entry fails the whole transaction and nothing of it is kept.
  std::string bad = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"atomic"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
                 "subject":{"reference":"Patient?identifier=urn:t|nobody"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  HttpResult failed = client().Send("POST", "/fhir", bad);
  EXPECT_EQ(failed.status, 404) << failed.body;
  EXPECT_EQ(*Json(client().Get("/fhir/Patient?identifier=urn:t|atomic")).Find("total")->AsInt64(), 0);
}

TEST_P(FhirRestTest, TransactionOfPlainCreatesStoresFinalResources) {
  // Entries whose references all point inside the bundle are finished before the database
  // transaction; what is stored must be exactly what a read returns.
  std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:0b7e1c9a-1111-4a3c-9a55-1a2b3c4d5e6f",
     "resource":{"resourceType":"Patient","meta":{"tag":[{"code":"demo"}]},"name":[{"text":"李四"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"体温"},
                 "valueQuantity":{"value":36.50,"unit":"Cel"},
                 "subject":{"reference":"urn:uuid:0b7e1c9a-1111-4a3c-9a55-1a2b3c4d5e6f"}},
     "request":{"method":"POST","url":"Observation"}}]})";
  HttpResult r = client().Send("POST", "/fhir", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value resp = Json(r);
  const json::Array& entries = resp.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 2u);
  std::string patient_loc = *entries[0].Find("response")->FindString("location");
  std::string obs_loc = *entries[1].Find("response")->FindString("location");
  json::Value patient = Json(client().Get("/fhir/" + patient_loc.substr(0, patient_loc.find("/_history"))));
  EXPECT_EQ(*patient.Find("meta")->FindString("versionId"), "1");
  EXPECT_NE(patient.Find("meta")->Find("tag"), nullptr);
  HttpResult obs = client().Get("/fhir/" + obs_loc.substr(0, obs_loc.find("/_history")));
  EXPECT_NE(obs.body.find("\"value\":36.50"), std::string::npos) << obs.body;
  EXPECT_EQ(*Json(obs).Find("subject")->FindString("reference"),
            patient_loc.substr(0, patient_loc.find("/_history")));
  EXPECT_EQ(obs.Header("ETag"), "W/\"1\"");
}

TEST_P(FhirRestTest, ConcurrentConflictingUpdatesHaveOneWinner) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient);
  ASSERT_EQ(created.status, 201);
  json::Value p = Json(created);
  std::string id = *p.FindString("id");
  std::string body = json::Serialize(p);
  constexpr int kClients = 8;
  std::vector<int> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c("127.0.0.1", server().port());
      EXPECT_TRUE(AuthorizeTestClient(c));
      statuses[i] = c.Send("PUT", "/fhir/Patient/" + id, body, {{"If-Match", "W/\"1\""}}).status;
    });
  }
  for (auto& t : threads) t.join();
  int winners = 0;
  for (int s : statuses) {
    EXPECT_TRUE(s == 200 || s == 412 || s == 409) << "status " << s;
    winners += s == 200;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(client().Get("/fhir/Patient/" + id).Header("ETag"), "W/\"2\"");
}

TEST_P(FhirRestTest, BatchReportsEachEntry) {
  std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/does-not-exist"}},
    {"request":{"method":"GET","url":"Patient?identifier=urn:b|1"}},
    {"resource":{"resourceType":"Patient","birthDate":"not-a-date"},"request":{"method":"POST","url":"Patient"}}]})";
  HttpResult r = client().Send("POST", "/fhir", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value batch_doc = Json(r);
  const json::Array& entries = batch_doc.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(*entries[0].Find("response")->FindString("status"), "201 Created");
  EXPECT_EQ(*entries[1].Find("response")->FindString("status"), "404 Not Found");
  EXPECT_EQ(*entries[2].Find("response")->FindString("status"), "200 OK");
  EXPECT_EQ(*entries[2].Find("resource")->FindString("type"), "searchset");
  EXPECT_EQ(*entries[3].Find("response")->FindString("status"), "400 Bad Request");
  EXPECT_NE(entries[3].Find("response")->Find("outcome"), nullptr);
}

TEST_P(FhirRestTest, BadInputGetsOperationOutcome) {
  HttpResult bad_json = client().Send("POST", "/fhir/Patient", "{\"resourceType\":");
  EXPECT_EQ(bad_json.status, 400);
  ExpectOutcome(bad_json, "invalid");
  HttpResult unknown_type = client().Get("/fhir/Martian/1");
  EXPECT_EQ(unknown_type.status, 404);
  ExpectOutcome(unknown_type, "not-found");
  HttpResult unknown_element =
      client().Send("POST", "/fhir/Patient", R"({"resourceType":"Patient","favouriteColour":"red"})");
  EXPECT_EQ(unknown_element.status, 400);
  EXPECT_NE(unknown_element.body.find("Patient.favouriteColour"), std::string::npos)
      << unknown_element.body;
  HttpResult wrong_type =
      client().Send("POST", "/fhir/Patient", R"({"resourceType":"Observation","status":"final"})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(client().Send("PATCH", "/fhir/Patient").status, 405);
  EXPECT_EQ(client().Send("GET", "/fhir/Patient/x", "", {{"Accept", "application/fhir+xml"}}).status, 406);
  EXPECT_EQ(client().Send("POST", "/fhir/Patient", "<Patient/>",
                          {{"Content-Type", "application/fhir+xml"}}).status, 415);
  HttpResult no_route = client().Get("/nowhere");
  EXPECT_EQ(no_route.status, 404);
  ExpectOutcome(no_route, "not-found");
}

TEST_P(FhirRestTest, KeepsDecimalPrecisionAndChineseText) {
  std::string body = R"({"resourceType":"Observation","status":"final","code":{"text":"空腹血糖"},"valueQuantity":{"value":6.10,"unit":"mmol/L"}})";
  HttpResult r = client().Send("POST", "/fhir/Observation", body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_NE(r.body.find("\"value\":6.10"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("空腹血糖"), std::string::npos);
}

TEST_P(FhirRestTest, JsonPatchAndFhirPathPatch) {
  HttpResult created = client().Send("POST", "/fhir/Patient", kPatient);
  std::string id = *Json(created).FindString("id");
  HttpResult jp = client().Send("PATCH", "/fhir/Patient/" + id,
                                R"([{"op":"replace","path":"/gender","value":"female"}])",
                                {{"Content-Type", "application/json-patch+json"}, {"If-Match", "W/\"1\""}});
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(*Json(jp).FindString("gender"), "female");
  std::string fp = R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[
      {"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.birthDate"},
      {"name":"value","valueDate":"1990-03-07"}]}]})";
  HttpResult fpr = client().Send("PATCH", "/fhir/Patient/" + id, fp);
  ASSERT_EQ(fpr.status, 200) << fpr.body;
  EXPECT_EQ(*Json(fpr).FindString("birthDate"), "1990-03-07");
  EXPECT_EQ(fpr.Header("ETag"), "W/\"3\"");
  HttpResult invalid = client().Send("PATCH", "/fhir/Patient/" + id,
                                     R"([{"op":"replace","path":"/gender","value":17}])",
                                     {{"Content-Type", "application/json-patch+json"}});
  EXPECT_EQ(invalid.status, 400) << invalid.body;
}

TEST_P(FhirRestTest, HealthAndMetrics) {
  EXPECT_EQ(client().Get("/healthz").status, 200);
  client().Get("/fhir/metadata");
  client().Get("/fhir/Patient/nobody");
  HttpResult m = client().Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("rhip_http_requests_total{route=\"/fhir/metadata\""), std::string::npos);
  EXPECT_NE(m.body.find("rhip_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("rhip_db_transaction_seconds"), std::string::npos) << m.body;
  if (GetParam() == Engine::kSqlite) {
    client().Send("POST", "/fhir/Patient", kPatient);
    std::string after = client().Get("/metrics").body;
    EXPECT_NE(after.find("rhip_db_write_queue_depth"), std::string::npos) << after;
    EXPECT_NE(after.find("rhip_db_group_commits_total"), std::string::npos) << after;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, FhirRestTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
