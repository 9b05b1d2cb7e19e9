#include "registry/mpi/fellegi_sunter.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/strings.h"
#include "gtest/gtest.h"
#include "registry/mpi/normalize.h"

namespace rhip::registry::mpi {
namespace {

constexpr size_t kName = static_cast<size_t>(Comparison::kName);
constexpr size_t kSex = static_cast<size_t>(Comparison::kSex);
constexpr size_t kId = static_cast<size_t>(Comparison::kResidentId);
constexpr uint8_t kExactName = static_cast<uint8_t>(NameLevel::kExact);

TEST(ModelTest, StartingModelIsValidAndSumsToOne) {
  const Model model = StartingModel();
  ASSERT_TRUE(ValidateModel(model).ok()) << ValidateModel(model);
  for (size_t k = 0; k < kComparisonCount; ++k) {
    double m = 0, u = 0;
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      m += model.m[k][level];
      u += model.u[k][level];
    }
    EXPECT_NEAR(m, 1.0, 1e-12) << k;
    EXPECT_NEAR(u, 1.0, 1e-12) << k;
  }
}

TEST(ModelTest, ValidateRejectsBadModels) {
  Model model = StartingModel();
  model.lambda = 1;
  EXPECT_FALSE(ValidateModel(model).ok());
  model = StartingModel();
  model.u[kSex][1] = 0;
  EXPECT_FALSE(ValidateModel(model).ok());
  model = StartingModel();
  model.m[kName].pop_back();
  EXPECT_FALSE(ValidateModel(model).ok());
}

TEST(ScorerTest, WeightIsPriorPlusLogRatiosAndNullAddsNothing) {
  const Model model = StartingModel();
  const Scorer scorer(model);
  AgreementPattern p;  // all null
  EXPECT_DOUBLE_EQ(scorer.Weight(p), std::log2(model.lambda / (1 - model.lambda)));
  p.levels[kName] = kExactName;
  p.levels[kSex] = static_cast<uint8_t>(SexLevel::kDifferent);
  const double expected = std::log2(model.lambda / (1 - model.lambda)) +
                          std::log2(model.m[kName][1] / model.u[kName][1]) +
                          std::log2(model.m[kSex][2] / model.u[kSex][2]);
  EXPECT_NEAR(scorer.Weight(p), expected, 1e-12);
}

TEST(ScorerTest, ProbabilityAndDecision) {
  EXPECT_DOUBLE_EQ(MatchProbability(0), 0.5);
  EXPECT_NEAR(MatchProbability(10), 1024.0 / 1025.0, 1e-15);
  EXPECT_GT(MatchProbability(2000), 0.999);
  EXPECT_LT(MatchProbability(-2000), 1e-300);
  const Thresholds t{.link = 0.99, .review = 0.5};
  EXPECT_EQ(Decide(0.995, t), Decision::kLink);
  EXPECT_EQ(Decide(0.7, t), Decision::kReview);
  EXPECT_EQ(Decide(0.2, t), Decision::kSeparate);
}

TEST(ScorerTest, SameRecordLinksDifferentPeopleSeparate) {
  const PersonRecord a = Normalize({.family = "张",
                                    .given = "三丰",
                                    .resident_id = "11010519491231002X",
                                    .birth_date = "1949-12-31",
                                    .sex = "female",
                                    .phone = "13812345678",
                                    .division_code = "110105001002"});
  PersonRecord typo = Normalize({.family = "張",
                                 .given = "三豐",
                                 .resident_id = "11010519491231003X",
                                 .birth_date = "1949-12-31",
                                 .sex = "female"});
  const PersonRecord other = Normalize({.family = "李",
                                        .given = "娜",
                                        .resident_id = "440524188001010014",
                                        .birth_date = "1880-01-01",
                                        .sex = "male",
                                        .division_code = "440524100200"});
  const Scorer scorer(StartingModel());
  const Thresholds t;
  EXPECT_EQ(Decide(MatchProbability(scorer.Weight(a, typo)), t), Decision::kLink);
  EXPECT_EQ(Decide(MatchProbability(scorer.Weight(a, other)), t), Decision::kSeparate);
}

TEST(ScorerTest, TermFrequencyCommonNameWeighsLessThanRareName) {
  std::vector<PersonRecord> records;
  for (int i = 0; i < 99; ++i) records.push_back(Normalize({.family = "王", .given = "伟"}));
  records.push_back(Normalize({.family = "欧阳", .given = "娜娜"}));
  const NameFrequencyTable tf(records);
  EXPECT_DOUBLE_EQ(tf.NameFrequency("王伟"), 0.99);
  EXPECT_DOUBLE_EQ(tf.NameFrequency("张三"), 0.0);
  const Model model = StartingModel();
  const Scorer scorer(model, &tf);
  const double common = scorer.NameFrequencyAdjustment(records[0], records[1]);
  const double rare = scorer.NameFrequencyAdjustment(records[99], records[99]);
  EXPECT_NEAR(common, std::log2(model.u[kName][1]) - std::log2(0.99), 1e-12);
  EXPECT_NEAR(rare, std::log2(model.u[kName][1]) - std::log2(0.01), 1e-12);
  EXPECT_LT(scorer.Weight(records[0], records[1]), scorer.Weight(records[99], records[99]));
  // Unknown names fall back to tf_min; different names get no adjustment.
  const PersonRecord unseen = Normalize({.family = "诸葛", .given = "亮"});
  EXPECT_NEAR(scorer.NameFrequencyAdjustment(unseen, unseen),
              std::log2(model.u[kName][1]) - std::log2(model.tf_min), 1e-12);
  EXPECT_EQ(scorer.NameFrequencyAdjustment(records[0], records[99]), 0.0);
  // Without a table, Weight(a, b) equals the pattern weight.
  const Scorer plain(model);
  EXPECT_DOUBLE_EQ(plain.Weight(records[0], records[1]),
                   plain.Weight(Compare(records[0], records[1])));
}

// Draws a level from probabilities indexed by level (entry 0 unused).
uint8_t Draw(const std::vector<double>& p, std::mt19937_64& rng) {
  double x = std::uniform_real_distribution<double>(0, 1)(rng);
  for (size_t level = 1; level + 1 < p.size(); ++level) {
    if ((x -= p[level]) < 0) return static_cast<uint8_t>(level);
  }
  return static_cast<uint8_t>(p.size() - 1);
}

// Patterns drawn from a known model (with 10% null fields); EM from a distorted start must find m.
TEST(EstimateMTest, RecoversKnownM) {
  Model truth = StartingModel();
  // Make the match distribution clearly different from the start.
  truth.m[kName] = {0, 0.6, 0.1, 0.05, 0.1, 0.05, 0.05, 0.05};
  truth.m[kSex] = {0, 0.9, 0.1};
  const double lambda = 0.3;
  std::mt19937_64 rng(42);
  absl::flat_hash_map<uint32_t, double> counts;
  for (int n = 0; n < 400000; ++n) {
    const bool match = std::uniform_real_distribution<double>(0, 1)(rng) < lambda;
    AgreementPattern p;
    for (size_t k = 0; k < kComparisonCount; ++k) {
      if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.1) continue;  // null
      p.levels[k] = Draw(match ? truth.m[k] : truth.u[k], rng);
    }
    counts[p.Pack()] += 1;
  }
  std::vector<PatternCount> patterns;
  for (const auto& [packed, count] : counts)
    patterns.push_back({AgreementPattern::Unpack(packed), count});

  Model start = truth;
  start.m = StartingModel().m;
  for (size_t k = 0; k < kComparisonCount; ++k) {
    // Flat m over the non-null levels: far from the truth.
    for (size_t level = 1; level < kLevelCounts[k]; ++level)
      start.m[k][level] = 1.0 / (kLevelCounts[k] - 1);
  }
  EmOptions options;
  options.max_iterations = 100;
  const EmResult result = EstimateM(start, patterns, options);
  EXPECT_TRUE(result.converged);
  EXPECT_NEAR(result.training_lambda, lambda, 0.01);
  for (size_t k = 0; k < kComparisonCount; ++k) {
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      EXPECT_NEAR(result.model.m[k][level], truth.m[k][level], 0.01)
          << "comparison " << k << " level " << level;
    }
    EXPECT_EQ(result.model.u[k], truth.u[k]);
  }

  // A comparison of the training blocking rule keeps its m.
  options.fixed_m[kId] = true;
  const EmResult fixed = EstimateM(start, patterns, options);
  EXPECT_EQ(fixed.model.m[kId], start.m[kId]);
}

TEST(EstimateMTest, StopsAtIterationCap) {
  const Model model = StartingModel();
  std::vector<PatternCount> patterns = {{Compare(Normalize({.family = "张", .given = "伟"}),
                                                 Normalize({.family = "张", .given = "伟"})),
                                         10}};
  AgreementPattern other;
  other.levels[kName] = static_cast<uint8_t>(NameLevel::kElse);
  patterns.push_back({other, 1000});
  EmOptions options;
  options.max_iterations = 1;
  options.tolerance = 0;
  const EmResult result = EstimateM(model, patterns, options);
  EXPECT_EQ(result.iterations, 1);
  EXPECT_FALSE(result.converged);
}

TEST(CountPatternsTest, Aggregates) {
  const std::vector<PersonRecord> records = {Normalize({.family = "张", .given = "伟"}),
                                             Normalize({.family = "张", .given = "伟"}),
                                             Normalize({.family = "李", .given = "娜"})};
  const std::vector<std::pair<uint32_t, uint32_t>> pairs = {{0, 1}, {0, 2}, {1, 2}, {1, 0}};
  const auto patterns = CountPatterns(records, pairs);
  ASSERT_EQ(patterns.size(), 2u);
  EXPECT_EQ(patterns[0].pattern.levels[kName], kExactName);
  EXPECT_EQ(patterns[0].count, 2);
  EXPECT_EQ(patterns[1].count, 2);
}

// Random pairs of a population whose level frequencies are known.
TEST(EstimateUTest, MatchesPopulationFrequencies) {
  std::vector<PersonRecord> records;
  for (int i = 0; i < 2000; ++i) {
    records.push_back(Normalize({.family = "张",
                                 .given = StrCat("名", i % 10),
                                 .resident_id = StrCat("1101051949", 10000000 + i),
                                 .sex = i % 2 == 0 ? "male" : "female"}));
  }
  const LevelProbabilities u = EstimateU(records, 200000, 7);
  // Sex: half the other records share one's sex (999 of 1999).
  EXPECT_NEAR(u[kSex][static_cast<size_t>(SexLevel::kEqual)], 999.0 / 1999.0, 0.005);
  // Names: 199 of the 1999 others carry the same one of 10 names.
  EXPECT_NEAR(u[kName][kExactName], 199.0 / 1999.0, 0.005);
  // IDs are all different: exact never seen, kept above 0 by the half count.
  EXPECT_GT(u[kId][static_cast<size_t>(IdLevel::kExact)], 0.0);
  EXPECT_LT(u[kId][static_cast<size_t>(IdLevel::kExact)], 1e-5);
  // Seeded: the same seed gives the same estimate.
  EXPECT_EQ(EstimateU(records, 1000, 7), EstimateU(records, 1000, 7));
}

}  // namespace
}  // namespace rhip::registry::mpi
