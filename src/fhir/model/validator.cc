#include "fhir/model/validator.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "core/strings.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/model/internal/model_data.h"
#include "fhir/model/profile_validator.h"
#include "fhir/model/rules.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir {
namespace {

using json::Value;

std::atomic<size_t> g_invariant_failures{0};

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
  explicit Walker(std::vector<Issue>* issues)
      : model_(StructureModel::R4()), rules_(ValidationRules::R4()), issues_(issues) {
    path_.reserve(256);
    static const TypeInfo* const kTypes[] = {model_.FindType("Extension"), model_.FindType("Coding"),
                                             model_.FindType("Reference"),
                                             model_.FindType("CodeableConcept")};
    extension_type_ = kTypes[0];
    coding_type_ = kTypes[1];
    reference_type_ = kTypes[2];
    codeable_concept_type_ = kTypes[3];
  }

  // Whether an error (not a warning) was reported.
  bool failed() const { return errors_ > 0; }

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
    const Value* enclosing = resource_;
    const Value* enclosing_root = root_resource_;
    bool enclosing_in_contained = in_contained_;
    resource_ = &v;
    if (!in_contained_) root_resource_ = &v;
    in_contained_ = false;
    size_t refs_start = local_refs_.size();
    Object(v.as_object(), type, /*is_resource=*/true);
    if (const Value* contained = v.Find("contained"); contained != nullptr && errors_ == 0) {
      ContainedAreReferenced(*contained, refs_start);
    }
    if (const std::vector<Invariant>* invariants = rules_.ForType(type)) {
      Invariants(*invariants, v, nullptr, "");
    }
    resource_ = enclosing;
    root_resource_ = enclosing_root;
    in_contained_ = enclosing_in_contained;
  }

 private:
  struct Mark {
    explicit Mark(std::string* path) : path(path), size(path->size()) {}
    ~Mark() { path->resize(size); }
    std::string* path;
    size_t size;
  };

  void Error(std::string_view code, std::string message, bool is_error = true) {
    Issue& issue = issues_->emplace_back();
    if (!is_error) {
      issue.severity = "warning";
    } else {
      ++errors_;
    }
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
    // ele-1 (hasValue() or (children().count() > id.count())): evaluated in FHIRPath for every
    // element it would cost more than all other checks together. The walker already refuses
    // empty objects, arrays and strings, so what is left is an object holding only its id.
    // (A primitive's _field holding only an id is checked where its value is known, in Member.)
    if (!is_resource && type.kind() != TypeInfo::Kind::kPrimitive && obj.size() == 1 &&
        obj.Find("id") != nullptr) {
      Error("invariant", "ele-1: all FHIR elements must have a value or children (this one has only an id)");
    }
    // ext-1 (extension.exists() != value.exists()), for the same reason.
    if (&type == extension_type_) ExtensionValueOrChildren(obj);
    if (&type == reference_type_) LocalReference(obj);
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
      in_contained_ = is_resource && name == "contained";
      Member(obj, name, value, m, ext);
      in_contained_ = false;
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

  void ExtensionValueOrChildren(const json::Object& obj) {
    bool has_value = false;
    for (const auto& [key, value] : obj) {
      // valueString, or _valueString alone: a primitive with only extensions still exists.
      size_t start = !key.empty() && key[0] == '_' ? 1 : 0;
      if (key.size() > start + 5 && key.compare(start, 5, "value") == 0) has_value = true;
    }
    if (has_value == (obj.Find("extension") != nullptr)) {
      Error("invariant", "ext-1: an extension must have either extensions or a value[x], not both");
    }
  }

  // ele-1 for a primitive's _field: an id alone with no value says nothing.
  void CompanionHasContent(const Value& companion, bool has_value) {
    if (!has_value && companion.is_object() && companion.as_object().size() == 1 &&
        companion.Find("id") != nullptr) {
      Error("invariant", "ele-1: all FHIR elements must have a value or children (this one has only an id)");
    }
  }

  // One member of an object: `name` without '_', `ext` when this is the _name sibling.
  void Member(const json::Object& parent, std::string_view name, const Value& value,
              const MemberMatch& m, bool ext) {
    const ElementInfo& e = *m.element;
    const ElementRules* rules = ext ? nullptr : rules_.ForElement(e);
    if (!e.is_array()) {
      if (value.is_array()) {
        Error("structure", absl::StrCat("element ", Quoted(e.name), " takes a single value, not an array"));
      } else {
        size_t errors = errors_;
        Item(value, *m.type, ext);
        if (ext) CompanionHasContent(value, parent.Find(name) != nullptr);
        if (rules != nullptr && errors_ == errors) ElementChecks(value, *m.type, *rules);
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
      size_t errors = errors_;
      Item(items[i], *m.type, ext);
      if (ext) {
        CompanionHasContent(items[i], sibling != nullptr && i < sibling->size() && !(*sibling)[i].is_null());
      }
      if (rules != nullptr && errors_ == errors) ElementChecks(items[i], *m.type, *rules);
    }
  }

  // The required binding and the element's own invariants, for one value.
  void ElementChecks(const Value& v, const ElementType& type, const ElementRules& rules) {
    if (rules.binding != nullptr) Binding(v, type, *rules.binding);
    if (!rules.invariants.empty()) Invariants(rules.invariants, v, type.info, type.code);
  }

  void Binding(const Value& v, const ElementType& type, const ValueSet& vs) {
    if (type.info == nullptr) return;
    CodedKind kind;
    if (type.info->kind() == TypeInfo::Kind::kPrimitive) {
      kind = CodedKind::kCode;
    } else if (type.info->IsA(*coding_type_)) {
      kind = CodedKind::kCoding;
    } else if (type.info == codeable_concept_type_) {
      kind = CodedKind::kCodeableConcept;
    } else {
      return;
    }
    std::string bad = BindingViolation(v, kind, vs);
    if (!bad.empty()) NotInValueSet(bad, vs);
  }

  void NotInValueSet(std::string_view code, const ValueSet& vs) {
    Error("code-invalid", absl::StrCat("the code ", Quoted(code), " is not in the value set ",
                                       ToAbsl(vs.url()), " (required binding)"));
  }

  // Evaluates invariants on `v`: the current resource itself when `info` is nullptr, else an
  // element of type `info`. Skipped once an error was found: FHIRPath over a structurally
  // broken resource only repeats it. An evaluation error skips the invariant (counted).
  void Invariants(const std::vector<Invariant>& invariants, const Value& v, const TypeInfo* info,
                  std::string_view type_name) {
    if (errors_ > 0) return;
    for (const Invariant& inv : invariants) {
      if (v.is_object()) {
        const json::Object& focus = v.as_object();
        if (!AllPaths(v, inv.pass_if_absent) || AnyPath(v, inv.pass_if_present) ||
            NoneOfSome(focus, inv.pass_if_none_of)) {
          continue;
        }
        if (inv.guarded && !AnyMember(focus, inv.members)) {
          if (!inv.result_when_absent) InvariantFailed(inv);
          continue;
        }
      }
      absl::StatusOr<fhirpath::Collection> result;
      if (info == nullptr) {
        result = fhirpath::Evaluate(inv.compiled, v);
      } else {
        fhirpath::Node node;
        node.value = &v;
        node.type = info->kind() == TypeInfo::Kind::kBackbone ? std::string_view(info->name()) : type_name;
        node.type_info = info;
        // Made on first use: most resources need no focused evaluation at all.
        if (focus_ == nullptr) focus_ = &eval_context_.variables[std::string(ValidationRules::kFocusVariable)];
        focus_->assign(1, fhirpath::Item(node));
        result = fhirpath::Evaluate(inv.compiled, *resource_, eval_context_);
      }
      if (!result.ok()) {
        g_invariant_failures.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      // Empty means the invariant does not apply (e.g. a comparison of dates of different
      // precision); only an explicit false fails.
      if (result->size() != 1) continue;
      const bool* b = std::get_if<bool>(&(*result)[0].data());
      if (b == nullptr || *b) continue;
      InvariantFailed(inv);
    }
  }

  static bool AnyMember(const json::Object& focus, const std::vector<std::string_view>& names) {
    for (std::string_view name : names) {
      if (HasFhirPathMember(focus, name)) return true;
    }
    return false;
  }

  static bool AllPaths(const Value& focus, const std::vector<std::string_view>& paths) {
    for (std::string_view path : paths) {
      if (!HasFhirPathPath(focus, path)) return false;
    }
    return true;
  }

  static bool AnyPath(const Value& focus, const std::vector<std::string_view>& paths) {
    for (std::string_view path : paths) {
      if (HasFhirPathPath(focus, path)) return true;
    }
    return false;
  }

  static bool NoneOfSome(const json::Object& focus,
                         const std::vector<std::vector<std::string_view>>& sets) {
    for (const std::vector<std::string_view>& names : sets) {
      if (!AnyMember(focus, names)) return true;
    }
    return false;
  }

  // dom-3 (contained.where((('#'+id in (%resource.descendants().reference | ...as(canonical) |
  // ...as(uri) | ...as(url))) or descendants().where(reference = '#').exists() ...).not())
  // .empty()): each contained resource is referenced by a "#id" somewhere in the resource, or
  // itself references the container with "#". The walk collected the local references of the
  // resource's subtree from local_refs_[refs_start] on.
  void ContainedAreReferenced(const Value& contained, size_t refs_start) {
    if (!contained.is_array()) return;
    for (const Value& c : contained.as_array()) {
      const std::string* id = c.FindString("id");
      if (id == nullptr) continue;  // '#' + {} is empty: the FHIRPath passes
      bool referenced = false;
      for (size_t i = refs_start; i < local_refs_.size() && !referenced; ++i) {
        std::string_view ref = local_refs_[i].first;
        referenced = ref.substr(1) == *id || (ref == "#" && local_refs_[i].second == &c);
      }
      if (!referenced) {
        Error("invariant", absl::StrCat("dom-3: the contained resource ", Quoted(*id),
                                        " is not referenced from elsewhere in the resource"));
      }
    }
  }

  void InvariantFailed(const Invariant& inv) {
    Error("invariant", absl::StrCat(ToAbsl(inv.key), ": ", ToAbsl(inv.human)), inv.is_error);
  }

  // ref-1 (reference.startsWith('#').not() or (reference.substring(1) in
  // %rootResource.contained.id)), in C++ because every Reference would evaluate it.
  void LocalReference(const json::Object& reference) {
    const Value* ref = reference.Find("reference");
    if (ref == nullptr || !ref->is_string() || ref->as_string().empty() || ref->as_string()[0] != '#') {
      return;
    }
    local_refs_.push_back({ref->as_string(), resource_});
    std::string_view id = std::string_view(ref->as_string()).substr(1);
    // "#" (the container, from a contained resource): substring(1) is empty, so ref-1 holds.
    if (id.empty()) return;
    const Value* contained = root_resource_ != nullptr ? root_resource_->Find("contained") : nullptr;
    if (contained != nullptr && contained->is_array()) {
      for (const Value& c : contained->as_array()) {
        const std::string* cid = c.FindString("id");
        if (cid != nullptr && *cid == id) return;
      }
    }
    Error("invariant", absl::StrCat("ref-1: the local reference ", Quoted(ref->as_string()),
                                    " needs a contained resource with that id"));
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
    if (ext) return;
    if (const std::vector<Invariant>* invariants = rules_.ForType(*info)) {
      Invariants(*invariants, v, info, info->name());
    }
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
    if (!text.empty() && text[0] == '#' &&
        (kind == PrimitiveKind::kCanonical || kind == PrimitiveKind::kUri || kind == PrimitiveKind::kUrl)) {
      local_refs_.push_back({text, resource_});  // for dom-3
    }
    if (text.empty()) {
      Error("value", "empty strings are not allowed");
    } else if (!IsValidPrimitive(kind, text)) {
      Error("value", absl::StrCat("invalid ", ToAbsl(PrimitiveName(kind)), " ", Quoted(text)));
    }
  }

  const StructureModel& model_;
  const ValidationRules& rules_;
  std::vector<Issue>* issues_;
  std::string path_;
  std::string sibling_key_;
  size_t errors_ = 0;
  const TypeInfo* extension_type_;
  const TypeInfo* coding_type_;
  const TypeInfo* reference_type_;
  // The resource that is not itself contained (%rootResource: local references resolve in its
  // contained list).
  const Value* root_resource_ = nullptr;
  bool in_contained_ = false;
  // Local references ("#id" in Reference.reference, canonical, uri, url) seen so far, each with
  // the resource it appears in.
  std::vector<std::pair<std::string_view, const Value*>> local_refs_;
  const TypeInfo* codeable_concept_type_;
  const Value* resource_ = nullptr;  // the innermost resource being walked (%resource)
  fhirpath::EvalContext eval_context_;
  fhirpath::Collection* focus_ = nullptr;  // eval_context_'s %rhipfocus
};

}  // namespace

std::vector<Issue> ValidateResource(const json::Value& resource, const ValidateOptions& options) {
  std::vector<Issue> issues;
  Walker walker(&issues);
  walker.Resource(resource);
  if (!walker.failed() && options.profile_lookup) ValidateProfiles(resource, options, &issues);
  return issues;
}

std::vector<Issue> ValidateResource(const json::Value& resource) {
  return ValidateResource(resource, ValidateOptions{});
}

bool HasErrors(const std::vector<Issue>& issues) {
  for (const Issue& i : issues) {
    if (i.severity == "error" || i.severity == "fatal") return true;
  }
  return false;
}

namespace internal {
size_t InvariantEvaluationFailures() { return g_invariant_failures.load(std::memory_order_relaxed); }
}  // namespace internal

}  // namespace rhip::fhir
