// Walking the JSON tree as FHIR elements: FHIR JSON splits a primitive into "name" (its
// value) and "_name" (its id and extensions), repeats both as parallel arrays, and names
// choice elements name + type ("valueQuantity"). The structure model supplies types when it
// knows them; without it, types come from choice-type suffixes and resourceType members.
#include <cctype>
#include <cstring>
#include <string_view>

#include "fhir/fhirpath/internal/evaluator.h"
#include "fhir/fhirpath/internal/operations.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhirpath::internal {
namespace {

struct TypeRef {
  std::string_view name;
  const fhir::TypeInfo* info = nullptr;
};

const fhir::StructureModel& Model() { return fhir::StructureModel::R4(); }

// A contained or nested resource carries its own type.
TypeRef ResourceType(const json::Value& v) {
  const std::string* rt = v.FindString("resourceType");
  if (rt == nullptr) return {};
  return {*rt, FindTypeCached(*rt)};
}

TypeRef FromElementType(const fhir::ElementType& et) {
  return {et.code, et.info};
}

// "Quantity" -> Quantity, "String" -> string, "DateTime" -> dateTime (primitive names are
// lower camel case, the JSON suffix capitalises them).
TypeRef FromSuffix(std::string_view suffix) {
  for (int k = static_cast<int>(fhir::PrimitiveKind::kBoolean);
       k <= static_cast<int>(fhir::PrimitiveKind::kXhtml); ++k) {
    std::string_view p = fhir::PrimitiveName(static_cast<fhir::PrimitiveKind>(k));
    if (p.size() == suffix.size() && !p.empty() &&
        std::toupper(static_cast<unsigned char>(p[0])) == suffix[0] &&
        p.substr(1) == suffix.substr(1)) {
      return {p, Model().FindType(p)};
    }
  }
  return {suffix, Model().FindType(suffix)};
}

const json::Value* At(const json::Value* v, int index) {
  if (v == nullptr) return nullptr;
  if (index < 0) return v->is_array() ? nullptr : v;
  if (!v->is_array() || index >= static_cast<int>(v->as_array().size())) return nullptr;
  const json::Value* e = &v->as_array()[index];
  return e->is_null() ? nullptr : e;
}

// Emits the element stored under `member` (and its "_member" companion) of `parent`.
void Emit(const json::Value& parent, std::string_view member, const json::Value* value,
          const json::Value* ext, TypeRef type, Collection* out) {
  bool array = (value != nullptr && value->is_array()) || (ext != nullptr && ext->is_array());
  size_t n = 1;
  if (array) {
    n = std::max(value != nullptr && value->is_array() ? value->as_array().size() : 0,
                 ext != nullptr && ext->is_array() ? ext->as_array().size() : 0);
  }
  if (array) out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) {
    int index = array ? static_cast<int>(i) : -1;
    Node node{At(value, index), At(ext, index), &parent, member, index, type.name, type.info};
    if (node.value == nullptr && node.extension == nullptr) continue;
    if (node.value != nullptr && node.value->is_object() &&
        (type.info == nullptr || type.name == "Resource")) {
      TypeRef rt = ResourceType(*node.value);
      if (!rt.name.empty()) {
        node.type = rt.name;
        node.type_info = rt.info;
      }
    }
    out->push_back(Item(node));
  }
}

// Finds "name" and "_name" in one pass over the members. *key views the name inside the
// document (which outlives the result), unlike `name`.
void FindPair(const json::Object& obj, std::string_view name, const json::Value** value,
              const json::Value** ext, std::string_view* key) {
  *value = *ext = nullptr;
  const size_t n = name.size();
  if (n == 0) return;
  // Lengths and first characters rule out most members before a full comparison.
  for (const auto& [k, v] : obj) {
    if (k.size() == n) {
      if (k[0] == name[0] && std::memcmp(k.data(), name.data(), n) == 0) {
        *value = &v;
        *key = k;
      }
    } else if (k.size() == n + 1 && k[0] == '_' && k[1] == name[0] &&
               std::memcmp(k.data() + 1, name.data(), n) == 0) {
      *ext = &v;
      if (*value == nullptr) *key = std::string_view(k).substr(1);
    }
  }
}

void EmitMember(const json::Value& parent, std::string_view name, TypeRef type, Collection* out) {
  const json::Value *value, *ext;
  std::string_view key;
  FindPair(parent.as_object(), name, &value, &ext, &key);
  if (value != nullptr || ext != nullptr) Emit(parent, key, value, ext, type, out);
}

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

const fhir::TypeInfo* FindTypeCached(std::string_view name) {
  struct Entry {
    std::string name;
    const fhir::TypeInfo* info = nullptr;
  };
  thread_local Entry cache[16];
  if (name.empty()) return nullptr;
  Entry& e = cache[(name.size() * 7 + static_cast<unsigned char>(name[0]) +
                    static_cast<unsigned char>(name.back())) % 16];
  if (e.info == nullptr || e.name != name) {
    const fhir::TypeInfo* info = Model().FindType(name);
    if (info == nullptr) return nullptr;
    e.name.assign(name);
    e.info = info;
  }
  return e.info;
}

Item RootItem(const json::Value& resource) {
  TypeRef rt = ResourceType(resource);
  return Item(Node{&resource, nullptr, nullptr, {}, -1, rt.name, rt.info});
}

bool IsResource(const Node& node) {
  if (node.type_info != nullptr) return node.type_info->kind() == fhir::TypeInfo::Kind::kResource;
  return node.value != nullptr && node.value->is_object() &&
         node.value->Find("resourceType") != nullptr;
}

void Children(const Item& item, std::string_view name, Collection* out, const MemberHint& hint) {
  if (!item.is_node()) return;
  const Node& n = item.node();
  // A primitive's own children (id, extension) live in its "_name" companion.
  const json::Value* holder = n.value != nullptr && n.value->is_object() ? n.value : n.extension;
  if (holder == nullptr || !holder->is_object()) return;
  if (holder == n.extension) {
    EmitMember(*holder, name, FromSuffix(name == "id" ? "String" : "Extension"), out);
    return;
  }
  if (n.type_info != nullptr) {
    const fhir::ElementInfo* el =
        hint.parent == n.type_info ? hint.element : n.type_info->FindChild(name);
    if (el != nullptr) {
      if (!el->is_choice) {
        EmitMember(*holder, name, el->types.empty() ? TypeRef{} : FromElementType(el->types[0]), out);
        return;
      }
      // One pass over the members instead of one per allowed type (value[x] has 11).
      for (const auto& [k, v] : holder->as_object()) {
        std::string_view key = k;
        if (!key.empty() && key[0] == '_') {
          key.remove_prefix(1);
          if (holder->Find(key) != nullptr) continue;  // emitted with its value
        }
        if (key.size() <= name.size() || key.compare(0, name.size(), name) != 0 ||
            !IsUpper(key[name.size()])) {
          continue;
        }
        for (const fhir::ElementType& et : el->types) {
          if (et.json_name == key) {
            EmitMember(*holder, et.json_name, FromElementType(et), out);
            break;
          }
        }
      }
      return;
    }
  }
  size_t before = out->size();
  EmitMember(*holder, name, {}, out);
  if (out->size() != before) return;
  // Unknown type: a choice element is name + capitalised type.
  for (const auto& [key, v] : holder->as_object()) {
    if (key.size() > name.size() && key.compare(0, name.size(), name) == 0 &&
        IsUpper(key[name.size()])) {
      std::string_view k = key;
      Emit(*holder, k, &v, holder->Find("_" + key), FromSuffix(k.substr(name.size())), out);
    }
  }
}

void AllChildren(const Item& item, Collection* out) {
  if (!item.is_node()) return;
  const Node& n = item.node();
  const json::Value* holder = n.value != nullptr && n.value->is_object() ? n.value : n.extension;
  if (holder == nullptr || !holder->is_object()) return;
  for (const auto& [key, v] : holder->as_object()) {
    std::string_view k = key;
    if (k == "resourceType") continue;
    if (!k.empty() && k[0] == '_') {
      // Only a companion without its value member is a child on its own.
      if (holder->Find(k.substr(1)) != nullptr) continue;
      k.remove_prefix(1);
    }
    TypeRef type;
    if (n.type_info != nullptr && holder != n.extension) {
      if (fhir::MemberMatch m = n.type_info->FindMember(k); m && m.type != nullptr) {
        type = FromElementType(*m.type);
      }
    }
    EmitMember(*holder, k, type, out);
  }
}

bool IsKnownType(std::string_view type_name) {
  static constexpr std::string_view kSystem[] = {"Boolean", "Integer", "Decimal", "String",
                                                 "Date", "DateTime", "Time", "Quantity"};
  const bool fhir_only = type_name.substr(0, 5) == "FHIR.";
  const bool system_only = type_name.substr(0, 7) == "System.";
  // Anything qualified with System is accepted: it simply matches no FHIR element.
  if (system_only) return true;
  if (fhir_only) type_name.remove_prefix(5);
  if (!fhir_only) {
    for (std::string_view s : kSystem) {
      if (s == type_name) return true;
    }
  }
  return Model().FindType(type_name) != nullptr;
}

bool IsOfType(const Item& item, std::string_view type_name, bool exact_primitives,
              const fhir::TypeInfo* resolved) {
  bool system_only = false, fhir_only = false;
  if (type_name.substr(0, 7) == "System.") {
    type_name.remove_prefix(7);
    system_only = true;
  } else if (type_name.substr(0, 5) == "FHIR.") {
    type_name.remove_prefix(5);
    fhir_only = true;
  }
  if (!item.is_node()) {
    if (fhir_only) return false;
    return item.TypeName() == type_name;
  }
  if (system_only) return false;
  const Node& n = item.node();
  if (n.type == type_name) return true;
  if (n.type_info != nullptr &&
      !(exact_primitives && n.type_info->kind() == fhir::TypeInfo::Kind::kPrimitive)) {
    const fhir::TypeInfo* t = resolved != nullptr ? resolved : Model().FindType(type_name);
    return t != nullptr && n.type_info->IsA(*t);
  }
  // Without the model: any resource is a Resource.
  return (type_name == "Resource" || type_name == "DomainResource") && n.value != nullptr &&
         n.value->Find("resourceType") != nullptr;
}

}  // namespace rhip::fhirpath::internal
