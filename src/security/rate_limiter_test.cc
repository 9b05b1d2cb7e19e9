#include "security/rate_limiter.h"

#include "gtest/gtest.h"

namespace rhip::security {
namespace {

constexpr Micros kSecond = 1000 * 1000;

TEST(RateLimiterTest, SlidingWindowPerKey) {
  RateLimiter limiter({.max_events = 3, .window = 60 * kSecond});
  Micros t = 1000 * kSecond;
  EXPECT_EQ(limiter.Acquire("a", t), 0);
  EXPECT_EQ(limiter.Acquire("a", t + 10 * kSecond), 0);
  EXPECT_EQ(limiter.Acquire("a", t + 20 * kSecond), 0);
  // The fourth within the minute waits until the first leaves the window.
  EXPECT_EQ(limiter.Acquire("a", t + 30 * kSecond), 30 * kSecond);
  EXPECT_EQ(limiter.Acquire("b", t + 30 * kSecond), 0);
  // A refused attempt is not recorded, so it does not push the wait further out.
  EXPECT_EQ(limiter.Acquire("a", t + 59 * kSecond), 1 * kSecond);
  EXPECT_EQ(limiter.Acquire("a", t + 60 * kSecond), 0);
  EXPECT_EQ(limiter.Acquire("a", t + 61 * kSecond), 9 * kSecond);
}

TEST(RateLimiterTest, ZeroMeansNoLimit) {
  RateLimiter limiter({.max_events = 0});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.Acquire("a", 1), 0);
}

TEST(RateLimiterTest, TooManyKeysFailClosedUntilTheySweep) {
  RateLimiter limiter({.max_events = 5, .window = 60 * kSecond, .max_keys = 2});
  EXPECT_EQ(limiter.Acquire("a", 0), 0);
  EXPECT_EQ(limiter.Acquire("b", 0), 0);
  EXPECT_EQ(limiter.Acquire("c", kSecond), 60 * kSecond);
  EXPECT_EQ(limiter.Acquire("a", kSecond), 0);  // known keys go on
  EXPECT_EQ(limiter.Acquire("c", 61 * kSecond), 0);  // "b" left the window: swept
}

}  // namespace
}  // namespace rhip::security
