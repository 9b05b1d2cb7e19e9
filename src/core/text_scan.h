// Tiny scanners for hand-written parsers of dates, times and numbers.
#pragma once

#include <cstddef>
#include <string_view>

namespace rhip {

inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n decimal digits at s[*pos] into *value and advances *pos; false (and
// nothing consumed) when they are not there.
inline bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* value) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[*pos + k];
    if (!IsAsciiDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

// Consumes c at s[*pos] if it is there.
inline bool AcceptChar(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace rhip
