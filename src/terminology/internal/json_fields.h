// Small readers of FHIR JSON members shared by the terminology sources.
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"

namespace rhip::terminology::internal {

// The member `key` when it is an array, else null.
inline const json::Array* ArrayAt(const json::Value& v, std::string_view key) {
  const json::Value* a = v.Find(key);
  return a != nullptr && a->is_array() ? &a->as_array() : nullptr;
}

// The member `key` when it is a string, else "".
inline std::string StringAt(const json::Value& v, std::string_view key) {
  const std::string* s = v.FindString(key);
  return s == nullptr ? std::string() : *s;
}

}  // namespace rhip::terminology::internal
