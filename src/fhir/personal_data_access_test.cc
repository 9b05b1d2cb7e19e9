// The org-unit and consent predicate on a real store: who sees which residents and their
// data, through search, read checks and write checks.
#include "fhir/personal_data_access.h"

#include <stdlib.h>

#include <filesystem>
#include <set>

#include "core/strings.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

class PersonalDataAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "rhip-pda-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto db = db::Database::Open({.target = dir_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    repo_ = Repository::Create(db_.get(), &Clock::Real());
    // Township T with villages V1 and V2, under county C.
    p1_ = Patient("V1");
    p2_ = Patient("V2");
    p3_ = Patient("V1");  // refuses sharing; treated at T
    p4_ = Create(R"({"resourceType":"Patient","gender":"male"})");  // managed by nobody
    Create(StrCat(R"({"resourceType":"Consent","status":"active","scope":{"text":"privacy"},)"
                  R"("category":[{"text":"privacy"}],"policyRule":{"text":"no sharing"},"patient":{"reference":"Patient/)", p3_,
                  R"("},"provision":{"type":"deny"}})"));
    Create(StrCat(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
                  R"("subject":{"reference":"Patient/)", p3_,
                  R"("},"serviceProvider":{"reference":"Organization/T"}})"));
    for (const std::string& p : {p1_, p2_, p3_, p4_}) obs_[p] = Observation(p);
    org_ = Create(R"({"resourceType":"Organization","name":"青山村卫生室"})");
  }
  void TearDown() override {
    repo_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Create(const std::string& text) {
    auto w = repo_->Create(*json::Parse(text));
    EXPECT_TRUE(w.ok()) << w.status() << " " << text;
    return w.ok() ? w->resource.id : "";
  }
  std::string Patient(std::string_view org) {
    return Create(StrCat(R"({"resourceType":"Patient","gender":"female","managingOrganization":)"
                         R"({"reference":"Organization/)", org, "\"}}"));
  }
  std::string Observation(std::string_view patient) {
    return Create(StrCat(R"({"resourceType":"Observation","status":"final","code":{"text":"BP"},)"
                         R"("subject":{"reference":"Patient/)", patient, "\"}}"));
  }
  std::set<std::string> Found(std::string type, const security::OrgScope& scope) {
    SearchInput in;
    in.type = std::move(type);
    in.params = {{"_count", "100"}};
    in.access = PersonalDataPredicate(scope);
    auto r = repo_->Search(in);
    EXPECT_TRUE(r.ok()) << r.status();
    std::set<std::string> ids;
    if (r.ok()) {
      for (const StoredResource& s : r->matches) ids.insert(s.id);
    }
    return ids;
  }
  bool Visible(std::string_view type, std::string_view id, const security::OrgScope& scope) {
    auto v = repo_->CheckVisible(type, id, PersonalDataPredicate(scope));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() && v->visible;
  }

  static security::OrgScope Scope(std::vector<std::string> area, std::vector<std::string> own) {
    security::OrgScope s;
    s.area = std::move(area);
    s.own = std::move(own);
    return s;
  }

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<Repository> repo_;
  std::string p1_, p2_, p3_, p4_, org_;
  std::map<std::string, std::string> obs_;
};

TEST_F(PersonalDataAccessTest, VillageSeesItsOwnResidentsIncludingOnesWhoRefuseSharing) {
  security::OrgScope village = Scope({"V1"}, {"V1"});
  EXPECT_EQ(Found("Patient", village), (std::set<std::string>{p1_, p3_}));
  EXPECT_EQ(Found("Observation", village), (std::set<std::string>{obs_[p1_], obs_[p3_]}));
  EXPECT_TRUE(Visible("Observation", obs_[p1_], village));
  EXPECT_FALSE(Visible("Observation", obs_[p2_], village));
  EXPECT_FALSE(Visible("Patient", p4_, village));
  EXPECT_EQ(repo_->CheckVisible("Observation", obs_[p1_], {})->patient, "Patient/" + p1_);
  EXPECT_EQ(repo_->CheckVisible("Patient", p2_, {})->patient, "Patient/" + p2_);
  // Not personal data: everyone sees it.
  EXPECT_EQ(Found("Organization", village), std::set<std::string>{org_});
}

TEST_F(PersonalDataAccessTest, TownshipSeesItsVillagesAndTreatedResidents) {
  security::OrgScope township = Scope({"T", "V1", "V2"}, {"T"});
  EXPECT_EQ(Found("Patient", township), (std::set<std::string>{p1_, p2_, p3_}));
}

TEST_F(PersonalDataAccessTest, CountyDoesNotSeeAResidentWhoRefusedSharing) {
  security::OrgScope county = Scope({"C", "T", "V1", "V2"}, {"C"});
  EXPECT_EQ(Found("Patient", county), (std::set<std::string>{p1_, p2_}));
  EXPECT_EQ(Found("Observation", county), (std::set<std::string>{obs_[p1_], obs_[p2_]}));
  // Once the consent is no longer active, the county sees the resident again.
  SearchInput in;
  in.type = "Consent";
  auto consents = repo_->Search(in);
  ASSERT_TRUE(consents.ok());
  ASSERT_EQ(consents->matches.size(), 1u);
  json::Value c = *json::Parse(consents->matches[0].json);
  c.as_object().Set("status", "inactive");
  ASSERT_TRUE(repo_->Update("Consent", consents->matches[0].id, std::move(c), std::nullopt).ok());
  EXPECT_EQ(Found("Patient", county), (std::set<std::string>{p1_, p2_, p3_}));
}

TEST_F(PersonalDataAccessTest, UnrestrictedScopeHasNoPredicateAndNoAreaSeesNothing) {
  security::OrgScope all;
  all.unrestricted = true;
  EXPECT_TRUE(PersonalDataPredicate(all).sql.empty());
  EXPECT_EQ(Found("Patient", all).size(), 4u);
  EXPECT_TRUE(Found("Patient", Scope({}, {})).empty());
}

TEST_F(PersonalDataAccessTest, WritesMustStayInsideTheScope) {
  security::OrgScope village = Scope({"V1"}, {"V1"});
  search::AccessPredicate predicate = PersonalDataPredicate(village);
  auto check = [&](const std::string& text) {
    return CheckWritableContent(*repo_, *json::Parse(text), village, predicate);
  };
  EXPECT_TRUE(check(StrCat(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
                           R"("subject":{"reference":"Patient/)", p1_, "\"}}"))
                  .ok());
  absl::Status other = check(StrCat(R"({"resourceType":"Observation","status":"final",)"
                                    R"("code":{"text":"x"},"subject":{"reference":"Patient/)",
                                    p2_, "\"}}"));
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied) << other;
  EXPECT_FALSE(check(R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})").ok());
  EXPECT_TRUE(check(R"({"resourceType":"Patient","managingOrganization":{"reference":"Organization/V1"}})").ok());
  EXPECT_FALSE(check(R"({"resourceType":"Patient","managingOrganization":{"reference":"Organization/V2"}})").ok());
  EXPECT_FALSE(check(R"({"resourceType":"Patient"})").ok());
  EXPECT_TRUE(check(R"({"resourceType":"Organization","name":"x"})").ok());
}

}  // namespace
}  // namespace rhip::fhir
