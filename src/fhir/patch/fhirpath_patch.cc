// FHIRPath Patch (FHIR R4 §2.36): a Parameters resource with one "operation" parameter per
// change. Paths are FHIRPath expressions; the items they find carry their parent object,
// member and array index (fhirpath::Node), which is where the change is made.
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/model/structure_model.h"
#include "fhir/patch/patch.h"

namespace rhip::fhir {
namespace {

absl::Status Invalid(std::string_view message) {
  return MakeError(ErrorKind::kInvalid, absl::StrCat("invalid FHIRPath Patch: ", ToAbsl(message)));
}

absl::Status Unprocessable(std::string_view message) {
  return MakeError(ErrorKind::kUnprocessable,
                   absl::StrCat("FHIRPath Patch cannot be applied: ", ToAbsl(message)));
}

// A value to put into the resource, and for value[x] parts the type suffix ("Quantity").
struct PatchValue {
  json::Value value;
  std::string type_suffix;  // empty for anonymous (part) values and resources
};

struct Operation {
  std::string type;
  std::string path;
  std::string name;
  std::optional<PatchValue> value;
  std::optional<int64_t> index, source, destination;
};

// The part's value[x] member, if any: ("valueDate", value).
const json::Object::Member* ValueMember(const json::Value& part) {
  for (const auto& member : part.as_object()) {
    if (member.first.size() > 5 && member.first.compare(0, 5, "value") == 0) return &member;
  }
  return nullptr;
}

absl::StatusOr<PatchValue> ParseValue(const json::Value& part, const TypeInfo* type);

// An anonymous value: nested parts named like the elements of `type` (when known).
absl::StatusOr<json::Value> ParseParts(const json::Value& parts, const TypeInfo* type) {
  if (!parts.is_array()) return Invalid("'part' must be an array");
  json::Object out;
  for (const json::Value& p : parts.as_array()) {
    const std::string* name = p.FindString("name");
    if (name == nullptr) return Invalid("a value part without a name");
    const TypeInfo* child_type = nullptr;
    bool is_array = false;
    std::string member = *name;
    if (type != nullptr) {
      if (MemberMatch m = type->FindMember(*name); m) {
        is_array = m.element->is_array();
        child_type = m.type != nullptr ? m.type->info : nullptr;
      }
    }
    ASSIGN_OR_RETURN(PatchValue v, ParseValue(p, child_type));
    json::Value* existing = out.Find(member);
    if (existing != nullptr) {
      if (!existing->is_array()) *existing = json::Array{std::move(*existing)};
      existing->as_array().push_back(std::move(v.value));
    } else if (is_array) {
      out.Set(member, json::Array{std::move(v.value)});
    } else {
      out.Set(member, std::move(v.value));
    }
  }
  return json::Value(std::move(out));
}

absl::StatusOr<PatchValue> ParseValue(const json::Value& part, const TypeInfo* type) {
  if (const json::Object::Member* m = ValueMember(part)) {
    return PatchValue{m->second, m->first.substr(5)};
  }
  if (const json::Value* resource = part.Find("resource")) return PatchValue{*resource, {}};
  if (const json::Value* parts = part.Find("part")) {
    ASSIGN_OR_RETURN(json::Value v, ParseParts(*parts, type));
    return PatchValue{std::move(v), {}};
  }
  return Invalid("a value part has no value[x], resource or part");
}

absl::StatusOr<int64_t> IntegerPart(const json::Value& part, std::string_view name) {
  const json::Value* v = part.Find("valueInteger");
  std::optional<int64_t> n = v != nullptr ? v->AsInt64() : std::nullopt;
  if (!n) return Invalid(absl::StrCat("part '", ToAbsl(name), "' needs a valueInteger"));
  return *n;
}

// Collects the parts; the value part is kept raw until the target type is known.
absl::StatusOr<Operation> ParseOperation(const json::Value& parameter, const json::Value** value_part) {
  Operation op;
  *value_part = nullptr;
  const json::Value* parts = parameter.Find("part");
  if (parts == nullptr || !parts->is_array()) return Invalid("an operation without parts");
  for (const json::Value& part : parts->as_array()) {
    const std::string* name = part.FindString("name");
    if (name == nullptr) return Invalid("an operation part without a name");
    const json::Object::Member* v = ValueMember(part);
    auto text = [&]() -> absl::StatusOr<std::string> {
      if (v == nullptr || !v->second.is_string()) {
        return Invalid(absl::StrCat("part '", *name, "' needs a string value"));
      }
      return v->second.as_string();
    };
    if (*name == "type") {
      ASSIGN_OR_RETURN(op.type, text());
    } else if (*name == "path") {
      ASSIGN_OR_RETURN(op.path, text());
    } else if (*name == "name") {
      ASSIGN_OR_RETURN(op.name, text());
    } else if (*name == "value") {
      *value_part = &part;
    } else if (*name == "index") {
      ASSIGN_OR_RETURN(op.index, IntegerPart(part, *name));
    } else if (*name == "source") {
      ASSIGN_OR_RETURN(op.source, IntegerPart(part, *name));
    } else if (*name == "destination") {
      ASSIGN_OR_RETURN(op.destination, IntegerPart(part, *name));
    } else {
      return Invalid(absl::StrCat("unknown operation part '", *name, "'"));
    }
  }
  if (op.path.empty()) return Invalid("an operation without a path");
  const bool needs_value = op.type == "add" || op.type == "insert" || op.type == "replace";
  if (needs_value && *value_part == nullptr) return Invalid(op.type + " needs a value");
  if (op.type == "add" && op.name.empty()) return Invalid("add needs a name");
  if (op.type == "insert" && !op.index) return Invalid("insert needs an index");
  if (op.type == "move" && (!op.source || !op.destination)) {
    return Invalid("move needs a source and a destination");
  }
  if (!needs_value && op.type != "delete" && op.type != "move") {
    return Invalid(absl::StrCat("unknown operation type '", op.type, "'"));
  }
  return op;
}

// The items are nodes of the document being patched, which the caller owns mutably;
// the evaluator hands out const pointers only because it never changes its input.
json::Value* Mutable(const json::Value* v) { return const_cast<json::Value*>(v); }

class Patcher {
 public:
  explicit Patcher(json::Value* resource) : resource_(resource) {}

  absl::Status Apply(const Operation& op, const json::Value* value_part) {
    absl::StatusOr<fhirpath::Expression> path = fhirpath::Compile(op.path);
    if (!path.ok()) return Invalid(absl::StrCat("path '", op.path, "': ", path.status().message()));
    absl::StatusOr<fhirpath::Collection> found = fhirpath::Evaluate(*path, *resource_);
    if (!found.ok()) {
      return Unprocessable(absl::StrCat("path '", op.path, "': ", found.status().message()));
    }
    std::vector<fhirpath::Node> nodes;
    for (const fhirpath::Item& item : *found) {
      if (!item.is_node()) return Unprocessable(absl::StrCat("path '", op.path, "' is not an element"));
      nodes.push_back(item.node());
    }
    if (op.type == "delete") return Delete(op, nodes);
    if (op.type == "add") return Add(op, nodes, *value_part);
    if (op.type == "replace") return Replace(op, nodes, *value_part);
    if (op.type == "insert") return Insert(op, nodes, *value_part);
    return Move(op, nodes);
  }

 private:
  static absl::Status Single(const Operation& op, const std::vector<fhirpath::Node>& nodes,
                             std::string_view doing) {
    if (nodes.empty()) return Unprocessable(absl::StrCat("No content found at ", op.path, " when ", ToAbsl(doing)));
    if (nodes.size() > 1) {
      return Unprocessable(absl::StrCat("path ", op.path, " found ", nodes.size(),
                                        " elements when ", ToAbsl(doing), "; it must find one"));
    }
    return absl::OkStatus();
  }

  // The array a list path found, when all items sit in one array member.
  static absl::StatusOr<json::Array*> ListOf(const Operation& op,
                                             const std::vector<fhirpath::Node>& nodes) {
    const fhirpath::Node& first = nodes.front();
    for (const fhirpath::Node& n : nodes) {
      if (n.parent != first.parent || n.member != first.member || n.index < 0) {
        return Unprocessable(absl::StrCat("path ", op.path, " does not find the items of one list"));
      }
    }
    json::Value* list = Mutable(first.parent)->Find(first.member);
    if (list == nullptr || !list->is_array()) {
      return Unprocessable(absl::StrCat("path ", op.path, " is not a list"));
    }
    return &list->as_array();
  }

  // The new member name when a choice element changes type (valueString -> valueQuantity).
  // A choice member is its element name plus the capitalised type the evaluator found.
  static std::string MemberFor(const fhirpath::Node& node, const PatchValue& value) {
    std::string member(node.member);
    if (value.type_suffix.empty() || node.type.empty()) return member;
    std::string type(node.type);
    type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
    if (member.size() <= type.size() || member.compare(member.size() - type.size(), type.size(), type) != 0) {
      return member;
    }
    return member.substr(0, member.size() - type.size()) + value.type_suffix;
  }

  absl::Status Delete(const Operation& op, const std::vector<fhirpath::Node>& nodes) {
    if (nodes.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(Single(op, nodes, "deleting"));
    const fhirpath::Node& n = nodes[0];
    if (n.parent == nullptr) return Unprocessable("cannot delete the resource itself");
    json::Object& parent = Mutable(n.parent)->as_object();
    std::string member(n.member);
    std::string companion = "_" + member;
    if (n.index < 0) {
      parent.Erase(companion);
      parent.Erase(member);
      return absl::OkStatus();
    }
    for (const std::string& key : {member, companion}) {
      json::Value* list = parent.Find(key);
      if (list == nullptr || !list->is_array()) continue;
      json::Array& a = list->as_array();
      if (n.index < static_cast<int>(a.size())) a.erase(a.begin() + n.index);
      if (a.empty()) parent.Erase(key);
    }
    return absl::OkStatus();
  }

  absl::Status Add(const Operation& op, const std::vector<fhirpath::Node>& nodes,
                   const json::Value& value_part) {
    RETURN_IF_ERROR(Single(op, nodes, "adding"));
    const fhirpath::Node& n = nodes[0];
    if (n.value == nullptr || !n.value->is_object()) {
      return Unprocessable(absl::StrCat("path ", op.path, " is not an element that can have children"));
    }
    bool is_list = false;
    const TypeInfo* child_type = nullptr;
    if (n.type_info != nullptr) {
      if (MemberMatch m = n.type_info->FindMember(op.name); m) {
        is_list = m.element->is_array();
        child_type = m.type != nullptr ? m.type->info : nullptr;
      }
    }
    ASSIGN_OR_RETURN(PatchValue value, ParseValue(value_part, child_type));
    json::Object& target = Mutable(n.value)->as_object();
    json::Value* existing = target.Find(op.name);
    if (existing != nullptr && existing->is_array()) {
      existing->as_array().push_back(std::move(value.value));
    } else if (existing != nullptr) {
      return Unprocessable(absl::StrCat(op.path, ".", op.name, " already has a value"));
    } else if (is_list) {
      target.Set(op.name, json::Array{std::move(value.value)});
    } else {
      target.Set(op.name, std::move(value.value));
    }
    return absl::OkStatus();
  }

  absl::Status Replace(const Operation& op, const std::vector<fhirpath::Node>& nodes,
                       const json::Value& value_part) {
    RETURN_IF_ERROR(Single(op, nodes, "replacing"));
    const fhirpath::Node& n = nodes[0];
    ASSIGN_OR_RETURN(PatchValue value, ParseValue(value_part, n.type_info));
    if (n.parent == nullptr) return Unprocessable("cannot replace the resource itself");
    json::Object& parent = Mutable(n.parent)->as_object();
    if (n.index >= 0) {
      json::Value* list = parent.Find(n.member);
      if (list == nullptr || !list->is_array() || n.index >= static_cast<int>(list->as_array().size())) {
        return Unprocessable(absl::StrCat("path ", op.path, " has no value to replace"));
      }
      list->as_array()[n.index] = std::move(value.value);
      return absl::OkStatus();
    }
    std::string member = MemberFor(n, value);
    if (member != n.member) {
      // A choice element changes type: the new member takes the old one's place.
      for (auto& [key, v] : parent.members()) {
        if (key == n.member) {
          key = member;
          v = std::move(value.value);
        }
      }
      parent.Erase(absl::StrCat("_", ToAbsl(n.member)));
      return absl::OkStatus();
    }
    parent.Set(member, std::move(value.value));
    return absl::OkStatus();
  }

  absl::Status Insert(const Operation& op, const std::vector<fhirpath::Node>& nodes,
                      const json::Value& value_part) {
    if (nodes.empty()) return Unprocessable(absl::StrCat("No content found at ", op.path, " when inserting"));
    ASSIGN_OR_RETURN(json::Array * list, ListOf(op, nodes));
    ASSIGN_OR_RETURN(PatchValue value, ParseValue(value_part, nodes[0].type_info));
    if (*op.index < 0 || *op.index > static_cast<int64_t>(list->size())) {
      return Unprocessable(absl::StrCat("index ", *op.index, " is out of range for ", op.path));
    }
    list->insert(list->begin() + *op.index, std::move(value.value));
    return absl::OkStatus();
  }

  absl::Status Move(const Operation& op, const std::vector<fhirpath::Node>& nodes) {
    if (nodes.empty()) return Unprocessable(absl::StrCat("No content found at ", op.path, " when moving"));
    ASSIGN_OR_RETURN(json::Array * list, ListOf(op, nodes));
    const int64_t size = static_cast<int64_t>(list->size());
    if (*op.source < 0 || *op.source >= size || *op.destination < 0 || *op.destination >= size) {
      return Unprocessable(absl::StrCat("move indexes are out of range for ", op.path));
    }
    json::Value moved = std::move((*list)[*op.source]);
    list->erase(list->begin() + *op.source);
    list->insert(list->begin() + *op.destination, std::move(moved));
    return absl::OkStatus();
  }

  json::Value* resource_;
};

// FHIR JSON has no empty objects or arrays: a delete that empties an element removes it.
void PruneEmpty(json::Value* v) {
  if (v->is_array()) {
    for (json::Value& e : v->as_array()) PruneEmpty(&e);
  } else if (v->is_object()) {
    auto& members = v->as_object().members();
    for (auto& [key, child] : members) PruneEmpty(&child);
    std::erase_if(members, [](const json::Object::Member& m) {
      return (m.second.is_object() && m.second.as_object().empty()) ||
             (m.second.is_array() && m.second.as_array().empty());
    });
  }
}

}  // namespace

absl::Status ApplyFhirPathPatch(const json::Value& parameters, json::Value* resource) {
  const std::string* rt = parameters.FindString("resourceType");
  if (rt == nullptr || *rt != "Parameters") return Invalid("the patch must be a Parameters resource");
  json::Value result = *resource;
  Patcher patcher(&result);
  if (const json::Value* params = parameters.Find("parameter")) {
    if (!params->is_array()) return Invalid("Parameters.parameter must be an array");
    for (const json::Value& p : params->as_array()) {
      const std::string* name = p.FindString("name");
      if (name == nullptr || *name != "operation") {
        return Invalid("every parameter must be named 'operation'");
      }
      const json::Value* value_part = nullptr;
      ASSIGN_OR_RETURN(Operation op, ParseOperation(p, &value_part));
      RETURN_IF_ERROR(patcher.Apply(op, value_part));
    }
  }
  PruneEmpty(&result);
  *resource = std::move(result);
  return absl::OkStatus();
}

}  // namespace rhip::fhir
