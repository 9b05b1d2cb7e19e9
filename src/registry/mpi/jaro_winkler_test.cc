#include "registry/mpi/jaro_winkler.h"

#include <string>

#include "gtest/gtest.h"

namespace rhip::registry::mpi {
namespace {

// The check values of Winkler's papers, as quoted in docs/MPI.md.
TEST(JaroWinklerTest, PublishedCheckValues) {
  EXPECT_NEAR(JaroWinkler("MARTHA", "MARHTA"), 0.9611, 5e-5);
  EXPECT_NEAR(JaroWinkler("DWAYNE", "DUANE"), 0.84, 5e-5);
  EXPECT_NEAR(JaroWinkler("DIXON", "DICKSONX"), 0.8133, 5e-5);
  EXPECT_NEAR(Jaro("MARTHA", "MARHTA"), 0.9444, 5e-5);
  EXPECT_NEAR(Jaro("DIXON", "DICKSONX"), 0.7667, 5e-5);
}

TEST(JaroWinklerTest, SymmetricAndBounded) {
  const char* words[] = {"zhangwei", "zhangwen", "wangwei", "ouyangnana", "a", "ab", "ba", ""};
  for (const char* a : words) {
    for (const char* b : words) {
      const double x = JaroWinkler(a, b);
      EXPECT_DOUBLE_EQ(x, JaroWinkler(b, a)) << a << " " << b;
      EXPECT_GE(x, 0.0);
      EXPECT_LE(x, 1.0);
    }
  }
}

TEST(JaroWinklerTest, EdgeCases) {
  EXPECT_EQ(Jaro("", ""), 1.0);
  EXPECT_EQ(Jaro("abc", ""), 0.0);
  EXPECT_EQ(JaroWinkler("zhangwei", "zhangwei"), 1.0);
  EXPECT_EQ(Jaro("abc", "xyz"), 0.0);
  // Window ⌊2/2⌋ − 1 = 0: "ab"/"ba" share no character within the window.
  EXPECT_EQ(Jaro("ab", "ba"), 0.0);
  // No prefix bonus at or below J = 0.7.
  EXPECT_NEAR(JaroWinkler("abcdxxxxxx", "abcdyyyyyy"), Jaro("abcdxxxxxx", "abcdyyyyyy"), 1e-12);
}

TEST(JaroWinklerTest, PinyinExample) {
  EXPECT_NEAR(JaroWinkler("zhangwei", "zhangwen"), 0.95, 5e-3);
}

// Beyond the inline buffer the heap path must give the same answer as the definition does.
TEST(JaroWinklerTest, LongStrings) {
  const std::string a = std::string(100, 'a') + "MARTHA";
  const std::string b = std::string(100, 'a') + "MARHTA";
  EXPECT_GT(JaroWinkler(a, b), 0.99);
  EXPECT_LT(JaroWinkler(a, b), 1.0);
  EXPECT_EQ(JaroWinkler(a, a), 1.0);
}

}  // namespace
}  // namespace rhip::registry::mpi
