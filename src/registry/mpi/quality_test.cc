// Linkage quality regression: pairwise F1 of the whole pipeline (blocking, training, scoring,
// clustering) on FEBRL dataset1 and on synthetic Chinese residents. bench/mpi measures the
// larger sets; docs/PERFORMANCE.md has the figures.
#include "core/testing/paths.h"
#include "gtest/gtest.h"
#include "registry/mpi/linker.h"
#include "registry/mpi/model_io.h"
#include "registry/mpi/testing/labelled_sets.h"
#include "registry/mpi/training.h"

namespace rhip::registry::mpi {
namespace {

testing::PairwiseQuality Quality(const testing::LabelledSet& set, const Model& model) {
  const NameFrequencyTable tf(set.records);
  const Scorer scorer(model, &tf);
  const LinkResult result = Deduplicate(set.records, scorer, {.threads = 2});
  return testing::ClusterQuality(result.cluster_of, set.entity);
}

TEST(QualityTest, FebrlDataset1TrainedOnItself) {
  auto set = testing::LoadFebrl(rhip::testing::SharedDataDir() + "/mpi/dataset1.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->records.size(), 1000u);
  auto trained = Train(set->records, {.u_pairs = 1'000'000, .threads = 2});
  ASSERT_TRUE(trained.ok()) << trained.status();
  const auto q = Quality(*set, trained->model);
  EXPECT_GE(q.f1, 0.99) << "precision " << q.precision << " recall " << q.recall;
}

TEST(QualityTest, SyntheticChineseWithDefaultModel) {
  // A seed the default model was not trained on.
  const auto people = testing::GenerateResidents({.people = 5000, .seed = 42});
  const auto set = testing::FromSynthetic("chinese-5k", people);
  const auto q = Quality(set, DefaultModel());
  // Measured 0.98–0.99 (bench_mpi: 0.990 on 110,000 records).
  EXPECT_GE(q.f1, 0.95) << "precision " << q.precision << " recall " << q.recall;
}

TEST(QualityTest, ClusterQualityCountsPairs) {
  // Truth {0,1,2} {3}; predicted {0,1} {2,3}: 3 true pairs, 2 predicted, 1 correct.
  const std::vector<uint32_t> cluster = {0, 0, 2, 2}, entity = {7, 7, 7, 8};
  const auto q = testing::ClusterQuality(cluster, entity);
  EXPECT_EQ(q.true_pairs, 3);
  EXPECT_EQ(q.predicted_pairs, 2);
  EXPECT_EQ(q.correct_pairs, 1);
  EXPECT_DOUBLE_EQ(q.precision, 0.5);
  EXPECT_DOUBLE_EQ(q.recall, 1.0 / 3);
}

}  // namespace
}  // namespace rhip::registry::mpi
