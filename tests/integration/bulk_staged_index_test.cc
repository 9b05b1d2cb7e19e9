// Bulk writes stage their search-index rows (sp_*_staged) and BuildStagedIndex moves them to
// the live tables. These tests pin down who builds them and what an early update does to
// them: `rhip import` at its end, `rhip serve` at start for an interrupted load, and
// DeleteIndexRows for an update before the build. Runs on SQLite and PostgreSQL.
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "fhir/search/index_store.h"
#include "gtest/gtest.h"
#include "tests/integration/bulk_test_util.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

constexpr char kIdentifierSystem[] = "urn:rhip:test:staged";

// A Patient with id, gender, managing organization and identifier: a token, a reference and
// an identifier to search by.
std::string PatientLine(const std::string& id, const std::string& gender, const std::string& org) {
  return StrCat(R"({"resourceType":"Patient","id":")", id, R"(","gender":")", gender,
                R"(","managingOrganization":{"reference":"Organization/)", org,
                R"("},"identifier":[{"system":")", kIdentifierSystem, R"(","value":")", id,
                R"("}]})");
}

json::Value ParseJson(const std::string& text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status() << ": " << text;
  return v.ok() ? *std::move(v) : json::Value();
}

class StagedIndexTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    data_ = temp_.path() + "/data";
    db_url_ = FreshDatabaseUrl(GetParam());
    if (GetParam() == Engine::kPostgres && db_url_.empty()) GTEST_SKIP() << "no PostgreSQL";
  }
  void TearDown() override { Close(); }

  // Opens the store the binary uses, in this process.
  void Open() {
    if (repo_) return;
    auto db = db::Database::Open({.target = db_url_.empty() ? data_ : db_url_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    repo_ = fhir::Repository::Create(db_.get(), &Clock::Real());
  }
  // Lets the binary have the store to itself.
  void Close() {
    repo_.reset();
    db_.reset();
  }

  // Index rows waiting in the staging tables.
  int64_t Staged() {
    Open();
    int64_t n = 0;
    EXPECT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                     for (const fhir::search::IndexTable& t : fhir::search::kIndexTables) {
                       auto rows = s.Query(StrCat("SELECT COUNT(*) FROM ", t.name, "_staged"));
                       if (!rows.ok()) return rows.status();
                       n += (*rows)[0].Int(0);
                     }
                     return absl::OkStatus();
                   }).ok());
    return n;
  }

  // A search run by the repository in this process; extra parameters are appended.
  absl::StatusOr<fhir::SearchResult> Search(const std::string& type, fhir::search::QueryParams params,
                                            std::pair<std::string, std::string> extra) {
    Open();
    fhir::SearchInput in;
    in.type = type;
    in.params = std::move(params);
    in.params.push_back(std::move(extra));
    auto r = repo_->Search(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r;
  }

  // The search's total (_summary=count).
  int64_t Total(const std::string& type, fhir::search::QueryParams params) {
    auto r = Search(type, std::move(params), {"_summary", "count"});
    return r.ok() && r->total ? *r->total : -1;
  }

  // The ids a search finds (one page, enough for these tests).
  std::set<std::string> Ids(const std::string& type, fhir::search::QueryParams params) {
    auto r = Search(type, std::move(params), {"_count", "1000"});
    std::set<std::string> out;
    if (r.ok()) {
      for (const fhir::StoredResource& m : r->matches) out.insert(m.id);
    }
    return out;
  }

  std::vector<fhir::BulkResult> WriteBulk(const std::vector<std::string>& texts) {
    Open();
    std::vector<json::Value> resources;
    for (const std::string& t : texts) resources.push_back(ParseJson(t));
    auto r = repo_->WriteBulk(std::move(resources));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : std::vector<fhir::BulkResult>{};
  }

  json::Value ReadBody(const std::string& type, const std::string& id, int64_t version = 0) {
    Open();
    auto r = version == 0 ? repo_->Read(type, id) : repo_->VRead(type, id, version);
    EXPECT_TRUE(r.ok()) << type << "/" << id << ": " << r.status();
    return r.ok() ? ParseJson(r->json) : json::Value();
  }

  std::vector<std::string> ImportArgs(const std::string& path) {
    std::vector<std::string> args = {"import", path, "--data", data_, "--report",
                                     temp_.path() + "/report.ndjson"};
    if (!db_url_.empty()) args.insert(args.end(), {"--db", db_url_});
    return args;
  }

  TempDir temp_;
  std::string data_;
  std::string db_url_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<fhir::Repository> repo_;
};

// Several batches of resources with ids: every one is found by a token and by a reference
// search once `rhip import` returns, without `rhip serve` building anything.
TEST_P(StagedIndexTest, ImportLeavesEveryResourceSearchable) {
  constexpr int kPatients = 1234;  // more than two batches of 500
  std::string path = temp_.path() + "/in.ndjson";
  {
    std::ofstream f(path);
    f << R"({"resourceType":"Organization","id":"org1","name":"青山村卫生室"})" << "\n";
    for (int i = 0; i < kPatients; ++i) {
      f << PatientLine(StrCat("p", i), i % 2 == 0 ? "female" : "male", "org1") << "\n";
    }
  }
  std::string out;
  ASSERT_EQ(RunRhip(ImportArgs(path), &out), 0) << out;
  EXPECT_EQ(Staged(), 0) << "the import left staged index rows behind";
  EXPECT_EQ(Total("Patient", {{"organization", "Organization/org1"}}), kPatients);
  EXPECT_EQ(Total("Patient", {{"gender", "female"}}), kPatients / 2);
  EXPECT_EQ(Total("Patient", {{"gender", "male"}}), kPatients / 2);
  EXPECT_EQ(Total("Patient", {{"identifier", StrCat(kIdentifierSystem, "|p777")}}), 1);
  EXPECT_EQ(Total("Organization", {{"name", "青山村"}}), 1);
}

// A conditional reference to a resource written earlier in the same batch resolves: the
// batch's bulk-written resources are indexed before its ProcessBundle runs.
TEST_P(StagedIndexTest, ImportResolvesConditionalReferenceToSameBatch) {
  std::string path = temp_.path() + "/in.ndjson";
  std::ofstream(path) << PatientLine("p1", "female", "org1") << "\n"
                      << PatientLine("p2", "female", "org1") << "\n"
                      << R"({"resourceType":"Observation","id":"o1","status":"final",)"
                      << R"("code":{"text":"x"},"subject":{"reference":"Patient?identifier=)"
                      << kIdentifierSystem << R"(|p2"}})" << "\n";
  std::string out;
  ASSERT_EQ(RunRhip(ImportArgs(path), &out), 0) << out << ReadText(temp_.path() + "/report.ndjson");
  EXPECT_EQ(*ReadBody("Observation", "o1").Find("subject")->FindString("reference"), "Patient/p2");
  EXPECT_EQ(Ids("Observation", {{"subject", "Patient/p2"}}), std::set<std::string>{"o1"});
}

// Staged rows of a load that never built them (as when an import is killed) are built by
// `rhip serve` before it answers: its searches find the resources and nothing stays staged.
TEST_P(StagedIndexTest, ServeBuildsRowsLeftByAnInterruptedLoad) {
  constexpr int kPatients = 300;
  std::vector<std::string> lines = {R"({"resourceType":"Organization","id":"org1","name":"x"})"};
  for (int i = 0; i < kPatients; ++i) lines.push_back(PatientLine(StrCat("p", i), "female", "org1"));
  for (const fhir::BulkResult& r : WriteBulk(lines)) {
    EXPECT_TRUE(r.status.ok()) << r.status;
  }
  ASSERT_GT(Staged(), 0);
  EXPECT_EQ(Total("Patient", {{"gender", "female"}}), 0) << "staged rows are not searchable yet";
  Close();

  RhipProcess server(data_, db_url_);
  ASSERT_TRUE(server.Start()) << "rhip did not start; log: " << server.log_path();
  HttpClient client("127.0.0.1", server.port());
  EXPECT_TRUE(AuthorizeTestClient(client));
  for (const std::string& query : {std::string("gender=female"),
                                   std::string("organization=Organization/org1")}) {
    HttpResult r = client.Get("/fhir/Patient?_summary=count&" + query);
    ASSERT_EQ(r.status, 200) << r.body;
    json::Value bundle = ParseJson(r.body);
    const json::Value* total = bundle.Find("total");
    ASSERT_NE(total, nullptr) << r.body;
    EXPECT_EQ(total->AsInt64(), std::optional<int64_t>(kPatients)) << query;
  }
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_EQ(Staged(), 0);
}

// An update of a bulk-loaded resource before the build replaces its staged rows: after the
// build the old values find nothing and the new ones find it.
TEST_P(StagedIndexTest, UpdateBeforeBuildLeavesNoStaleRows) {
  std::vector<fhir::BulkResult> written = WriteBulk({PatientLine("u1", "female", "org-old"),
                                                     PatientLine("u2", "female", "org-old")});
  ASSERT_EQ(written.size(), 2u);
  ASSERT_TRUE(written[0].status.ok()) << written[0].status;
  auto updated = repo_->Update("Patient", "u1", ParseJson(PatientLine("u1", "male", "org-new")),
                               std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->resource.version, 2);
  // The update is searchable at once, the untouched one after the build.
  EXPECT_EQ(Ids("Patient", {{"gender", "male"}}), std::set<std::string>{"u1"});

  auto built = repo_->BuildStagedIndex();
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_GT(*built, 0);
  EXPECT_EQ(Staged(), 0);
  EXPECT_EQ(Ids("Patient", {{"gender", "female"}}), std::set<std::string>{"u2"});
  EXPECT_EQ(Ids("Patient", {{"organization", "Organization/org-old"}}), std::set<std::string>{"u2"});
  EXPECT_EQ(Ids("Patient", {{"gender", "male"}}), std::set<std::string>{"u1"});
  EXPECT_EQ(Ids("Patient", {{"organization", "Organization/org-new"}}), std::set<std::string>{"u1"});
  EXPECT_EQ(Total("Patient", {{"identifier", StrCat(kIdentifierSystem, "|u1")}}), 1)
      << "the identifier is indexed once, not once per version";
}

// One WriteBulk call with a new resource, a resource that exists already (twice), the same
// new id twice and an invalid resource: the invalid one is rejected with its reason, the others written in
// order, and after the build only the current versions are found.
TEST_P(StagedIndexTest, MixedBatchVersionsAndRejects) {
  Open();
  auto existing = repo_->Update("Patient", "old", ParseJson(PatientLine("old", "female", "org1")),
                                std::nullopt);
  ASSERT_TRUE(existing.ok()) << existing.status();

  std::vector<fhir::BulkResult> r = WriteBulk({
      PatientLine("new", "male", "org1"),
      PatientLine("old", "male", "org2"),
      PatientLine("twice", "male", "org1"),
      R"({"resourceType":"Patient","id":"bad","gender":42})",
      PatientLine("twice", "female", "org2"),
      R"({"resourceType":"Patient","gender":"other"})",
      PatientLine("old", "female", "org1"),
  });
  ASSERT_EQ(r.size(), 7u);
  std::vector<std::pair<std::string, int64_t>> expected = {
      {"new", 1}, {"old", 2}, {"twice", 1}, {"", 0}, {"twice", 2}, {"", 1}, {"old", 3}};
  for (size_t i = 0; i < r.size(); ++i) {
    SCOPED_TRACE(i);
    if (i == 3) {
      // The reason names the element (in the issues the OperationOutcome is made from).
      EXPECT_EQ(r[i].status.code(), absl::StatusCode::kInvalidArgument) << r[i].status;
      EXPECT_NE(r[i].status.ToString().find("Patient.gender"), std::string::npos) << r[i].status;
      continue;
    }
    ASSERT_TRUE(r[i].status.ok()) << r[i].status;
    EXPECT_EQ(r[i].type, "Patient");
    if (!expected[i].first.empty()) {
      EXPECT_EQ(r[i].id, expected[i].first);
    }
    EXPECT_EQ(r[i].version, expected[i].second);
  }
  std::string posted = r[5].id;
  ASSERT_FALSE(posted.empty());
  EXPECT_FALSE(repo_->Read("Patient", "bad").ok());

  // Stored versions carry their own versionId and content, in the batch's order.
  json::Value twice = ReadBody("Patient", "twice");
  EXPECT_EQ(*twice.FindString("gender"), "female");
  EXPECT_EQ(*twice.Find("meta")->FindString("versionId"), "2");
  json::Value twice1 = ReadBody("Patient", "twice", 1);
  EXPECT_EQ(*twice1.FindString("gender"), "male");
  EXPECT_EQ(*twice1.Find("meta")->FindString("versionId"), "1");
  json::Value old = ReadBody("Patient", "old");
  EXPECT_EQ(*old.FindString("gender"), "female");
  EXPECT_EQ(*old.Find("meta")->FindString("versionId"), "3");
  json::Value old2 = ReadBody("Patient", "old", 2);
  EXPECT_EQ(*old2.FindString("gender"), "male");
  EXPECT_EQ(*old2.Find("meta")->FindString("versionId"), "2");

  auto built = repo_->BuildStagedIndex();
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(Staged(), 0);
  EXPECT_EQ(Ids("Patient", {{"gender", "male"}}), std::set<std::string>{"new"});
  EXPECT_EQ(Ids("Patient", {{"gender", "female"}}), (std::set<std::string>{"old", "twice"}));
  EXPECT_EQ(Ids("Patient", {{"gender", "other"}}), std::set<std::string>{posted});
  EXPECT_EQ(Ids("Patient", {{"organization", "Organization/org2"}}), std::set<std::string>{"twice"});
  EXPECT_EQ(Ids("Patient", {{"organization", "Organization/org1"}}), (std::set<std::string>{"new", "old"}));
  EXPECT_EQ(Total("Patient", {}), 4);
}

INSTANTIATE_TEST_SUITE_P(Engines, StagedIndexTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
