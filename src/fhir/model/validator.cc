#include "fhir/model/validator.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/strings.h"
#include "fhir/model/internal/model_data.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir {
namespace {

using json::Value;

// Values quoted in messages are cut to this many bytes (whole UTF-8 characters).
constexpr size_t kMaxQuoted = 80;

std::string Quoted(std::string_view s) {
  if (s.size() <= kMaxQuoted) return absl::StrCat("'", ToAbsl(s), "'");
  size_t n = kMaxQuoted;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return absl::StrCat("'", ToAbsl(s.substr(0, n)), "...'");
}

// The JSON kind a primitive is written as.
Value::Kind JsonKindOf(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::kBoolean:
      return Value::Kind::kBool;
    case PrimitiveKind::kInteger:
    case PrimitiveKind::kDecimal:
    case PrimitiveKind::kPositiveInt:
    case PrimitiveKind::kUnsignedInt:
      return Value::Kind::kNumber;
    default:
      return Value::Kind::kString;
  }
}

std::string_view JsonKindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return "a boolean";
    case Value::Kind::kNumber: return "a number";
    case Value::Kind::kString: return "a string";
    case Value::Kind::kArray: return "an array";
    case Value::Kind::kObject: return "an object";
  }
  return "";
}

// Walks one resource. The current element's expression lives in path_, which each step
// extends and then truncates back, so a valid resource costs no allocation per element.
class Walker {
 public:
  explicit Walker(std::vector<Issue>* issues) : model_(StructureModel::R4()), issues_(issues) {
    path_.reserve(256);
  }

  // A resource at the top or nested (contained, Bundle.entry.resource). `expected` is the
  // element's declared type: the abstract Resource for most, OperationOutcome for
  // Bundle.entry.response.outcome.
  void Resource(const Value& v, const TypeInfo* expected = nullptr) {
    if (!v.is_object()) {
      Error("structure", absl::StrCat("a resource must be a JSON object, not ", ToAbsl(JsonKindName(v.kind()))));
      return;
    }
    const Value* rt = v.Find("resourceType");
    if (rt == nullptr || !rt->is_string()) {
      Error("structure", "a resource needs a resourceType string");
      return;
    }
    const std::string& name = rt->as_string();
    if (!model_.IsResourceType(name)) {
      Error("invalid", absl::StrCat("unknown resourceType ", Quoted(name)));
      return;
    }
    const TypeInfo& type = *model_.FindType(name);
    if (expected != nullptr && !type.IsA(*expected)) {
      Error("invalid", absl::StrCat("a ", expected->name(), " is expected here, not a ", name));
      return;
    }
    // At the top the expression starts with the type; nested resources keep their path.
    if (path_.empty()) path_ = name;
    Object(v.as_object(), type, /*is_resource=*/true);
  }

 private:
  struct Mark {
    explicit Mark(std::string* path) : path(path), size(path->size()) {}
    ~Mark() { path->resize(size); }
    std::string* path;
    size_t size;
  };

  void Error(std::string_view code, std::string message) {
    Issue& issue = issues_->emplace_back();
    issue.code = std::string(code);
    issue.diagnostics = std::move(message);
    issue.expression = path_;
  }

  void PushIndex(size_t i) {
    path_ += '[';
    path_ += std::to_string(i);  // short strings: no allocation (SSO)
    path_ += ']';
  }

  void Object(const json::Object& obj, const TypeInfo& type, bool is_resource) {
    if (obj.empty()) {
      Error("structure", "empty objects are not allowed");
      return;
    }
    const ElementInfo* first = type.elements().data();
    // Which elements appeared: bit 1 the value, bit 2 the _extension sibling. chosen[] is
    // written before it is read (when seen[] is set) so it needs no clearing.
    std::array<uint8_t, internal::kMaxElementsPerType> seen{};
    std::array<const ElementType*, internal::kMaxElementsPerType> chosen;
    for (const auto& [key, value] : obj) {
      if (is_resource && key == "resourceType") continue;
      Mark mark(&path_);
      path_ += '.';
      path_ += key;
      bool ext = !key.empty() && key[0] == '_';
      std::string_view name = ext ? std::string_view(key).substr(1) : std::string_view(key);
      MemberMatch m = type.FindMember(name);
      if (!m || (ext && m.type->info->kind() != TypeInfo::Kind::kPrimitive)) {
        Error("structure", absl::StrCat("unknown element ", Quoted(key), " in ", type.name()));
        continue;
      }
      size_t index = static_cast<size_t>(m.element - first);
      if (seen[index] != 0 && chosen[index] != m.type) {
        Error("structure", absl::StrCat("more than one type given for choice element ",
                                        Quoted(m.element->name + "[x]")));
        continue;
      }
      seen[index] |= ext ? 2 : 1;
      chosen[index] = m.type;
      Member(obj, name, value, m, ext);
    }
    for (size_t i = 0; i < type.elements().size(); ++i) {
      const ElementInfo& e = type.elements()[i];
      if (e.min > 0 && seen[i] == 0) {
        Mark mark(&path_);
        path_ += '.';
        path_ += e.name;
        Error("required", absl::StrCat("missing required element ", Quoted(e.name), " (min ",
                                       e.min, ")"));
      }
    }
  }

  // One member of an object: `name` without '_', `ext` when this is the _name sibling.
  void Member(const json::Object& parent, std::string_view name, const Value& value,
              const MemberMatch& m, bool ext) {
    const ElementInfo& e = *m.element;
    if (!e.is_array()) {
      if (value.is_array()) {
        Error("structure", absl::StrCat("element ", Quoted(e.name), " takes a single value, not an array"));
      } else {
        Item(value, *m.type, ext);
      }
      return;
    }
    if (!value.is_array()) {
      Error("structure", absl::StrCat("element ", Quoted(e.name), " must be an array (max ",
                                      e.max < 0 ? "*" : std::to_string(e.max), ")"));
      return;
    }
    const json::Array& items = value.as_array();
    if (items.empty()) {
      Error("structure", "empty arrays are not allowed");
      return;
    }
    if (e.max > 1 && items.size() > static_cast<size_t>(e.max)) {
      Error("structure", absl::StrCat("element ", Quoted(e.name), " has ", items.size(),
                                      " values, at most ", e.max, " allowed"));
    }
    // A primitive array and its _ sibling line up by index; null fills the gaps in either.
    const json::Array* sibling = nullptr;
    if (m.type->info != nullptr && m.type->info->kind() == TypeInfo::Kind::kPrimitive) {
      sibling = Sibling(parent, name, ext);
      if (ext && sibling != nullptr && sibling->size() != items.size()) {
        Error("structure", absl::StrCat("_", ToAbsl(name), " has ", items.size(), " entries but ",
                                        ToAbsl(name), " has ", sibling->size()));
        return;
      }
    }
    for (size_t i = 0; i < items.size(); ++i) {
      Mark mark(&path_);
      PushIndex(i);
      if (items[i].is_null()) {
        bool filled = sibling != nullptr && i < sibling->size() && !(*sibling)[i].is_null();
        // Report a position empty on both sides once: from the value side when there is one.
        if (!filled && (!ext || sibling == nullptr)) {
          Error("structure", "null is only allowed in a primitive array whose _ sibling has a value there");
        }
        continue;
      }
      Item(items[i], *m.type, ext);
    }
  }

  // The array paired with a primitive array: _name for name, and name for _name.
  const json::Array* Sibling(const json::Object& parent, std::string_view name, bool ext) {
    const Value* v;
    if (ext) {
      v = parent.Find(name);
    } else {
      sibling_key_.clear();
      sibling_key_.push_back('_');
      sibling_key_.append(name.data(), name.size());
      v = parent.Find(sibling_key_);
    }
    return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
  }

  // One value of an element (an array item or the single value).
  void Item(const Value& v, const ElementType& type, bool ext) {
    if (v.is_null()) {
      Error("structure", "null is not allowed here");
      return;
    }
    const TypeInfo* info = type.info;
    if (info == nullptr || info->kind() == TypeInfo::Kind::kResource) {
      Resource(v, info);
      return;
    }
    if (info->kind() == TypeInfo::Kind::kPrimitive && !ext) {
      Primitive(v, info->primitive());
      return;
    }
    if (!v.is_object()) {
      Error("structure", absl::StrCat("expected an object (", ext ? "primitive extension" : type.code,
                                      "), not ", ToAbsl(JsonKindName(v.kind()))));
      return;
    }
    // For _field the primitive's own TypeInfo holds just id and extension.
    Object(v.as_object(), *info, /*is_resource=*/false);
  }

  void Primitive(const Value& v, PrimitiveKind kind) {
    Value::Kind expected = JsonKindOf(kind);
    if (v.kind() != expected) {
      Error("structure", absl::StrCat(ToAbsl(PrimitiveName(kind)), " must be written as ",
                                      ToAbsl(JsonKindName(expected)), ", not ",
                                      ToAbsl(JsonKindName(v.kind()))));
      return;
    }
    std::string_view text;
    switch (expected) {
      case Value::Kind::kBool: return;
      case Value::Kind::kNumber: text = v.as_number().text; break;
      default: text = v.as_string(); break;
    }
    if (text.empty()) {
      Error("value", "empty strings are not allowed");
    } else if (!IsValidPrimitive(kind, text)) {
      Error("value", absl::StrCat("invalid ", ToAbsl(PrimitiveName(kind)), " ", Quoted(text)));
    }
  }

  const StructureModel& model_;
  std::vector<Issue>* issues_;
  std::string path_;
  std::string sibling_key_;
};

}  // namespace

std::vector<Issue> ValidateResource(const json::Value& resource) {
  std::vector<Issue> issues;
  Walker(&issues).Resource(resource);
  return issues;
}

}  // namespace rhip::fhir
