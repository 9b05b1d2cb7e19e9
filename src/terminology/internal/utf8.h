// UTF-8 decoding shared by the generator and the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rhip::terminology::internal {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point at s[*pos] and advances *pos past it. A malformed, overlong or surrogate
// sequence yields U+FFFD and advances by one byte, so every input decodes deterministically.
// REQUIRES: *pos < s.size().
inline char32_t DecodeUtf8(std::string_view s, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(*pos);
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++*pos;
    return kReplacementChar;
  }
  if (*pos + len > s.size()) {
    ++*pos;
    return kReplacementChar;
  }
  for (size_t k = 1; k < len; ++k) {
    const uint8_t b = byte(*pos + k);
    if ((b & 0xC0) != 0x80) {
      ++*pos;
      return kReplacementChar;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*pos;
    return kReplacementChar;
  }
  *pos += len;
  return cp;
}

// CJK Unified Ideographs: the main block, Extension A, and Extensions B to H (planes 2 and 3).
inline bool IsHan(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2EBEF) || (cp >= 0x30000 && cp <= 0x323AF);
}

}  // namespace rhip::terminology::internal
