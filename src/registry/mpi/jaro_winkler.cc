#include "registry/mpi/jaro_winkler.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <memory>

namespace rhip::registry::mpi {
namespace {

double JaroWithFlags(std::string_view a, std::string_view b, bool* a_matched, bool* b_matched) {
  const size_t window_raw = std::max(a.size(), b.size()) / 2;
  const size_t window = window_raw > 0 ? window_raw - 1 : 0;
  size_t matches = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(b.size(), i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!b_matched[j] && a[i] == b[j]) {
        a_matched[i] = b_matched[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  // Half the matched characters that appear in a different order.
  size_t out_of_order = 0;
  for (size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++out_of_order;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(out_of_order) / 2.0;
  return (m / a.size() + m / b.size() + (m - t) / m) / 3.0;
}

// Short strings, bit-parallel: positions are bits of a 64-bit mask, so a character of a finds its
// first unmatched equal character of b inside the window with one AND and a count of trailing
// zeros instead of a scan (the same pairing as the scan above).
double JaroShort(std::string_view a, std::string_view b) {
  const size_t window_raw = std::max(a.size(), b.size()) / 2;
  const size_t window = window_raw > 0 ? window_raw - 1 : 0;
  // Positions of each byte value in b. Only the entries a and b use are cleared (not all 256).
  std::array<uint64_t, 256> positions;
  for (char c : a) positions[static_cast<unsigned char>(c)] = 0;
  for (char c : b) positions[static_cast<unsigned char>(c)] = 0;
  for (size_t j = 0; j < b.size(); ++j) {
    positions[static_cast<unsigned char>(b[j])] |= uint64_t{1} << j;
  }
  const auto below = [](size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; };
  uint64_t a_matched = 0, b_matched = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(b.size(), i + window + 1);
    const uint64_t candidates =
        positions[static_cast<unsigned char>(a[i])] & ~b_matched & below(hi) & ~below(lo);
    if (candidates != 0) {
      a_matched |= uint64_t{1} << i;
      b_matched |= candidates & -candidates;  // the lowest: first in scan order
    }
  }
  const int matches = std::popcount(a_matched);
  if (matches == 0) return 0.0;
  int out_of_order = 0;
  while (a_matched != 0) {
    out_of_order += a[std::countr_zero(a_matched)] != b[std::countr_zero(b_matched)];
    a_matched &= a_matched - 1;
    b_matched &= b_matched - 1;
  }
  const double m = matches;
  const double t = out_of_order / 2.0;
  return (m / a.size() + m / b.size() + (m - t) / m) / 3.0;
}

}  // namespace

double Jaro(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a.size() <= kJaroMaxInlineBytes && b.size() <= kJaroMaxInlineBytes) return JaroShort(a, b);
  auto a_matched = std::make_unique<bool[]>(a.size());
  auto b_matched = std::make_unique<bool[]>(b.size());
  return JaroWithFlags(a, b, a_matched.get(), b_matched.get());
}

double JaroWinkler(std::string_view a, std::string_view b) {
  const double j = Jaro(a, b);
  if (j <= 0.7) return j;
  const size_t limit = std::min({a.size(), b.size(), size_t{4}});
  size_t prefix = 0;
  while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
  return j + prefix * 0.1 * (1.0 - j);
}

}  // namespace rhip::registry::mpi
