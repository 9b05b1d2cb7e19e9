#include "registry/organization_tree.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "gtest/gtest.h"

namespace rhip::registry {
namespace {

class SettableClock : public Clock {
 public:
  Micros Now() const override { return now; }
  Micros now = 1'700'000'000'000'000;
};

class OrganizationTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "rhip-org-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto db = db::Database::Open({.target = dir_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    repo_ = fhir::Repository::Create(db_.get(), &Clock::Real());
  }
  void TearDown() override {
    repo_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Org(std::string_view name, std::string_view parent = {}) {
    std::string text = StrCat(R"({"resourceType":"Organization","name":")", name, "\"");
    if (!parent.empty()) StrAppend(&text, R"(,"partOf":{"reference":"Organization/)", parent, "\"}");
    text.push_back('}');
    auto w = repo_->Create(*json::Parse(text));
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? w->resource.id : "";
  }
  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  std::string dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<fhir::Repository> repo_;
};

TEST_F(OrganizationTreeTest, SubtreeFollowsPartOfDownAndIsCachedForTheTtl) {
  SettableClock clock;
  OrganizationTree tree(repo_.get(), &clock, /*ttl=*/1000);
  std::string county = Org("县卫生健康局");
  std::string township = Org("青山镇卫生院", county);
  std::string village_a = Org("青山村卫生室", township);
  std::string village_b = Org("河口村卫生室", township);
  std::string other = Org("邻县卫生健康局");

  auto all = tree.Subtree(county);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->front(), county);
  EXPECT_EQ(Sorted(*all), Sorted({county, township, village_a, village_b}));
  EXPECT_EQ(Sorted(*tree.Subtree(township)), Sorted({township, village_a, village_b}));
  EXPECT_EQ(*tree.Subtree(village_a), std::vector<std::string>{village_a});
  EXPECT_EQ(*tree.Subtree("unknown"), std::vector<std::string>{"unknown"});
  EXPECT_EQ(*tree.Subtree(other), std::vector<std::string>{other});

  // A new village clinic shows once the cached subtree expires.
  std::string village_c = Org("新村卫生室", township);
  EXPECT_EQ(tree.Subtree(township)->size(), 3u);
  clock.now += 1000;
  EXPECT_EQ(tree.Subtree(township)->size(), 4u);
}

TEST_F(OrganizationTreeTest, CycleInPartOfEnds) {
  SettableClock clock;
  OrganizationTree tree(repo_.get(), &clock);
  std::string a = Org("A");
  std::string b = Org("B", a);
  auto updated = repo_->Update("Organization", a,
                               *json::Parse(StrCat(R"({"resourceType":"Organization","id":")", a,
                                                   R"(","name":"A","partOf":{"reference":"Organization/)",
                                                   b, "\"}}")),
                               std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(Sorted(*tree.Subtree(a)), Sorted({a, b}));
}

}  // namespace
}  // namespace rhip::registry
