#include "fhir/fhirpath/internal/evaluator.h"

#include <regex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/status_macros.h"
#include "fhir/fhirpath/internal/operations.h"

namespace rhip::fhirpath {
namespace internal {
namespace {

absl::Status EvalError(const AstNode& node, std::string_view message) {
  return MakeError(ErrorKind::kUnprocessable,
                   absl::StrCat("FHIRPath error at offset ", node.pos, ": ", ToAbsl(message)));
}

absl::StatusOr<const Item*> Single(const AstNode& node, const Collection& c, std::string_view op) {
  if (c.empty()) return nullptr;
  if (c.size() > 1) {
    return EvalError(node, absl::StrCat("operator ", ToAbsl(op), " needs single items, got ", c.size()));
  }
  return &c[0];
}

Collection Bool(bool b) { return Collection{Item(b)}; }

absl::StatusOr<Collection> Logic(const AstNode& node, std::optional<bool> a, std::optional<bool> b) {
  const std::string& op = node.name;
  std::optional<bool> r;
  if (op == "and") {
    if (a == false || b == false) {
      r = false;
    } else if (a && b) {
      r = true;
    }
  } else if (op == "or") {
    if (a == true || b == true) {
      r = true;
    } else if (a && b) {
      r = false;
    }
  } else if (op == "xor") {
    if (a && b) r = *a != *b;
  } else {  // implies
    if (a == false || b == true) {
      r = true;
    } else if (a == true && b == false) {
      r = false;
    }
  }
  return r ? Bool(*r) : Collection{};
}

std::optional<bool> CollectionsEqual(const Collection& a, const Collection& b) {
  if (a.size() != b.size()) return false;
  bool undecided = false;
  for (size_t i = 0; i < a.size(); ++i) {
    std::optional<bool> e = ItemsEqual(a[i], b[i]);
    if (e == false) return false;
    if (!e) undecided = true;
  }
  if (undecided) return std::nullopt;
  return true;
}

bool CollectionsEquivalent(const Collection& a, const Collection& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size());
  for (const Item& x : a) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && ItemsEquivalent(x, b[j])) used[j] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::optional<bool>> AsBoolean(const Collection& c, std::string_view what) {
  if (c.empty()) return std::nullopt;
  if (c.size() > 1) {
    return MakeError(ErrorKind::kUnprocessable,
                     absl::StrCat("FHIRPath: ", ToAbsl(what), " expects a single boolean, got ", c.size(),
                                  " items"));
  }
  SystemValue v = ToSystem(c[0]);
  if (const bool* b = std::get_if<bool>(&v)) return std::optional<bool>(*b);
  return std::optional<bool>(true);  // a single non-boolean item counts as true
}

bool Contains(const Collection& c, const Item& item) {
  for (const Item& x : c) {
    if (ItemsEqual(x, item) == true) return true;
  }
  return false;
}

void AppendDistinct(const Collection& b, Collection* out) {
  for (const Item& x : b) {
    if (!Contains(*out, x)) out->push_back(x);
  }
}

Evaluator::Evaluator(const json::Value& resource, const EvalContext& context)
    : resource_(resource), context_(context), root_{RootItem(resource)} {}

absl::StatusOr<Collection> Evaluator::Source(const AstNode& node, const Env& env) {
  if (node.children.empty() || node.children[0] == nullptr) return *env.focus;
  return Eval(*node.children[0], env);
}

absl::StatusOr<Collection> Evaluator::Eval(const AstNode& node, const Env& env) {
  switch (node.kind) {
    case NodeKind::kLiteral:
      return Collection{*node.literal};
    case NodeKind::kEmpty:
      return Collection{};
    case NodeKind::kThis:
      if (env.this_item == nullptr) return *env.focus;
      return Collection{*env.this_item};
    case NodeKind::kIndex:
      return Collection{Item(env.index)};
    case NodeKind::kTotal:
      if (env.total == nullptr) return EvalError(node, "$total outside aggregate()");
      return *env.total;
    case NodeKind::kVariable:
      return Variable(node);
    case NodeKind::kMember: {
      bool leading = node.children.empty();
      ASSIGN_OR_RETURN(Collection input, Source(node, env));
      Collection out;
      for (const Item& item : input) {
        // A leading type name ("Patient.name") selects the focus if it is of that type.
        if (leading && !node.name.empty() && node.name[0] >= 'A' && node.name[0] <= 'Z' &&
            item.is_node() && item.node().value != nullptr && item.node().value->is_object() &&
            item.node().value->Find("resourceType") != nullptr) {
          if (IsOfType(item, node.name, false)) out.push_back(item);
          continue;
        }
        Children(item, node.name, &out);
      }
      return out;
    }
    case NodeKind::kFunction:
      return Call(node, env);
    case NodeKind::kIndexer: {
      ASSIGN_OR_RETURN(Collection input, Eval(*node.children[0], env));
      ASSIGN_OR_RETURN(Collection index, Eval(*node.children[1], env));
      ASSIGN_OR_RETURN(const Item* i, Single(node, index, "[]"));
      if (i == nullptr) return Collection{};
      SystemValue v = ToSystem(*i);
      const int64_t* n = std::get_if<int64_t>(&v);
      if (n == nullptr) return EvalError(node, "index must be an integer");
      if (*n < 0 || *n >= static_cast<int64_t>(input.size())) return Collection{};
      return Collection{input[*n]};
    }
    case NodeKind::kUnary: {
      ASSIGN_OR_RETURN(Collection input, Eval(*node.children[0], env));
      ASSIGN_OR_RETURN(const Item* i, Single(node, input, node.name));
      if (i == nullptr || node.name == "+") return input;
      ASSIGN_OR_RETURN(std::optional<Item> r, Arithmetic("*", *i, Item(int64_t{-1})));
      return r ? Collection{*r} : Collection{};
    }
    case NodeKind::kBinary:
      return Binary(node, env);
    case NodeKind::kTypeOp: {
      ASSIGN_OR_RETURN(Collection input, Eval(*node.children[0], env));
      ASSIGN_OR_RETURN(const Item* i, Single(node, input, node.name));
      if (i == nullptr) return Collection{};
      bool is = IsOfType(*i, node.children[1]->name, node.name == "as");
      if (node.name == "is") return Bool(is);
      return is ? Collection{*i} : Collection{};
    }
  }
  return EvalError(node, "unknown expression");
}

absl::StatusOr<Collection> Evaluator::Variable(const AstNode& node) {
  const std::string& name = node.name;
  if (name == "resource" || name == "context" || name == "rootResource") return root_;
  if (name == "ucum") return Collection{Item(std::string("http://unitsofmeasure.org"))};
  if (name == "sct") return Collection{Item(std::string("http://snomed.info/sct"))};
  if (name == "loinc") return Collection{Item(std::string("http://loinc.org"))};
  if (auto it = context_.variables.find(name); it != context_.variables.end()) return it->second;
  if (name.substr(0, 3) == "vs-") {
    return Collection{Item(absl::StrCat("http://hl7.org/fhir/ValueSet/", name.substr(3)))};
  }
  if (name.substr(0, 4) == "ext-") {
    return Collection{
        Item(absl::StrCat("http://hl7.org/fhir/StructureDefinition/", name.substr(4)))};
  }
  return EvalError(node, "unknown variable %" + name);
}

absl::StatusOr<Collection> Evaluator::Binary(const AstNode& node, const Env& env) {
  const std::string& op = node.name;
  ASSIGN_OR_RETURN(Collection a, Eval(*node.children[0], env));
  if (op == "and" || op == "or" || op == "implies") {
    ASSIGN_OR_RETURN(std::optional<bool> x, AsBoolean(a, op));
    // Short-circuit where the left side decides.
    if ((op == "and" && x == false) || (op == "or" && x == true)) return Bool(op == "or");
    if (op == "implies" && x == false) return Bool(true);
    ASSIGN_OR_RETURN(Collection b, Eval(*node.children[1], env));
    ASSIGN_OR_RETURN(std::optional<bool> y, AsBoolean(b, op));
    return Logic(node, x, y);
  }
  ASSIGN_OR_RETURN(Collection b, Eval(*node.children[1], env));
  if (op == "xor") {
    ASSIGN_OR_RETURN(std::optional<bool> x, AsBoolean(a, op));
    ASSIGN_OR_RETURN(std::optional<bool> y, AsBoolean(b, op));
    return Logic(node, x, y);
  }
  if (op == "|") {
    Collection out;
    AppendDistinct(a, &out);
    AppendDistinct(b, &out);
    return out;
  }
  if (op == "=" || op == "!=") {
    if (a.empty() || b.empty()) return Collection{};
    std::optional<bool> eq = CollectionsEqual(a, b);
    if (!eq) return Collection{};
    return Bool(op == "=" ? *eq : !*eq);
  }
  if (op == "~" || op == "!~") {
    bool eq = CollectionsEquivalent(a, b);
    return Bool(op == "~" ? eq : !eq);
  }
  if (op == "in" || op == "contains") {
    const Collection& element = op == "in" ? a : b;
    const Collection& set = op == "in" ? b : a;
    ASSIGN_OR_RETURN(const Item* e, Single(node, element, op));
    if (e == nullptr) return Collection{};
    return Bool(Contains(set, *e));
  }
  if (op == "&") {
    std::string s;
    for (const Collection* c : {&a, &b}) {
      ASSIGN_OR_RETURN(const Item* i, Single(node, *c, op));
      if (i != nullptr) s += ConvertToString(*i).value_or("");
    }
    return Collection{Item(std::move(s))};
  }
  ASSIGN_OR_RETURN(const Item* x, Single(node, a, op));
  ASSIGN_OR_RETURN(const Item* y, Single(node, b, op));
  if (x == nullptr || y == nullptr) return Collection{};
  if (op == "<" || op == ">" || op == "<=" || op == ">=") {
    absl::StatusOr<std::optional<int>> c = CompareItems(*x, *y);
    if (!c.ok()) return EvalError(node, absl::StrCat("cannot compare ", x->TypeName(), " and ", y->TypeName()));
    if (!c->has_value()) return Collection{};
    int v = **c;
    bool r = op == "<" ? v < 0 : op == ">" ? v > 0 : op == "<=" ? v <= 0 : v >= 0;
    return Bool(r);
  }
  ASSIGN_OR_RETURN(std::optional<Item> r, Arithmetic(op, *x, *y));
  return r ? Collection{*r} : Collection{};
}

namespace {

// Checks type specifiers and compiles the literal patterns of matches()/replaceMatches()
// once, at Compile().
absl::Status Prepare(AstNode* node) {
  const bool type_argument =
      node->kind == NodeKind::kTypeOp ||
      (node->kind == NodeKind::kFunction &&
       (node->function == Function::kOfType || node->function == Function::kIs ||
        node->function == Function::kAs));
  if (type_argument && !IsKnownType(node->children[1]->name)) {
    return MakeError(ErrorKind::kInvalid, absl::StrCat("FHIRPath error at offset ", node->pos,
                                                       ": unknown type ", node->children[1]->name));
  }
  if (node->kind == NodeKind::kFunction &&
      (node->function == Function::kMatches || node->function == Function::kMatchesFull ||
       node->function == Function::kReplaceMatches) &&
      node->children.size() > 1 && node->children[1]->kind == NodeKind::kLiteral) {
    const auto* pattern = std::get_if<std::string>(&node->children[1]->literal->data());
    if (pattern != nullptr) {
      try {
        node->regex = std::make_shared<const std::regex>(*pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return MakeError(ErrorKind::kInvalid, absl::StrCat("FHIRPath error at offset ", node->pos,
                                                           ": invalid regular expression: ", e.what()));
      }
    }
  }
  for (auto& c : node->children) {
    if (c) RETURN_IF_ERROR(Prepare(c.get()));
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace internal

absl::StatusOr<Expression> Compile(std::string_view text) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::AstNode> root, internal::Parse(text));
  RETURN_IF_ERROR(internal::Prepare(root.get()));
  Expression e;
  e.text_ = std::string(text);
  e.root_ = std::move(root);
  return e;
}

absl::StatusOr<Collection> Evaluate(const Expression& expression, const json::Value& resource,
                                    const EvalContext& context) {
  internal::Evaluator evaluator(resource, context);
  internal::Env env{&evaluator.root(), nullptr};
  return evaluator.Eval(*expression.root_, env);
}

absl::StatusOr<bool> EvaluateBoolean(const Expression& expression, const json::Value& resource,
                                     const EvalContext& context) {
  ASSIGN_OR_RETURN(Collection c, Evaluate(expression, resource, context));
  ASSIGN_OR_RETURN(std::optional<bool> b, internal::AsBoolean(c, "the expression"));
  return b.value_or(false);
}

std::string Item::TypeName() const {
  static constexpr const char* kNames[] = {"", "Boolean", "Integer", "Decimal",
                                           "String", "", "Quantity"};
  if (const Node* n = std::get_if<Node>(&data_)) return std::string(n->type);
  if (const Temporal* t = std::get_if<Temporal>(&data_)) {
    return t->kind == Temporal::Kind::kDate ? "Date"
           : t->kind == Temporal::Kind::kTime ? "Time"
                                               : "DateTime";
  }
  return kNames[data_.index()];
}

std::string ToText(const Item& item) {
  if (item.is_node()) {
    const json::Value* v = item.node().value;
    if (v == nullptr || v->is_object()) return {};
    if (v->is_string()) return v->as_string();
    if (v->is_number()) return v->as_number().text;
    if (v->is_bool()) return v->as_bool() ? "true" : "false";
    return {};
  }
  return internal::ConvertToString(item).value_or("");
}

}  // namespace rhip::fhirpath
