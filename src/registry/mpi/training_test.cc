#include "registry/mpi/training.h"

#include "gtest/gtest.h"
#include "registry/mpi/model_io.h"
#include "registry/mpi/normalize.h"
#include "registry/mpi/testing/synthetic_residents.h"

namespace rhip::registry::mpi {
namespace {

constexpr size_t kId = static_cast<size_t>(Comparison::kResidentId);
constexpr size_t kName = static_cast<size_t>(Comparison::kName);

TEST(TrainingTest, RecoversSensibleMAndU) {
  const auto people = testing::GenerateResidents({.people = 4000, .seed = 3});
  std::vector<PersonRecord> records;
  for (const auto& p : people) records.push_back(Normalize(p.Fields()));
  auto trained = Train(records, {.u_pairs = 400'000, .threads = 2});
  ASSERT_TRUE(trained.ok()) << trained.status();
  const Model& model = trained->model;
  // The m the labels give: level shares among the true pairs.
  std::vector<std::pair<uint32_t, uint32_t>> true_pairs;
  for (uint32_t a = 0; a < people.size(); ++a) {
    for (uint32_t b = a + 1; b < people.size(); ++b) {
      if (people[a].person == people[b].person) true_pairs.emplace_back(a, b);
    }
  }
  std::array<std::array<double, kMaxLevels>, kComparisonCount> counts{};
  for (const PatternCount& p : CountPatterns(records, true_pairs)) {
    for (size_t k = 0; k < kComparisonCount; ++k) counts[k][p.pattern.levels[k]] += p.count;
  }
  auto true_m = [&](size_t k, size_t level) {
    double non_null = 0;
    for (size_t l = 1; l < kLevelCounts[k]; ++l) non_null += counts[k][l];
    return counts[k][level] / non_null;
  };
  for (size_t k : {kId, kName, static_cast<size_t>(Comparison::kBirthDate)}) {
    EXPECT_NEAR(model.m[k][1], true_m(k, 1), 0.1) << "comparison " << k;
  }
  EXPECT_GT(model.m[kId][1], 0.6);
  EXPECT_LT(model.u[kId][1], 1e-3);
  EXPECT_GT(model.m[kName][1], 100 * model.u[kName][1]);
  // ~400 true pairs among 4400·4399/2 ≈ 9.7 M.
  EXPECT_GT(model.lambda, 1e-5);
  EXPECT_LT(model.lambda, 1e-3);
  ASSERT_EQ(trained->rounds.size(), 3u);
  for (const auto& round : trained->rounds) {
    EXPECT_GT(round.pairs, 0) << round.rule;
    EXPECT_GT(round.iterations, 0) << round.rule;
  }
  const std::string report = DescribeTraining(*trained);
  EXPECT_NE(report.find("resident_id exact"), std::string::npos) << report;
}

TEST(TrainingTest, RefusesTooFewRecords) {
  const std::vector<PersonRecord> one = {Normalize({.family = "王"})};
  EXPECT_FALSE(Train(one).ok());
}

}  // namespace
}  // namespace rhip::registry::mpi
