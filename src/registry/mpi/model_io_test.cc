#include "registry/mpi/model_io.h"

#include "core/strings.h"
#include "gtest/gtest.h"

namespace rhip::registry::mpi {
namespace {

TEST(ModelIoTest, RoundTripsExactly) {
  Model model = StartingModel();
  model.lambda = 1.234567890123e-5;
  model.m[1][1] = 0.987654321;
  auto back = ModelFromJson(ModelToJson(model, "test"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->lambda, model.lambda);
  EXPECT_EQ(back->tf_weight, model.tf_weight);
  EXPECT_EQ(back->tf_min, model.tf_min);
  for (size_t k = 0; k < kComparisonCount; ++k) {
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      EXPECT_EQ(back->m[k][level], model.m[k][level]);
      EXPECT_EQ(back->u[k][level], model.u[k][level]);
    }
  }
}

void ExpectInvalid(const std::string& text, std::string_view message_part) {
  auto model = ModelFromJson(text);
  ASSERT_FALSE(model.ok()) << text;
  EXPECT_NE(model.status().message().find(ToAbsl(message_part)), absl::string_view::npos)
      << model.status();
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ModelIoTest, RefusesBadInput) {
  const std::string good = ModelToJson(StartingModel());
  ExpectInvalid("{", "not JSON");
  ExpectInvalid("[]", "not a JSON object");
  ExpectInvalid(Replace(good, "rhip-mpi-model", "splink"), "format");
  ExpectInvalid(Replace(good, "\"version\": 1", "\"version\": 2"), "version");
  ExpectInvalid(Replace(good, "\"resident_id\"", "\"id\""), "comparison 2 must be \"resident_id\"");
  ExpectInvalid(Replace(good, "\"day_month_swapped\"", "\"swapped\""), "day_month_swapped");
  ExpectInvalid(Replace(good, "\"lambda\": 0.0001", "\"lambda\": 1"), "lambda");
  ExpectInvalid(Replace(good, "\"lambda\": 0.0001", "\"lambda\": \"x\""), "lambda");
  ExpectInvalid(Replace(good, "\"m\": 0.84999999999999998", "\"m\": 0"), "(0, 1]");
}

TEST(ModelIoTest, DefaultModelIsTrained) {
  const Model& model = DefaultModel();
  EXPECT_TRUE(ValidateModel(model).ok());
  const Scorer scorer(model);
  // Trained, not the hand-set start: an exact ID is strong evidence, a different one against.
  EXPECT_GT(scorer.LevelWeight(Comparison::kResidentId, 1), 10);
  EXPECT_LT(scorer.LevelWeight(Comparison::kResidentId, 4), -3);
  EXPECT_NE(model.lambda, StartingModel().lambda);
}

}  // namespace
}  // namespace rhip::registry::mpi
