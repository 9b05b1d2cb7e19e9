#include "fhir/search/date_range.h"

#include "gtest/gtest.h"

namespace rhip::fhir::search {
namespace {

constexpr Micros kSecond = 1000000;

TEST(DateRangeTest, PrecisionGivesTheWholePeriodInChinaTime) {
  auto day = ParseDateRange("2024-03-01");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->lo, ParseDateRange("2024-03-01T00:00:00+08:00")->lo);
  EXPECT_EQ(day->hi - day->lo + 1, 86400 * kSecond);
  auto year = ParseDateRange("2024");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->hi - year->lo + 1, 366LL * 86400 * kSecond);  // leap year
  auto month = ParseDateRange("2023-02");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->hi - month->lo + 1, 28LL * 86400 * kSecond);
}

TEST(DateRangeTest, TimesAndZones) {
  auto utc = ParseDateRange("2024-03-01T10:00:00Z");
  auto cst = ParseDateRange("2024-03-01T18:00:00+08:00");
  ASSERT_TRUE(utc && cst);
  EXPECT_EQ(utc->lo, cst->lo);
  EXPECT_EQ(utc->hi - utc->lo + 1, kSecond);
  auto ms = ParseDateRange("2024-03-01T10:00:00.123Z");
  ASSERT_TRUE(ms);
  EXPECT_EQ(ms->lo - utc->lo, 123000);
  EXPECT_EQ(ms->hi - ms->lo + 1, 1000);
  auto minute = ParseDateRange("2024-03-01T10:00Z");
  ASSERT_TRUE(minute);
  EXPECT_EQ(minute->hi - minute->lo + 1, 60 * kSecond);
}

TEST(DateRangeTest, RejectsMalformed) {
  for (const char* bad : {"", "20", "2024-13", "2024-02-30", "2024-01-01T25:00Z", "2024-01-01X",
                          "2024-01-01T10:00:00+0800", "abcd"}) {
    EXPECT_FALSE(ParseDateRange(bad)) << bad;
  }
}

}  // namespace
}  // namespace rhip::fhir::search
