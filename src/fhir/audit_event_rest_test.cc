// The AuditEvent view over a real audit chain (SQLite): the R4 mapping of a record, each
// search parameter, paging by cursor, read by seq, refused writes and unknown parameters.
#include "fhir/audit_event_rest.h"

#include <memory>
#include <string>
#include <vector>

#include "db/testing/test_databases.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "security/audit_log.h"
#include "security/password.h"

namespace rhip::fhir {
namespace {

using ::testing::HasSubstr;

class ZeroClock : public Clock {
 public:
  Micros Now() const override { return 0; }
};

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kStart = 1'764'547'200'000'000;  // 2025-12-01T00:00:00Z

class AuditEventRestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> target = databases_.NewTarget(db::Engine::kSqlite);
    ASSERT_TRUE(target.ok()) << target.status();
    auto db = db::Database::Open({.target = *target});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    security::AuditLog log(db_.get(), &clock_);
    // Records 1..6, one a day from 2025-12-01.
    for (int i = 1; i <= 6; ++i) {
      security::AuditRecord r;
      r.time = kStart + (i - 1) * kDay;
      r.actor = i % 2 ? "doctor.li" : "nurse.wang";
      r.role = "doctor";
      r.org_unit = "Organization/township-1";
      r.client_address = "10.0.0." + std::to_string(i);
      r.action = i == 4 ? security::kAuditBreakGlass : (i == 5 ? security::kAuditSearch : security::kAuditRead);
      r.patient = i <= 3 ? "Patient/p1" : "Patient/p2";
      r.resources = r.patient + ",Observation/o" + std::to_string(i);
      r.query = i == 5 ? "code=8867-4&_count=10" : "";
      r.outcome = i == 6 ? "403" : "200";
      r.reason = i == 4 ? "抢救 emergency" : "";
      ASSERT_TRUE(log.Append(r).ok());
    }
    ASSERT_TRUE(log.Flush().ok());
  }

  net::HttpResponse Call(std::string method, std::string path, std::string query = "",
                         std::string prefer = "") {
    net::HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.query = std::move(query);
    req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
    req.headers = {{"Host", "rhip.test"}};
    if (!prefer.empty()) req.headers.emplace_back("Prefer", prefer);
    std::optional<net::HttpResponse> r = handler_.Handle(req);
    EXPECT_TRUE(r.has_value()) << req.path;
    return r ? *r : net::HttpResponse{};
  }

  json::Value Json(const net::HttpResponse& r) {
    absl::StatusOr<json::Value> v = json::Parse(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : json::Value();
  }

  // The ids of a search's entries, and its next link ("" when none).
  std::pair<std::vector<std::string>, std::string> Search(std::string query) {
    net::HttpResponse r = Call("GET", "/fhir/AuditEvent", query);
    EXPECT_EQ(r.status, 200) << r.body;
    json::Value b = Json(r);
    std::vector<std::string> ids;
    if (const json::Value* entries = b.Find("entry")) {
      for (const json::Value& e : entries->as_array()) ids.push_back(*e.Find("resource")->FindString("id"));
    }
    std::string next;
    for (const json::Value& l : b.Find("link")->as_array()) {
      if (*l.FindString("relation") == "next") next = *l.FindString("url");
    }
    return {ids, next};
  }

  db::TestDatabases databases_;
  ZeroClock clock_;
  std::unique_ptr<db::Database> db_;
  AuditEventRestHandler handler_{nullptr, {}};
};

using Ids = std::vector<std::string>;

TEST_F(AuditEventRestTest, MapsARecordToAnR4AuditEvent) {
  handler_ = AuditEventRestHandler(db_.get(), {});
  net::HttpResponse r = Call("GET", "/fhir/AuditEvent/4");
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value e = Json(r);
  EXPECT_EQ(*e.FindString("resourceType"), "AuditEvent");
  EXPECT_EQ(*e.FindString("id"), "4");
  EXPECT_EQ(*e.Find("type")->FindString("code"), "110110");
  EXPECT_EQ(*e.Find("subtype")->as_array()[0].FindString("code"), "break-glass");
  EXPECT_EQ(*e.FindString("action"), "E");
  EXPECT_EQ(*e.FindString("recorded"), "2025-12-04T00:00:00.000Z");
  EXPECT_EQ(*e.FindString("outcome"), "0");
  const json::Value& agent = e.Find("agent")->as_array()[0];
  EXPECT_EQ(*agent.Find("who")->Find("identifier")->FindString("value"), "nurse.wang");
  EXPECT_EQ(*agent.Find("network")->FindString("address"), "10.0.0.4");
  EXPECT_TRUE(agent.Find("requestor")->as_bool());
  EXPECT_EQ(*agent.Find("role")->as_array()[0].FindString("text"), "doctor");
  EXPECT_EQ(*agent.Find("extension")->as_array()[0].Find("valueReference")->FindString("reference"),
            "Organization/township-1");
  const json::Value& purpose = agent.Find("purposeOfUse")->as_array()[0];
  EXPECT_EQ(*purpose.FindString("text"), "抢救 emergency");
  EXPECT_EQ(*purpose.Find("coding")->as_array()[0].FindString("code"), "BTG");
  EXPECT_EQ(*e.Find("source")->Find("observer")->FindString("display"), "rhip");
  const json::Array& entities = e.Find("entity")->as_array();
  ASSERT_EQ(entities.size(), 2u);
  EXPECT_EQ(*entities[0].Find("what")->FindString("reference"), "Patient/p2");
  EXPECT_EQ(*entities[1].Find("what")->FindString("reference"), "Observation/o4");
  const json::Value& chain = e.Find("extension")->as_array()[0];
  EXPECT_THAT(*chain.FindString("url"), HasSubstr("audit-chain"));
  EXPECT_EQ(chain.Find("extension")->as_array()[1].FindString("valueString")->size(), 64u);

  json::Value search = Json(Call("GET", "/fhir/AuditEvent/5"));
  const json::Array& se = search.Find("entity")->as_array();
  EXPECT_EQ(*se.back().FindString("query"), security::Base64Encode("code=8867-4&_count=10"));
  EXPECT_EQ(*search.FindString("action"), "E");
  EXPECT_EQ(*Json(Call("GET", "/fhir/AuditEvent/6")).FindString("outcome"), "4");
  EXPECT_EQ(*Json(Call("GET", "/fhir/AuditEvent/1")).FindString("action"), "R");
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent/99").status, 404);
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent/abc").status, 404);
}

TEST_F(AuditEventRestTest, SearchesByEachParameterNewestFirst) {
  handler_ = AuditEventRestHandler(db_.get(), {});
  EXPECT_EQ(Search("").first, (Ids{"6", "5", "4", "3", "2", "1"}));
  EXPECT_EQ(Search("patient=Patient/p1").first, (Ids{"3", "2", "1"}));
  EXPECT_EQ(Search("patient=p2").first, (Ids{"6", "5", "4"}));
  EXPECT_EQ(Search("agent=doctor.li").first, (Ids{"5", "3", "1"}));
  EXPECT_EQ(Search("subtype=break-glass").first, (Ids{"4"}));
  EXPECT_EQ(Search("subtype=search,break-glass").first, (Ids{"5", "4"}));
  EXPECT_EQ(Search("outcome=4").first, (Ids{"6"}));
  EXPECT_EQ(Search("date=ge2025-12-02T00:00:00Z&date=lt2025-12-04T00:00:00Z").first,
            (Ids{"3", "2"}));
  EXPECT_EQ(Search("date=2025-12-03T08:00:00%2B08:00").first, (Ids{"3"}));
  EXPECT_EQ(Search("date=2025-12-05T00:00:00Z&agent=doctor.li&subtype=search").first, (Ids{"5"}));
}

TEST_F(AuditEventRestTest, PagesFollowTheNextLink) {
  handler_ = AuditEventRestHandler(db_.get(), {});
  auto [first, next] = Search("patient=Patient/p1&_count=2");
  EXPECT_EQ(first, (Ids{"3", "2"}));
  ASSERT_THAT(next, HasSubstr("http://rhip.test/fhir/AuditEvent?"));
  EXPECT_THAT(next, HasSubstr("patient=Patient/p1"));
  EXPECT_THAT(next, HasSubstr("_cursor=2"));
  auto [second, last] = Search(next.substr(next.find('?') + 1));
  EXPECT_EQ(second, (Ids{"1"}));
  EXPECT_EQ(last, "");
}

TEST_F(AuditEventRestTest, WritesAndUnknownParametersAreRefused) {
  handler_ = AuditEventRestHandler(db_.get(), {});
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    net::HttpResponse r = Call(method, std::string(method) == "POST" ? "/fhir/AuditEvent" : "/fhir/AuditEvent/1");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
    EXPECT_THAT(r.body, HasSubstr("OperationOutcome"));
  }
  net::HttpResponse unknown = Call("GET", "/fhir/AuditEvent", "entity-name=x");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("entity-name"));
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent", "entity-name=x", "handling=lenient").status, 200);
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent", "outcome=2").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent", "date=yesterday").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent", "_count=0").status, 400);
  EXPECT_EQ(Call("GET", "/fhir/AuditEvent", "agent=a&agent=b").status, 400);
  // Paths it does not own.
  for (const char* path : {"/fhir/Patient", "/fhir/AuditEventX", "/fhir", "/fhir/metadata"}) {
    net::HttpRequest req;
    req.method = "GET";
    req.path = path;
    EXPECT_FALSE(handler_.Handle(req).has_value()) << path;
  }
}

}  // namespace
}  // namespace rhip::fhir
