// The tree-walking evaluator. One Evaluator serves one Evaluate() call.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/fhirpath/internal/ast.h"

namespace rhip::fhirpath::internal {

// What identifiers and $-names refer to at a point of evaluation.
struct Env {
  // The implicit input of a leading identifier or function. A span, so that per-item
  // arguments (where, select, ...) need no one-item collection.
  std::span<const Item> focus;
  const Item* this_item;    // $this; nullptr at the top level (then $this is the focus)
  int64_t index = 0;        // $index
  const Collection* total = nullptr;  // $total in aggregate()
};

class Evaluator {
 public:
  Evaluator(const json::Value& resource, const EvalContext& context);
  // Focus and %context `focus` (which must outlive the evaluator), %resource `resource`.
  Evaluator(const Item& focus, const json::Value& resource, const EvalContext& context);

  absl::StatusOr<Collection> Eval(const AstNode& node, const Env& env);
  std::span<const Item> root() const { return {&root_, 1}; }
  std::span<const Item> context_item() const { return {context_item_, 1}; }

 private:
  // The input of a member or function: its source expression's result (kept in *storage)
  // or the focus.
  absl::StatusOr<std::span<const Item>> Source(const AstNode& node, const Env& env,
                                               Collection* storage);
  absl::StatusOr<Collection> Binary(const AstNode& node, const Env& env);
  absl::StatusOr<Collection> Union(const AstNode& node, const Env& env);
  absl::StatusOr<Collection> Variable(const AstNode& node);
  absl::StatusOr<Collection> Call(const AstNode& node, const Env& env);  // functions.cc

  // Function helpers (functions.cc).
  absl::StatusOr<Collection> Arg(const AstNode& node, size_t i, const Env& env);
  // Evaluates argument i once per input item with $this / $index set.
  absl::StatusOr<Collection> ArgFor(const AstNode& node, size_t i, const Collection& input,
                                    size_t index, const Env& env);
  absl::StatusOr<Collection> Repeat(const AstNode& node, const Collection& input, const Env& env);
  absl::StatusOr<Collection> Resolve(std::span<const Item> input);
  absl::StatusOr<Collection> Sort(const AstNode& node, Collection input, const Env& env);

  const json::Value& resource_;
  const EvalContext& context_;
  Item root_;
  const Item* context_item_;  // %context: root_ or the EvaluateFrom() focus
};

// Navigation over the input tree (navigation.cc).
// The root item for a resource.
Item RootItem(const json::Value& resource);
// Children named `name` of every item (choice types resolved: "value" finds valueQuantity).
// `hint`, when its parent is the item's type, spares the lookup of `name` in the model.
void Children(const Item& item, std::string_view name, Collection* out,
              const MemberHint& hint = {});
// Whether a node is a resource (has a resource type), not an element.
bool IsResource(const Node& node);
// All children of an item, in document order.
void AllChildren(const Item& item, Collection* out);
// Whether the item is of the named type ("Quantity", "FHIR.Patient", "System.String"),
// derived types included (an Age is a Quantity, a Patient a Resource). With exact_primitives,
// FHIR primitives match only their own type (as() and ofType(): a code is not a string).
// `resolved`, when given, is the model's type for type_name (looked up at Compile()).
bool IsOfType(const Item& item, std::string_view type_name, bool exact_primitives,
              const fhir::TypeInfo* resolved = nullptr);
// StructureModel::R4().FindType with a small per-thread cache: evaluation looks up the same
// few names (the resource's type, reference targets) over and over.
const fhir::TypeInfo* FindTypeCached(std::string_view name);
// Whether a type specifier names a System type or a type of the structure model.
bool IsKnownType(std::string_view type_name);

// FHIRPath collection rules.
// Singleton evaluation to a boolean: nullopt for empty; error for several items.
absl::StatusOr<std::optional<bool>> AsBoolean(const Collection& c, std::string_view what);
// Appends b's items not already in out (by equality).
void AppendDistinct(const Collection& b, Collection* out);
bool Contains(const Collection& c, const Item& item);

}  // namespace rhip::fhirpath::internal
