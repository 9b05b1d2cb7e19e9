#include "fhir/search/projection.h"

#include <algorithm>

#include "core/json.h"
#include "core/status_macros.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir::search {
namespace {

// A member belongs to a named element: "valueQuantity" to "value", "name" to "name".
bool IsMemberOf(std::string_view member, std::string_view element, const TypeInfo* type) {
  if (member == element) return true;
  if (type == nullptr || !member.starts_with(element)) return false;
  MemberMatch m = type->FindMember(member);
  return m && m.element->name == element;
}

// The top-level element a member belongs to ("deceasedBoolean" to deceased[x]); nullptr when
// unknown.
const ElementInfo* ElementOf(std::string_view member, const TypeInfo* type) {
  if (type == nullptr) return nullptr;
  MemberMatch m = type->FindMember(member);
  return m ? m.element : nullptr;
}

bool Mandatory(std::string_view member, const TypeInfo* type) {
  const ElementInfo* e = ElementOf(member, type);
  return e != nullptr && e->min > 0;
}

// _summary=true: the elements marked isSummary, plus mandatory ones. Nested complex elements are
// kept whole, which the specification allows.
bool InSummary(std::string_view member, const TypeInfo* type) {
  const ElementInfo* e = ElementOf(member, type);
  return e != nullptr && (e->is_summary || e->min > 0);
}

void MarkSubsetted(json::Object* resource) {
  json::Value* meta = resource->Find("meta");
  if (meta == nullptr || !meta->is_object()) {
    resource->Set("meta", json::Object());
    meta = resource->Find("meta");
  }
  json::Object tag;
  tag.Set("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
  tag.Set("code", "SUBSETTED");
  json::Value* tags = meta->as_object().Find("tag");
  if (tags == nullptr || !tags->is_array()) {
    meta->as_object().Set("tag", json::Array());
    tags = meta->as_object().Find("tag");
  }
  tags->as_array().emplace_back(std::move(tag));
}

}  // namespace

bool NeedsProjection(Summary summary, const std::vector<std::string>& elements) {
  return summary == Summary::kText || summary == Summary::kData || summary == Summary::kTrue ||
         !elements.empty();
}

absl::StatusOr<std::string> Project(const std::string& text, Summary summary,
                                    const std::vector<std::string>& elements) {
  ASSIGN_OR_RETURN(json::Value parsed, json::Parse(text));
  if (!parsed.is_object()) return text;
  json::Object& in = parsed.as_object();
  const std::string* rt = in.Find("resourceType") ? in.Find("resourceType")->is_string()
                                                        ? &in.Find("resourceType")->as_string()
                                                        : nullptr
                                                  : nullptr;
  const TypeInfo* type = rt != nullptr ? StructureModel::R4().FindType(*rt) : nullptr;
  json::Object out;
  for (auto& [name, value] : in.members()) {
    std::string_view base = name;
    if (base.starts_with("_")) base.remove_prefix(1);  // primitive companions follow their element
    bool keep;
    if (name == "resourceType" || name == "id" || name == "meta") {
      keep = true;
    } else if (summary == Summary::kData) {
      keep = name != "text";
    } else if (summary == Summary::kText) {
      keep = name == "text" || Mandatory(base, type);
    } else if (summary == Summary::kTrue) {
      keep = InSummary(base, type);
    } else {
      keep = Mandatory(base, type) ||
             std::any_of(elements.begin(), elements.end(),
                         [&](const std::string& e) { return IsMemberOf(base, e, type); });
    }
    if (keep) out.Set(name, std::move(value));
  }
  MarkSubsetted(&out);
  return json::Serialize(json::Value(std::move(out)));
}

}  // namespace rhip::fhir::search
