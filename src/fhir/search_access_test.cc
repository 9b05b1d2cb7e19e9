// The caller's access predicate is part of the search's SQL: it restricts matches, totals,
// paging and _include / _revinclude alike (the security layer relies on this).
#include <filesystem>
#include <set>
#include <string>

#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "fhir/search/search_parameters.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

class SearchAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rhip-access-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = db::Database::Open({.target = dir_.string()});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    repo_ = Repository::Create(db_.get(), &Clock::Real());
  }
  void TearDown() override {
    repo_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Create(const std::string& text) {
    auto parsed = json::Parse(text);
    EXPECT_TRUE(parsed.ok());
    auto w = repo_->Create(*std::move(parsed));
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? w->resource.id : "";
  }

  SearchResult Search(std::string type, search::QueryParams params, const search::AccessPredicate& access) {
    SearchInput in;
    in.type = std::move(type);
    in.params = std::move(params);
    in.access = access;
    auto r = repo_->Search(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : SearchResult{};
  }

  static std::set<std::string> Ids(const std::vector<StoredResource>& v) {
    std::set<std::string> out;
    for (const StoredResource& r : v) out.insert(r.id);
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(SearchAccessTest, PredicateRestrictsMatchesTotalsPagesAndIncludes) {
  std::string village = Create(R"({"resourceType":"Organization","name":"青山村卫生室"})");
  std::string other = Create(R"({"resourceType":"Organization","name":"河口村卫生室"})");
  std::set<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    mine.insert(Create(R"({"resourceType":"Patient","gender":"female","managingOrganization":{"reference":"Organization/)" +
                       village + R"("}})"));
    Create(R"({"resourceType":"Patient","gender":"female","managingOrganization":{"reference":"Organization/)" +
           other + R"("}})");
  }
  std::string my_patient = *mine.begin();
  Create(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/)" +
         my_patient + R"("}})");

  // As the security layer will phrase "managed by this village clinic" (or: any non-Patient).
  search::AccessPredicate access;
  access.sql =
      "r.type <> 'Patient' OR r.rk IN (SELECT x.rk FROM sp_reference x WHERE x.p = :a_p AND x.ref = :a_ref)";
  access.params = {{"a_p", search::SearchParamRegistry::Default().Find("Patient", "organization")->key}, {"a_ref", "Organization/" + village}};

  SearchResult all = Search("Patient", {{"gender", "female"}}, {});
  EXPECT_EQ(*all.total, 10);
  SearchResult scoped = Search("Patient", {{"gender", "female"}}, access);
  EXPECT_EQ(*scoped.total, 5);
  EXPECT_EQ(Ids(scoped.matches), mine);

  // Paging keeps the predicate: three pages of two, then nothing.
  std::set<std::string> paged;
  std::string cursor;
  int pages = 0;
  do {
    search::QueryParams p = {{"gender", "female"}, {"_count", "2"}};
    if (!cursor.empty()) p.emplace_back("_cursor", cursor);
    SearchResult page = Search("Patient", p, access);
    for (const StoredResource& r : page.matches) paged.insert(r.id);
    cursor = page.next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(paged, mine);
  EXPECT_EQ(pages, 3);

  // Includes obey it too: an Observation's subject outside the scope is not included.
  search::AccessPredicate nobody;
  nobody.sql = "r.type <> 'Patient'";
  SearchResult inc = Search("Observation", {{"_include", "Observation:subject"}}, nobody);
  EXPECT_EQ(inc.matches.size(), 1u);
  EXPECT_TRUE(inc.included.empty());
  SearchResult inc_ok = Search("Observation", {{"_include", "Observation:subject"}}, access);
  EXPECT_EQ(Ids(inc_ok.included), std::set<std::string>{my_patient});
  SearchResult rev = Search("Patient", {{"_id", my_patient}, {"_revinclude", "Observation:subject"}},
                            nobody);
  EXPECT_TRUE(rev.matches.empty());
  search::AccessPredicate no_observations;
  no_observations.sql = "r.type <> 'Observation'";
  SearchResult rev_all = Search("Patient", {{"_id", my_patient}, {"_revinclude", "*"}}, no_observations);
  EXPECT_EQ(rev_all.matches.size(), 1u);
  EXPECT_TRUE(rev_all.included.empty());
}

// Contained resources are reached through their container: its access decides, for the
// containers returned, the contained resources returned and the total.
TEST_F(SearchAccessTest, PredicateAppliesToContainersOfContainedMatches) {
  std::string open = Create(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
    "contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"code":"C09AA05"}]}}],
    "medicationReference":{"reference":"#m"},"subject":{"reference":"Patient/a"}})");
  std::string closed = Create(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
    "contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"code":"C09AA05"}]}}],
    "medicationReference":{"reference":"#m"},"subject":{"reference":"Patient/b"}})");
  search::AccessPredicate access;
  access.sql = "r.id <> :a_id";
  access.params = {{"a_id", closed}};
  search::QueryParams q = {{"code", "C09AA05"}, {"_contained", "true"}};
  EXPECT_EQ(Ids(Search("Medication", q, {}).matches), (std::set<std::string>{open, closed}));
  SearchResult containers = Search("Medication", q, access);
  EXPECT_EQ(Ids(containers.matches), std::set<std::string>{open});
  EXPECT_EQ(*containers.total, 1);
  q.emplace_back("_containedType", "contained");
  SearchResult contained = Search("Medication", q, access);
  EXPECT_EQ(Ids(contained.matches), std::set<std::string>{open + "#m"});
  EXPECT_EQ(*contained.total, 1);
}

}  // namespace
}  // namespace rhip::fhir
