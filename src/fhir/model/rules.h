// The validation rules generated from the R4 definitions (generate_rules.cc): required
// bindings with their value sets expanded to codes, and the FHIRPath invariants of the base
// resources and datatypes, keyed by the structure model's types and elements.
//
// Thread safety: ValidationRules::R4() is built once on first use (thread-safe) and immutable
// afterwards; every pointer and view it hands out lives for the whole program.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/json.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir {

// An expanded value set: (system, code) pairs.
class ValueSet {
 public:
  std::string_view url() const { return url_; }
  bool Contains(std::string_view system, std::string_view code) const;
  // The code in any of its systems (a `code` element: the system is implied by the binding).
  bool ContainsCode(std::string_view code) const { return any_system_.count(code) != 0; }
  bool HasSystem(std::string_view system) const { return by_system_.count(system) != 0; }
  // Every (system, code) of the expansion, e.g. for a search's :in modifier.
  std::vector<std::pair<std::string_view, std::string_view>> Members() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    for (const auto& [system, codes] : by_system_) {
      for (std::string_view code : codes) out.emplace_back(system, code);
    }
    return out;
  }

 private:
  friend class ValidationRules;
  std::string_view url_;
  std::unordered_map<std::string_view, std::unordered_set<std::string_view>> by_system_;
  std::unordered_set<std::string_view> any_system_;
};

// How a value carries its code, for a required binding check.
enum class CodedKind { kCode, kCoding, kCodeableConcept };

// Checks one value against a required binding (R4 terminologies.html#strength): a code must be
// in the value set; a Coding with a code must be (system and code, or the code in any system
// when it has none); a CodeableConcept must have a coding from the value set when it has a
// coding of one of the value set's systems (codings of other systems only, or only text, are
// not judged). Returns the offending code ("system|code" for a Coding), or "" when it passes.
std::string BindingViolation(const json::Value& v, CodedKind kind, const ValueSet& vs);

struct Invariant {
  std::string_view key;  // "pat-1"
  bool is_error = true;  // severity error, else warning
  std::string_view expression;
  std::string_view human;  // the constraint's description
  // Compiled for its context: the expression itself for a resource, else wrapped as
  // `%rhipfocus.select(expression)` (kFocusVariable holds the element).
  fhirpath::Expression compiled;
  // Shortcuts that spare most evaluations (README.md, "Invariants"). When guarded, the
  // expression reads the focus only through these member names (names inside iteration
  // lambdas such as where() read the items, not the focus), so on a focus object that has
  // none of them the result is `result_when_absent` (computed once, on an empty object).
  bool guarded = false;
  bool result_when_absent = true;
  std::vector<std::string_view> members;
  // From top-level `or` terms such as `m.empty()` / `a.b.exists()`: a focus object without one
  // of pass_if_absent, or with one of pass_if_present (dotted paths), passes unevaluated.
  std::vector<std::string_view> pass_if_absent;
  std::vector<std::string_view> pass_if_present;
  // Per other top-level `or` term that is true on a focus lacking all its guard members:
  // those members (a focus with none of one set passes).
  std::vector<std::vector<std::string_view>> pass_if_none_of;
};

// Whether a focus object has a member that the FHIRPath name `name` reads: `name`, `_name`,
// or a choice `nameType`.
bool HasFhirPathMember(const json::Object& focus, std::string_view name);
// The same for a dotted path of names ("text.`div`"); arrays match when any item does.
bool HasFhirPathPath(const json::Value& focus, std::string_view path);

// What applies to one element of a type: its required binding and its own invariants.
struct ElementRules {
  const ValueSet* binding = nullptr;
  std::vector<Invariant> invariants;
};

class ValidationRules {
 public:
  static constexpr std::string_view kFocusVariable = "rhipfocus";

  static const ValidationRules& R4();

  // A value set of the built-in table by canonical URL (without "|version"); nullptr if absent.
  const ValueSet* FindValueSet(std::string_view url) const;
  // Rules of an element (ElementInfo from StructureModel::R4()); nullptr when none.
  const ElementRules* ForElement(const ElementInfo& element) const {
    auto it = elements_.find(&element);
    return it == elements_.end() ? nullptr : &it->second;
  }
  // Invariants of a resource, datatype or backbone type; nullptr when none.
  const std::vector<Invariant>* ForType(const TypeInfo& type) const {
    auto it = types_.find(&type);
    return it == types_.end() ? nullptr : &it->second;
  }

  struct Stats {
    size_t value_sets = 0;
    size_t required_bindings = 0;
    std::vector<std::string_view> unexpandable_value_sets;  // bound, but not expandable here
    size_t invariants = 0;  // compiled and in use
    // "key: reason" for invariants the FHIRPath engine cannot compile (skipped).
    std::vector<std::string> not_compiled;
  };
  const Stats& stats() const { return stats_; }

  ValidationRules(const ValidationRules&) = delete;
  ValidationRules& operator=(const ValidationRules&) = delete;

 private:
  ValidationRules() = default;
  void Load(std::string_view text);
  std::optional<bool> ResultOnEmpty(const fhirpath::Expression& expression, const TypeInfo& type,
                                    const ElementInfo* el);

  std::string text_;
  std::unordered_map<std::string_view, ValueSet> value_sets_;
  std::unordered_map<const ElementInfo*, ElementRules> elements_;
  std::unordered_map<const TypeInfo*, std::vector<Invariant>> types_;
  Stats stats_;
};

}  // namespace rhip::fhir
