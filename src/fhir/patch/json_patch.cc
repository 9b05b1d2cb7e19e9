// JSON Patch, RFC 6902, with JSON Pointer paths (RFC 6901).
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/status_macros.h"
#include "fhir/patch/patch.h"

namespace rhip::fhir {
namespace {

absl::Status Invalid(std::string_view message) {
  return MakeError(ErrorKind::kInvalid, absl::StrCat("invalid JSON Patch: ", ToAbsl(message)));
}

absl::Status Unprocessable(std::string_view message) {
  return MakeError(ErrorKind::kUnprocessable, absl::StrCat("JSON Patch cannot be applied: ", ToAbsl(message)));
}

absl::StatusOr<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return Invalid(absl::StrCat("path '", ToAbsl(pointer), "' must start with '/'"));
  size_t i = 1;
  std::string token;
  while (true) {
    if (i >= pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      if (i >= pointer.size()) return tokens;
    } else if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
        return Invalid(absl::StrCat("bad '~' escape in path '", ToAbsl(pointer), "'"));
      }
      token.push_back(pointer[++i] == '0' ? '~' : '/');
    } else {
      token.push_back(pointer[i]);
    }
    ++i;
  }
}

// An array index per RFC 6901: digits without leading zeros. nullopt if not one.
std::optional<size_t> ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return static_cast<size_t>(std::stoul(token));
}

std::string Join(const std::vector<std::string>& tokens, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, "/", tokens[i]);
  return out;
}

// The value at tokens[0..n).
absl::StatusOr<json::Value*> Resolve(json::Value* doc, const std::vector<std::string>& tokens, size_t n) {
  json::Value* v = doc;
  for (size_t i = 0; i < n; ++i) {
    json::Value* next = nullptr;
    if (v->is_object()) {
      next = v->Find(tokens[i]);
    } else if (v->is_array()) {
      std::optional<size_t> index = ArrayIndex(tokens[i]);
      if (index && *index < v->as_array().size()) next = &v->as_array()[*index];
    }
    if (next == nullptr) return Unprocessable(absl::StrCat("path ", Join(tokens, i + 1), " does not exist"));
    v = next;
  }
  return v;
}

absl::Status Add(json::Value* doc, const std::vector<std::string>& tokens, json::Value value) {
  if (tokens.empty()) {
    *doc = std::move(value);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(json::Value * parent, Resolve(doc, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    parent->as_object().Set(last, std::move(value));
    return absl::OkStatus();
  }
  if (parent->is_array()) {
    json::Array& a = parent->as_array();
    if (last == "-") {
      a.push_back(std::move(value));
      return absl::OkStatus();
    }
    std::optional<size_t> index = ArrayIndex(last);
    if (!index || *index > a.size()) {
      return Unprocessable(absl::StrCat("array index ", Join(tokens, tokens.size()), " is out of range"));
    }
    a.insert(a.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return absl::OkStatus();
  }
  return Unprocessable(absl::StrCat(Join(tokens, tokens.size() - 1), " is not an object or array"));
}

absl::StatusOr<json::Value> Remove(json::Value* doc, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return Unprocessable("cannot remove the whole document");
  ASSIGN_OR_RETURN(json::Value * target, Resolve(doc, tokens, tokens.size()));
  json::Value removed = std::move(*target);
  ASSIGN_OR_RETURN(json::Value * parent, Resolve(doc, tokens, tokens.size() - 1));
  if (parent->is_object()) {
    parent->as_object().Erase(tokens.back());
  } else {
    json::Array& a = parent->as_array();
    a.erase(a.begin() + static_cast<std::ptrdiff_t>(*ArrayIndex(tokens.back())));
  }
  return removed;
}

// RFC 6902 §4.6: numbers compare by value (1 equals 1.0), objects ignore member order.
bool JsonEquals(const json::Value& a, const json::Value& b) {
  if (a.is_number() && b.is_number()) {
    return std::strtod(a.as_number().text.c_str(), nullptr) ==
           std::strtod(b.as_number().text.c_str(), nullptr);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const json::Array &x = a.as_array(), &y = b.as_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!JsonEquals(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.as_object().size() != b.as_object().size()) return false;
    for (const auto& [k, v] : a.as_object()) {
      const json::Value* o = b.Find(k);
      if (o == nullptr || !JsonEquals(v, *o)) return false;
    }
    return true;
  }
  return a == b;
}

absl::StatusOr<std::vector<std::string>> PointerMember(const json::Value& op, std::string_view name) {
  const std::string* p = op.FindString(name);
  if (p == nullptr) return Invalid(absl::StrCat("operation without a string '", ToAbsl(name), "'"));
  return ParsePointer(*p);
}

absl::Status ApplyOne(const json::Value& op, json::Value* doc) {
  if (!op.is_object()) return Invalid("an operation must be an object");
  const std::string* name = op.FindString("op");
  if (name == nullptr) return Invalid("operation without 'op'");
  ASSIGN_OR_RETURN(std::vector<std::string> path, PointerMember(op, "path"));
  const json::Value* value = op.Find("value");
  const bool needs_value = *name == "add" || *name == "replace" || *name == "test";
  if (needs_value && value == nullptr) return Invalid(absl::StrCat("'", *name, "' without 'value'"));
  if (*name == "add") return Add(doc, path, *value);
  if (*name == "remove") return Remove(doc, path).status();
  if (*name == "replace") {
    ASSIGN_OR_RETURN(json::Value * target, Resolve(doc, path, path.size()));
    *target = *value;
    return absl::OkStatus();
  }
  if (*name == "test") {
    ASSIGN_OR_RETURN(json::Value * target, Resolve(doc, path, path.size()));
    if (!JsonEquals(*target, *value)) {
      return Unprocessable(absl::StrCat("test failed at ", Join(path, path.size())));
    }
    return absl::OkStatus();
  }
  if (*name == "move" || *name == "copy") {
    ASSIGN_OR_RETURN(std::vector<std::string> from, PointerMember(op, "from"));
    if (*name == "move") {
      if (path.size() > from.size() && std::equal(from.begin(), from.end(), path.begin())) {
        return Unprocessable("cannot move a value into one of its own children");
      }
      ASSIGN_OR_RETURN(json::Value moved, Remove(doc, from));
      return Add(doc, path, std::move(moved));
    }
    ASSIGN_OR_RETURN(json::Value * source, Resolve(doc, from, from.size()));
    json::Value copy = *source;
    return Add(doc, path, std::move(copy));
  }
  return Invalid(absl::StrCat("unknown op '", *name, "'"));
}

}  // namespace

absl::Status ApplyJsonPatch(const json::Value& patch_ops, json::Value* resource) {
  if (!patch_ops.is_array()) return Invalid("the patch must be a JSON array");
  json::Value result = *resource;
  for (const json::Value& op : patch_ops.as_array()) RETURN_IF_ERROR(ApplyOne(op, &result));
  *resource = std::move(result);
  return absl::OkStatus();
}

}  // namespace rhip::fhir
