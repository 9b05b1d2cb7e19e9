#include "registry/mpi/linker.h"

#include <set>

#include "gtest/gtest.h"
#include "registry/mpi/normalize.h"
#include "registry/mpi/testing/synthetic_residents.h"

namespace rhip::registry::mpi {
namespace {

PersonRecord Zhang(std::string_view given = "伟", std::string_view id = "11010519491231002X") {
  return Normalize({.family = "张", .given = given, .resident_id = id, .birth_date = "1949-12-31",
                    .sex = "male", .phone = "13800138000", .division_code = "110105001001"});
}

TEST(LinkerTest, ClustersLinkedRecordsUnderTheSmallestIndex) {
  const Scorer scorer(StartingModel());
  std::vector<PersonRecord> records = {
      Normalize({.family = "李", .given = "娜", .resident_id = "440524188001010014",
                 .birth_date = "1880-01-01", .sex = "female", .phone = "13912345678"}),
      Zhang(),
      Zhang("玮"),                               // homophone
      Zhang("伟", "110105194912310020"),          // ID with one digit wrong
      Normalize({.family = "王", .given = "芳", .birth_date = "1990-03-07", .sex = "female"}),
  };
  const LinkResult result = Deduplicate(records, scorer, {});
  EXPECT_EQ(result.cluster_of, (std::vector<uint32_t>{0, 1, 1, 1, 4}));
  EXPECT_EQ(result.pairs_scored, 3);  // only the 张 records share a key
  ASSERT_EQ(result.pairs.size(), 3u);
  for (const ScoredPair& p : result.pairs) {
    EXPECT_LT(p.a, p.b);
    EXPECT_EQ(p.decision, Decision::kLink);
    EXPECT_GT(p.probability, 0.99);
  }
}

TEST(LinkerTest, ScoresEachPairOnceAcrossSharedKeys) {
  // Identical records share every key (ID, phone, name + date, ...), yet each pair is scored once.
  const std::vector<PersonRecord> records(6, Zhang());
  const LinkResult result = Deduplicate(records, Scorer(StartingModel()), {.threads = 2});
  EXPECT_EQ(result.pairs_scored, 15);
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (const ScoredPair& p : result.pairs) EXPECT_TRUE(seen.insert({p.a, p.b}).second);
  EXPECT_EQ(seen.size(), 15u);
}

TEST(LinkerTest, SkipsBlocksOverMaxBlock) {
  // Five different people who share only a phone number (a nursing home's desk).
  std::vector<PersonRecord> records;
  const char* family[] = {"赵", "钱", "孙", "李", "周"};
  const char* given[] = {"一", "二", "三", "四", "五"};
  for (int i = 0; i < 5; ++i) {
    records.push_back(Normalize({.family = family[i], .given = given[i],
                                 .birth_date = std::to_string(1930 + i) + "-0" + std::to_string(i + 1) + "-1" + std::to_string(i),
                                 .phone = "031288888888"}));
  }
  const Scorer scorer(StartingModel());
  LinkResult skipped = Deduplicate(records, scorer, {.max_block = 4});
  EXPECT_EQ(skipped.blocks_skipped, 1);
  EXPECT_EQ(skipped.pairs_in_skipped_blocks, 10);
  EXPECT_EQ(skipped.pairs_scored, 0);
  LinkResult scored = Deduplicate(records, scorer, {.max_block = 5});
  EXPECT_EQ(scored.blocks_skipped, 0);
  EXPECT_EQ(scored.pairs_scored, 10);
  EXPECT_TRUE(scored.pairs.empty());  // a shared phone alone is no match
}

TEST(LinkerTest, SameResultOnOneAndTwoThreads) {
  const auto people = testing::GenerateResidents({.people = 2000, .seed = 7});
  std::vector<PersonRecord> records;
  for (const auto& p : people) records.push_back(Normalize(p.Fields()));
  const Scorer scorer(StartingModel());
  int64_t last_done = -1, last_total = 0;
  LinkOptions one{.threads = 1};
  one.progress = [&](int64_t done, int64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  const LinkResult a = Deduplicate(records, scorer, one);
  const LinkResult b = Deduplicate(records, scorer, {.threads = 2});
  EXPECT_EQ(last_done, last_total);
  EXPECT_GT(a.pairs_scored, 0);
  EXPECT_EQ(a.pairs_scored, b.pairs_scored);
  EXPECT_EQ(a.cluster_of, b.cluster_of);
  ASSERT_EQ(a.pairs.size(), b.pairs.size());
  for (size_t i = 0; i < a.pairs.size(); ++i) {
    EXPECT_EQ(a.pairs[i].a, b.pairs[i].a);
    EXPECT_EQ(a.pairs[i].b, b.pairs[i].b);
  }
}

TEST(DecidePairTest, TwoCheckedDifferentIdsAreReviewedNotLinked) {
  // Twins: same household phone, village, birth date and surname, names one character apart.
  const PersonRecord a = Zhang("浩航", "11010519491231002X");
  const PersonRecord b = Zhang("浩辰", "110105194912310046");
  EXPECT_EQ(DecidePair(a, b, 0.999, {}), Decision::kReview);
  // One typo apart, or one ID missing or unchecked: the probability decides.
  EXPECT_EQ(DecidePair(a, Zhang("浩航", "110105194912310020"), 0.999, {}), Decision::kLink);
  EXPECT_EQ(DecidePair(a, Zhang("浩航", ""), 0.999, {}), Decision::kLink);
  EXPECT_EQ(DecidePair(a, Zhang("浩航", "110105194912310047"), 0.999, {}), Decision::kLink);
  EXPECT_EQ(DecidePair(a, b, 0.6, {}), Decision::kReview);
  EXPECT_EQ(DecidePair(a, b, 0.1, {}), Decision::kSeparate);
}

TEST(LinkerTest, EmptyAndSingleRecordSets) {
  const Scorer scorer(StartingModel());
  const LinkResult none = Deduplicate({}, scorer, {});
  EXPECT_TRUE(none.cluster_of.empty());
  EXPECT_EQ(none.pairs_scored, 0);
  const std::vector<PersonRecord> one = {Zhang()};
  const LinkResult single = Deduplicate(one, scorer, {});
  EXPECT_EQ(single.cluster_of, (std::vector<uint32_t>{0}));
  EXPECT_EQ(single.pairs_scored, 0);
}

TEST(ClustersTest, ConnectedComponents) {
  const std::vector<std::pair<uint32_t, uint32_t>> pairs = {{2, 3}, {0, 1}, {1, 3}, {5, 6}};
  EXPECT_EQ(Clusters(7, pairs), (std::vector<uint32_t>{0, 0, 0, 0, 4, 5, 5}));
}

TEST(MatchOneTest, BestCandidateFirstAndSeparatesDropped) {
  const std::vector<PersonRecord> candidates = {
      Normalize({.family = "王", .given = "芳", .birth_date = "1990-03-07"}),
      Zhang("玮"),
      Zhang(),
  };
  const auto found = MatchOne(Zhang(), candidates, Scorer(StartingModel()), {});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].index, 2u);
  EXPECT_EQ(found[1].index, 1u);
  EXPECT_GE(found[0].weight, found[1].weight);
}

}  // namespace
}  // namespace rhip::registry::mpi
