// A JSON document model that keeps what FHIR needs to round-trip a resource exactly:
// member order, and numbers as the text they were written with (FHIR decimals carry
// their precision: 1.10 is not 1.1). Boost.JSON turns numbers into doubles, so rhip
// uses this model for resources and Boost.JSON nowhere in public headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::json {

class Value;

// A JSON number kept as its literal text (validated by the parser).
struct Number {
  std::string text;
  bool operator==(const Number&) const = default;
};

using Array = std::vector<Value>;

// Members in document order. Lookups are linear: FHIR objects have few members.
class Object {
 public:
  using Member = std::pair<std::string, Value>;

  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Sets key, replacing an existing member in place or appending a new one.
  Value& Set(std::string_view key, Value value);
  bool Erase(std::string_view key);
  bool empty() const { return members_.empty(); }
  size_t size() const { return members_.size(); }

  std::vector<Member>& members() { return members_; }
  const std::vector<Member>& members() const { return members_; }
  auto begin() const { return members_.begin(); }
  auto end() const { return members_.end(); }
  auto begin() { return members_.begin(); }
  auto end() { return members_.end(); }

  bool operator==(const Object& other) const;

 private:
  std::vector<Member> members_;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(Number n) : v_(std::move(n)) {}
  Value(int64_t n) : v_(Number{std::to_string(n)}) {}
  Value(int n) : v_(Number{std::to_string(n)}) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Object o) : v_(std::move(o)) {}

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_number() const { return kind() == Kind::kNumber; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // REQUIRES: the matching kind.
  bool as_bool() const { return std::get<bool>(v_); }
  const Number& as_number() const { return std::get<Number>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Convenience accessors that answer nullptr / nullopt on a kind mismatch.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  const std::string* FindString(std::string_view key) const;
  std::optional<int64_t> AsInt64() const;

  bool operator==(const Value& other) const { return v_ == other.v_; }

 private:
  std::variant<std::monostate, bool, Number, std::string, Array, Object> v_;
};

struct ParseOptions {
  int max_depth = 64;
  // FHIR forbids duplicate member names; a generic parser could allow them.
  bool reject_duplicate_keys = true;
};

// Parses one JSON text (RFC 8259, UTF-8). Errors are InvalidArgument naming the byte offset.
absl::StatusOr<Value> Parse(std::string_view text, const ParseOptions& options = {});

// Compact serialization; numbers are written as their stored text.
std::string Serialize(const Value& value);
void SerializeTo(const Value& value, std::string* out);
// Two-space indented serialization for people.
std::string SerializePretty(const Value& value);

// Appends s as a JSON string literal (with quotes) to out.
void AppendQuoted(std::string_view s, std::string* out);

}  // namespace rhip::json
