#include "fhir/patch/testing/fhir_xml.h"

#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir::testing {
namespace {

json::Value Primitive(const TypeInfo* type, const char* text) {
  PrimitiveKind kind = type != nullptr ? type->primitive() : PrimitiveKind::kString;
  switch (kind) {
    case PrimitiveKind::kBoolean:
      return json::Value(std::string_view(text) == "true");
    case PrimitiveKind::kInteger:
    case PrimitiveKind::kPositiveInt:
    case PrimitiveKind::kUnsignedInt:
    case PrimitiveKind::kDecimal:
      return json::Value(json::Number{text});
    default:
      return json::Value(text);
  }
}

absl::StatusOr<json::Value> Resource(const pugi::xml_node& node);

// The members of a complex element or resource: attributes (id, url) and child elements.
absl::StatusOr<json::Object> Members(const pugi::xml_node& node, const TypeInfo* type) {
  json::Object out;
  for (const pugi::xml_attribute& a : node.attributes()) {
    std::string_view name = a.name();
    if (name == "xmlns" || name.substr(0, 6) == "xmlns:" || name == "value") continue;
    out.Set(name, json::Value(a.value()));
  }
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string name = child.name();
    MemberMatch m = type != nullptr ? type->FindMember(name) : MemberMatch{};
    const TypeInfo* child_type = m && m.type != nullptr ? m.type->info : nullptr;
    const bool is_array = m && m.element->is_array();
    json::Value value;
    json::Value companion;  // the "_name" part of a primitive: id and extensions
    if (name == "div") {
      std::ostringstream xhtml;
      child.print(xhtml, "", pugi::format_raw);
      value = json::Value(CanonicalXhtml(xhtml.str()));
    } else if (m && m.type != nullptr && m.type->code == "Resource") {
      pugi::xml_node inner = child.first_child();
      while (inner && inner.type() != pugi::node_element) inner = inner.next_sibling();
      absl::StatusOr<json::Value> r = Resource(inner);
      if (!r.ok()) return r.status();
      value = std::move(*r);
    } else if (child_type != nullptr ? child_type->kind() == TypeInfo::Kind::kPrimitive
                                     : !child.attribute("value").empty()) {
      if (!child.attribute("value").empty()) value = Primitive(child_type, child.attribute("value").value());
      absl::StatusOr<json::Object> extra = Members(child, child_type);
      if (!extra.ok()) return extra.status();
      if (!extra->empty()) companion = json::Value(std::move(*extra));
    } else {
      absl::StatusOr<json::Object> members = Members(child, child_type);
      if (!members.ok()) return members.status();
      value = json::Value(std::move(*members));
    }
    // Repeated elements become arrays; primitive arrays keep "_name" aligned with nulls.
    json::Value* existing = out.Find(name);
    const std::string companion_name = "_" + name;
    json::Value* existing_companion = out.Find(companion_name);
    const bool as_array = is_array || existing != nullptr || existing_companion != nullptr;
    if (!as_array) {
      if (!value.is_null()) out.Set(name, std::move(value));
      if (!companion.is_null()) out.Set(companion_name, std::move(companion));
      continue;
    }
    size_t count = 0;
    if (existing != nullptr) count = existing->is_array() ? existing->as_array().size() : 1;
    if (existing_companion != nullptr) {
      count = std::max(count, existing_companion->is_array() ? existing_companion->as_array().size() : size_t{1});
    }
    auto append = [&](const std::string& key, json::Value v) {
      json::Value* list = out.Find(key);
      if (list == nullptr) list = &out.Set(key, json::Array(count));
      if (!list->is_array()) *list = json::Array{std::move(*list)};
      list->as_array().resize(count);
      list->as_array().push_back(std::move(v));
    };
    append(name, std::move(value));
    if (!companion.is_null() || out.Find(companion_name) != nullptr) append(companion_name, std::move(companion));
  }
  return out;
}

absl::StatusOr<json::Value> Resource(const pugi::xml_node& node) {
  if (!node) return absl::InvalidArgumentError("FHIR XML: resource element expected");
  const TypeInfo* type = StructureModel::R4().FindType(node.name());
  if (type == nullptr) return absl::InvalidArgumentError(absl::StrCat("FHIR XML: unknown resource ", node.name()));
  absl::StatusOr<json::Object> members = Members(node, type);
  if (!members.ok()) return members.status();
  json::Object out;
  out.Set("resourceType", json::Value(node.name()));
  for (auto& [k, v] : *members) out.Set(k, std::move(v));
  return json::Value(std::move(out));
}

}  // namespace

absl::StatusOr<json::Value> FhirXmlToJson(const pugi::xml_node& resource) { return Resource(resource); }

std::string CanonicalXhtml(std::string_view xhtml) {
  pugi::xml_document doc;
  // The default parse drops whitespace-only text nodes, which is the normalisation wanted.
  if (!doc.load_buffer(xhtml.data(), xhtml.size())) return std::string(xhtml);
  std::ostringstream out;
  doc.document_element().print(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace rhip::fhir::testing
