// FHIRPath (http://hl7.org/fhirpath, N1 as used by FHIR R4) over rhip's JSON DOM.
// Compile an expression once, evaluate it against many resources:
//
//   ASSIGN_OR_RETURN(fhirpath::Expression e, fhirpath::Compile("Observation.value.ofType(Quantity)"));
//   ASSIGN_OR_RETURN(fhirpath::Collection c, fhirpath::Evaluate(e, resource, {}));
//
// Thread safety: an Expression is immutable and may be evaluated from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "fhir/fhirpath/values.h"

namespace rhip::fhir {
class TypeInfo;
}

namespace rhip::fhirpath {

namespace internal {
struct AstNode;
}

// An element of the input tree, with what PATCH needs to find it again.
// The pointers and views point into the evaluated resource: they are valid while it is alive
// and unchanged.
struct Node {
  // The JSON value (an object or a primitive, never an array). nullptr for a FHIR primitive
  // that has only an id/extension, or for a resolve() target known only by its type.
  const json::Value* value = nullptr;
  // FHIR JSON's "_member" companion of a primitive (holds its id and extension), if any.
  const json::Value* extension = nullptr;
  const json::Value* parent = nullptr;  // the object holding `member`; nullptr for the root
  std::string_view member;              // as written in JSON, e.g. "valueQuantity"
  int index = -1;                       // position in the member's array; -1 if not an array
  std::string_view type;                // FHIR type name ("Quantity", "code", "Patient") or ""
  const fhir::TypeInfo* type_info = nullptr;  // the structure model's type, when known
};

// One item of a FHIRPath collection: a node of the input or a computed system value.
class Item {
 public:
  using Data = std::variant<Node, bool, int64_t, Decimal, std::string, Temporal, Quantity>;

  Item(Data data) : data_(std::move(data)) {}  // NOLINT: implicit by design

  const Data& data() const { return data_; }
  bool is_node() const { return std::holds_alternative<Node>(data_); }
  // REQUIRES: is_node().
  const Node& node() const { return std::get<Node>(data_); }
  // The type name: the FHIR type for nodes when known, else the System type ("Boolean",
  // "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity").
  std::string TypeName() const;

 private:
  Data data_;
};

using Collection = std::vector<Item>;

struct EvalContext;

// Static checks at Compile() (the spec's strict mode), off by default: evaluation is lenient,
// an unknown member is simply empty.
struct CompileOptions {
  // The type of the resource or element the expression will start on ("Patient"). Lets
  // Compile() know the type of each member step.
  std::string_view context_type;
  // Errors for what the model shows cannot match: an element the type does not have
  // (name.given1, Observation.valueQuantity), a leading type name other than the context's.
  bool strict = false;
  // Errors for order-dependent functions (first(), skip(), [0], ...) applied directly to the
  // unordered result of children() or descendants().
  bool check_ordered_functions = false;
};

// A compiled expression. Cheap to copy (shares the immutable syntax tree).
class Expression {
 public:
  const std::string& text() const { return text_; }

 private:
  friend absl::StatusOr<Expression> Compile(std::string_view text, const CompileOptions& options);
  friend absl::StatusOr<Collection> Evaluate(const Expression&, const json::Value&,
                                             const EvalContext&);
  friend absl::StatusOr<Collection> EvaluateFrom(const Expression&, const Item&,
                                                 const json::Value&, const EvalContext&);
  std::string text_;
  std::shared_ptr<const internal::AstNode> root_;
};

struct EvalContext {
  // %name environment variables, besides the built-in %resource, %context, %ucum, %sct, %loinc.
  std::map<std::string, Collection, std::less<>> variables;
  // resolve() hook: the resource a reference (e.g. "Patient/1") points to, or nullptr when it is
  // not available. Without it (or when it answers nullptr) resolve() still yields an item whose
  // type is taken from the reference text, which is what search-parameter expressions such as
  // `subject.where(resolve() is Patient)` need. Contained references ("#id") are resolved in
  // %resource first. The returned resource must outlive the evaluation result.
  std::function<const json::Value*(std::string_view reference)> resolve;
};

// Parses and checks `text`. Errors are kInvalid and give the character offset.
absl::StatusOr<Expression> Compile(std::string_view text);
absl::StatusOr<Expression> Compile(std::string_view text, const CompileOptions& options);

// Evaluates `expression` with `resource` as %resource, %context and initial focus.
// Errors (e.g. single() on several items) are kUnprocessable.
absl::StatusOr<Collection> Evaluate(const Expression& expression, const json::Value& resource,
                                    const EvalContext& context = {});

// Evaluates `expression` with `focus` (an item of an earlier result over `resource`) as
// initial focus and %context, and `resource` as %resource: how a composite search parameter's
// component expressions apply to each item of its main expression.
absl::StatusOr<Collection> EvaluateFrom(const Expression& expression, const Item& focus,
                                        const json::Value& resource,
                                        const EvalContext& context = {});

// Convenience for predicates: true if the result is a single `true` (FHIRPath boolean rules:
// a single non-boolean item counts as true, empty as false).
absl::StatusOr<bool> EvaluateBoolean(const Expression& expression, const json::Value& resource,
                                     const EvalContext& context = {});

// The system value of an item as text (dates in FHIR form, quantities as "4 'mg'"); for nodes,
// the JSON primitive as text. Empty for complex nodes.
std::string ToText(const Item& item);

}  // namespace rhip::fhirpath
