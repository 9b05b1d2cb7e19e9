// Jaro and Jaro–Winkler similarity on byte strings (pinyin keys and folded Latin names are ASCII).
// Definitions as in docs/MPI.md: match window ⌊max(|a|, |b|) / 2⌋ − 1, Winkler prefix of at most 4
// bytes with scale 0.1, applied only when the Jaro similarity exceeds 0.7.
#pragma once

#include <string_view>

namespace rhip::registry::mpi {

// Strings up to this many bytes are compared without allocating.
inline constexpr size_t kJaroMaxInlineBytes = 64;

// 1.0 for two empty strings, 0.0 when exactly one is empty. Thread-safe.
double Jaro(std::string_view a, std::string_view b);
double JaroWinkler(std::string_view a, std::string_view b);

}  // namespace rhip::registry::mpi
