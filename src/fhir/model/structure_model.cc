#include "fhir/model/structure_model.h"

namespace rhip::fhir {

// Placeholder until the generated model lands: an empty model.
const StructureModel& StructureModel::R4() {
  static const StructureModel* model = new StructureModel();
  return *model;
}

const TypeInfo* StructureModel::FindType(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

bool StructureModel::IsResourceType(std::string_view name) const {
  const TypeInfo* t = FindType(name);
  return t != nullptr && t->kind() == TypeInfo::Kind::kResource && !t->is_abstract();
}

const ElementInfo* StructureModel::FindElement(std::string_view type_name,
                                               std::string_view element_path) const {
  const TypeInfo* t = FindType(type_name);
  return t == nullptr ? nullptr : FindElement(*t, element_path);
}

const ElementInfo* StructureModel::FindElement(const TypeInfo&, std::string_view) const {
  return nullptr;
}

bool TypeInfo::IsA(const TypeInfo& other) const {
  for (const TypeInfo* t = this; t != nullptr; t = t->base_) {
    if (t == &other) return true;
  }
  return false;
}

MemberMatch TypeInfo::FindMember(std::string_view json_name) const {
  auto it = members_.find(json_name);
  return it == members_.end() ? MemberMatch{} : it->second;
}

const ElementInfo* TypeInfo::FindChild(std::string_view element_name) const {
  for (const ElementInfo& e : elements_) {
    if (e.name == element_name) return &e;
  }
  return nullptr;
}

std::string_view PrimitiveName(PrimitiveKind) { return ""; }
PrimitiveKind PrimitiveFromName(std::string_view) { return PrimitiveKind::kNone; }
bool IsValidPrimitive(PrimitiveKind, std::string_view) { return false; }
bool IsValidPrimitive(std::string_view, std::string_view) { return false; }

}  // namespace rhip::fhir
