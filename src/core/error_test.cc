#include "core/error.h"

#include "gtest/gtest.h"

namespace rhip {
namespace {

TEST(ErrorTest, KindSurvivesAsPayload) {
  absl::Status s = MakeError(ErrorKind::kGone, "deleted");
  EXPECT_EQ(KindOf(s), ErrorKind::kGone);
  EXPECT_EQ(InfoOf(KindOf(s)).http_status, 410);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST(ErrorTest, PlainAbslCodesMap) {
  EXPECT_EQ(InfoOf(KindOf(absl::NotFoundError("x"))).http_status, 404);
  EXPECT_EQ(InfoOf(KindOf(absl::InvalidArgumentError("x"))).http_status, 400);
  EXPECT_EQ(InfoOf(KindOf(absl::InternalError("x"))).http_status, 500);
  EXPECT_EQ(InfoOf(KindOf(absl::UnavailableError("x"))).http_status, 503);
}

TEST(ErrorTest, IssuesRoundTrip) {
  absl::Status s = MakeError(ErrorKind::kUnprocessable, "invalid",
                             {{"error", "structure", "unknown element", "Patient.foo"}});
  auto issues = IssuesOf(s);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].expression, "Patient.foo");
  EXPECT_EQ(issues[0].code, "structure");
}

}  // namespace
}  // namespace rhip
