// Debian's abseil (20220623) was built with its own absl::string_view rather than
// std::string_view, so the two do not convert implicitly. These bridges keep call sites short.
#pragma once

#include <string_view>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace rhip {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace strings_internal {
inline absl::AlphaNum Piece(std::string_view s) { return absl::AlphaNum(ToAbsl(s)); }
template <typename T>
const T& Piece(const T& v) {
  return v;
}
}  // namespace strings_internal

// absl::StrCat / absl::StrAppend that also take std::string_view.
template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::Piece(args)...);
}
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Piece(args)...);
}

// ASCII case-insensitive comparison (HTTP header names, FHIR codes).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace rhip
