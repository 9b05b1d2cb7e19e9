#include "registry/mpi/jaro_winkler.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

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

// The textbook definition, written as plainly as possible, against the bit-parallel short path.
double ReferenceJaro(const std::string& a, const std::string& b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const int window = std::max<int>(0, static_cast<int>(std::max(a.size(), b.size())) / 2 - 1);
  std::vector<bool> am(a.size()), bm(b.size());
  int m = 0;
  for (int i = 0; i < static_cast<int>(a.size()); ++i) {
    for (int j = std::max(0, i - window); j < std::min<int>(b.size(), i + window + 1); ++j) {
      if (!bm[j] && a[i] == b[j]) {
        am[i] = bm[j] = true;
        ++m;
        break;
      }
    }
  }
  if (m == 0) return 0.0;
  std::string sa, sb;
  for (size_t i = 0; i < a.size(); ++i) {
    if (am[i]) sa += a[i];
  }
  for (size_t j = 0; j < b.size(); ++j) {
    if (bm[j]) sb += b[j];
  }
  int half = 0;
  for (int k = 0; k < m; ++k) half += sa[k] != sb[k];
  return (1.0 * m / a.size() + 1.0 * m / b.size() + (m - half / 2.0) / m) / 3.0;
}

TEST(JaroWinklerTest, AgreesWithTextbookDefinition) {
  std::mt19937 rng(5);
  for (int n = 0; n < 20000; ++n) {
    // Small alphabets make repeated characters, where the pairing order matters.
    const int alphabet = 2 + rng() % 6;
    auto word = [&] {
      std::string w(rng() % 65, ' ');
      for (char& c : w) c = static_cast<char>('a' + rng() % alphabet);
      return w;
    };
    const std::string a = word(), b = word();
    ASSERT_DOUBLE_EQ(Jaro(a, b), ReferenceJaro(a, b)) << a << " / " << b;
  }
}

}  // namespace
}  // namespace rhip::registry::mpi
