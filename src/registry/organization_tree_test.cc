#include "registry/organization_tree.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "registry/testing/repository_fixture.h"

namespace rhip::registry {
namespace {

class OrganizationTreeTest : public testing::RepositoryFixture {
 protected:
  std::string Org(std::string_view name, std::string_view parent = {}) {
    std::string text = StrCat(R"({"resourceType":"Organization","name":")", name, "\"");
    if (!parent.empty())
      StrAppend(&text, R"(,"partOf":{"reference":"Organization/)", parent, "\"}");
    text.push_back('}');
    auto w = repo_->Create(*json::Parse(text));
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? w->resource.id : "";
  }
  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST_F(OrganizationTreeTest, SubtreeAncestorsDescendants) {
  OrganizationTree tree(repo_.get());
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

  auto up = tree.Ancestors(village_b);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_EQ(up->size(), 2u);
  EXPECT_EQ((*up)[0].id, township);
  EXPECT_EQ((*up)[0].name, "青山镇卫生院");
  EXPECT_EQ((*up)[0].depth, 1);
  EXPECT_EQ((*up)[0].parent, county);
  EXPECT_EQ((*up)[1].id, county);
  EXPECT_EQ((*up)[1].depth, 2);
  EXPECT_TRUE(tree.Ancestors(county)->empty());

  auto down = tree.Descendants(county);
  ASSERT_TRUE(down.ok()) << down.status();
  ASSERT_EQ(down->size(), 3u);
  EXPECT_EQ((*down)[0].id, township);  // breadth first
  EXPECT_EQ((*down)[1].depth, 2);
  EXPECT_EQ(tree.Descendants(county, /*max_depth=*/1)->size(), 1u);
  EXPECT_EQ(tree.Descendants("unknown").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tree.Ancestors("unknown").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(tree.builds(), 1);  // no write: the tree is built once
}

// The access policy asks for a user's area on every request: a write of an Organization must
// show in the next answer, with no time window in which a moved org unit still counts.
TEST_F(OrganizationTreeTest, EveryOrganizationWriteIsSeenByTheNextQuery) {
  OrganizationTree tree(repo_.get());
  std::string county = Org("县卫生健康局");
  std::string township = Org("青山镇卫生院", county);
  std::string other_township = Org("白水镇卫生院", county);
  EXPECT_EQ(tree.Subtree(township)->size(), 1u);

  std::string village = Org("新村卫生室", township);  // create
  EXPECT_EQ(Sorted(*tree.Subtree(township)), Sorted({township, village}));

  // Moved to the other township (update): it leaves the first one's area at once.
  auto moved = repo_->Update(
      "Organization", village,
      *json::Parse(StrCat(R"({"resourceType":"Organization","id":")", village,
                          R"(","name":"新村卫生室","partOf":{"reference":"Organization/)",
                          other_township, "\"}}")),
      std::nullopt);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*tree.Subtree(township), std::vector<std::string>{township});
  EXPECT_EQ(Sorted(*tree.Subtree(other_township)), Sorted({other_township, village}));

  ASSERT_TRUE(repo_->Delete("Organization", village, std::nullopt).ok());  // delete
  EXPECT_EQ(*tree.Subtree(other_township), std::vector<std::string>{other_township});
  EXPECT_EQ(tree.Descendants(village).status().code(), absl::StatusCode::kNotFound);

  // A write through a transaction Bundle, as rhip region load makes them.
  auto bundle = repo_->ProcessBundle(
      *json::Parse(StrCat(
          R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)"
          R"({"resourceType":"Organization","name":"河口村卫生室","partOf":{"reference":"Organization/)",
          township, R"("}},"request":{"method":"POST","url":"Organization"}}]})")),
      "", {});
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(tree.Subtree(township)->size(), 2u);
  // A second tree on the same store (another process) sees the same.
  OrganizationTree other(repo_.get());
  EXPECT_EQ(other.Subtree(township)->size(), 2u);
  // A bulk load (rhip import) is seen too, also before its search index is built.
  auto bulk = repo_->WriteBulk({*json::Parse(
      StrCat(R"({"resourceType":"Organization","id":"bulk1","name":"导入卫生室","partOf":{"reference":"Organization/)",
             township, R"("}})"))});
  ASSERT_TRUE(bulk.ok()) << bulk.status();
  ASSERT_TRUE((*bulk)[0].status.ok()) << (*bulk)[0].status;
  EXPECT_EQ(tree.Subtree(township)->size(), 3u);
  ASSERT_TRUE(repo_->BuildStagedIndex().ok());
  EXPECT_EQ(tree.Subtree(township)->size(), 3u);
  // Writes of other types do not rebuild the tree.
  int64_t builds = tree.builds();
  ASSERT_TRUE(
      repo_->Create(*json::Parse(R"({"resourceType":"Patient","name":[{"text":"张三"}]})")).ok());
  EXPECT_EQ(tree.Subtree(county)->size(), 5u);
  EXPECT_EQ(tree.builds(), builds);
}

TEST_F(OrganizationTreeTest, CycleInPartOfEnds) {
  OrganizationTree tree(repo_.get());
  std::string a = Org("A");
  std::string b = Org("B", a);
  auto updated = repo_->Update(
      "Organization", a,
      *json::Parse(StrCat(R"({"resourceType":"Organization","id":")", a,
                          R"(","name":"A","partOf":{"reference":"Organization/)", b, "\"}}")),
      std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(Sorted(*tree.Subtree(a)), Sorted({a, b}));
  EXPECT_EQ(tree.Ancestors(a)->size(), 1u);
  EXPECT_EQ(tree.Descendants(b)->size(), 1u);
}

}  // namespace
}  // namespace rhip::registry
