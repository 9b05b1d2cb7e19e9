#include "core/clock.h"

#include "gtest/gtest.h"

namespace rhip {
namespace {

TEST(ClockTest, FormatsInstant) {
  EXPECT_EQ(FormatInstant(1795322345123456), "2026-11-22T04:39:05.123Z");
  EXPECT_EQ(FormatHttpDate(1795322345123456), "Sun, 22 Nov 2026 04:39:05 GMT");
}

TEST(ClockTest, ParsesHttpDate) {
  EXPECT_EQ(ParseHttpDate("Sun, 22 Nov 2026 04:39:05 GMT"), 1795322345000000);
  EXPECT_EQ(ParseHttpDate("yesterday"), std::nullopt);
}

TEST(ClockTest, ParsesFhirDateTimes) {
  EXPECT_EQ(ParseFhirDateTime("2026-11-22T04:39:05.123Z"), 1795322345123000);
  EXPECT_EQ(ParseFhirDateTime("2026-11-22T12:39:05+08:00"), 1795322345000000);
  EXPECT_EQ(ParseFhirDateTime("2026"), ParseFhirDateTime("2026-01-01T00:00:00Z"));
  EXPECT_EQ(ParseFhirDateTime("2026-11"), ParseFhirDateTime("2026-11-01T00:00:00Z"));
  EXPECT_EQ(ParseFhirDateTime("2026-13-01"), std::nullopt);
  EXPECT_EQ(ParseFhirDateTime("2026-11-22T04"), std::nullopt);
  EXPECT_EQ(ParseFhirDateTime("nonsense"), std::nullopt);
}

}  // namespace
}  // namespace rhip
