#include "fhir/fhirpath/internal/evaluator.h"

#include <regex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/status_macros.h"
#include "fhir/fhirpath/internal/operations.h"
#include "fhir/model/structure_model.h"

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

bool IsResourceItem(const Item& item) {
  return item.is_node() && item.node().value != nullptr && item.node().value->is_object() &&
         IsResource(item.node());
}

// Whether a resource passes the filter of a leading type name (kMember with leading_type).
bool HasLeadingType(const AstNode& leading, const Node& n) {
  return n.type == leading.name ||
         (n.type_info != nullptr && leading.type_ref != nullptr && n.type_info->IsA(*leading.type_ref));
}

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
  // Large collections of strings are deduplicated by hashing: pairwise comparison is
  // quadratic, and csd-1 (all codes of a CodeSystem distinct) on a 45k-code ICD-10 took a
  // minute.
  if (b.size() + out->size() > 32) {
    std::vector<const std::string*> texts;
    texts.reserve(out->size() + b.size());
    for (const Collection* c : {static_cast<const Collection*>(out), &b}) {
      for (const Item& x : *c) {
        const std::string* s = PlainString(x);
        if (s == nullptr) break;
        texts.push_back(s);
      }
    }
    size_t had = out->size();
    if (texts.size() == had + b.size()) {
      std::unordered_set<std::string_view> seen;
      for (size_t i = 0; i < had; ++i) seen.insert(*texts[i]);
      for (size_t i = 0; i < b.size(); ++i) {
        if (seen.insert(*texts[had + i]).second) out->push_back(b[i]);
      }
      return;
    }
  }
  for (const Item& x : b) {
    if (!Contains(*out, x)) out->push_back(x);
  }
}

Evaluator::Evaluator(const json::Value& resource, const EvalContext& context)
    : resource_(resource), context_(context), root_(RootItem(resource)), context_item_(&root_) {}

Evaluator::Evaluator(const Item& focus, const json::Value& resource, const EvalContext& context)
    : resource_(resource),
      context_(context),
      root_(RootItem(resource)),
      context_item_(&focus) {}

absl::StatusOr<std::span<const Item>> Evaluator::Source(const AstNode& node, const Env& env,
                                                        Collection* storage) {
  if (node.children.empty() || node.children[0] == nullptr) return env.focus;
  ASSIGN_OR_RETURN(*storage, Eval(*node.children[0], env));
  return std::span<const Item>(*storage);
}

absl::StatusOr<Collection> Evaluator::Eval(const AstNode& node, const Env& env) {
  switch (node.kind) {
    case NodeKind::kLiteral:
      return Collection{*node.literal};
    case NodeKind::kEmpty:
      return Collection{};
    case NodeKind::kThis:
      if (env.this_item == nullptr) return Collection(env.focus.begin(), env.focus.end());
      return Collection{*env.this_item};
    case NodeKind::kIndex:
      return Collection{Item(env.index)};
    case NodeKind::kTotal:
      if (env.total == nullptr) return EvalError(node, "$total outside aggregate()");
      return *env.total;
    case NodeKind::kVariable:
      return Variable(node);
    case NodeKind::kMember: {
      const AstNode* source = node.children.empty() ? nullptr : node.children[0].get();
      if (source != nullptr && source->kind == NodeKind::kMember && source->leading_type) {
        // "Patient.name" on resources (how nearly every search expression starts): the type
        // filter and the member step in one pass, without the filtered collection.
        bool resources = true;
        for (const Item& item : env.focus) resources = resources && IsResourceItem(item);
        if (resources) {
          Collection out;
          for (const Item& item : env.focus) {
            if (HasLeadingType(*source, item.node())) Children(item, node.name, &out, node.hint);
          }
          return out;
        }
      }
      Collection storage;
      ASSIGN_OR_RETURN(std::span<const Item> input, Source(node, env, &storage));
      Collection out;
      for (const Item& item : input) {
        // A leading type name ("Patient.name") selects the focus if it is of that type.
        if (node.leading_type && IsResourceItem(item)) {
          if (HasLeadingType(node, item.node())) out.push_back(item);
          continue;
        }
        Children(item, node.name, &out, node.hint);
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
      bool is = IsOfType(*i, node.children[1]->name, node.name == "as", node.children[1]->type_ref);
      if (node.name == "is") return Bool(is);
      return is ? Collection{*i} : Collection{};
    }
  }
  return EvalError(node, "unknown expression");
}

absl::StatusOr<Collection> Evaluator::Variable(const AstNode& node) {
  const std::string& name = node.name;
  if (name == "resource" || name == "rootResource") return Collection{root_};
  if (name == "context") return Collection{*context_item_};
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

absl::StatusOr<Collection> Evaluator::Union(const AstNode& node, const Env& env) {
  const Node* focus = env.focus.size() == 1 && env.focus[0].is_node() ? &env.focus[0].node() : nullptr;
  const fhir::TypeInfo* focus_type =
      focus != nullptr && focus->type_info != nullptr && IsResource(*focus) ? focus->type_info
                                                                             : nullptr;
  Collection out;
  for (size_t i = 0; i < node.children.size(); ++i) {
    const fhir::TypeInfo* required = node.branch_types.empty() ? nullptr : node.branch_types[i];
    if (focus_type != nullptr && required != nullptr && !focus_type->IsA(*required)) continue;
    ASSIGN_OR_RETURN(Collection c, Eval(*node.children[i], env));
    if (out.empty() && c.size() <= 1) {
      out = std::move(c);
    } else {
      AppendDistinct(c, &out);
    }
  }
  return out;
}

absl::StatusOr<Collection> Evaluator::Binary(const AstNode& node, const Env& env) {
  const std::string& op = node.name;
  if (op == "|") return Union(node, env);
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
        node->regex = MakeRegex(*pattern);
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

const fhir::TypeInfo* ModelType(std::string_view name) {
  if (name.substr(0, 5) == "FHIR.") name.remove_prefix(5);
  if (name.empty() || name.substr(0, 7) == "System.") return nullptr;
  return fhir::StructureModel::R4().FindType(name);
}

// "a | b | c" parses as ((a | b) | c); one node with all branches evaluates without the
// intermediate collections and can skip branches (union is associative).
void FlattenUnions(AstNode* node) {
  for (auto& c : node->children) {
    if (c) FlattenUnions(c.get());
  }
  if (node->kind != NodeKind::kBinary || node->name != "|") return;
  std::vector<std::unique_ptr<AstNode>> flat;
  for (auto& c : node->children) {
    if (c->kind == NodeKind::kBinary && c->name == "|") {
      for (auto& g : c->children) flat.push_back(std::move(g));
    } else {
      flat.push_back(std::move(c));
    }
  }
  node->children = std::move(flat);
}

// The resource type a branch's leading type name requires ("Patient" in
// Patient.name.where(use = 'official')), if every step on the way up yields empty for an
// empty input (unlike exists(), count(), empty(), ...).
const fhir::TypeInfo* RequiredResourceType(const AstNode& node) {
  switch (node.kind) {
    case NodeKind::kMember:
      if (node.leading_type) {
        return node.type_ref != nullptr &&
                       node.type_ref->kind() == fhir::TypeInfo::Kind::kResource
                   ? node.type_ref
                   : nullptr;
      }
      return node.children.empty() ? nullptr : RequiredResourceType(*node.children[0]);
    case NodeKind::kTypeOp:
    case NodeKind::kIndexer:
      return RequiredResourceType(*node.children[0]);
    case NodeKind::kFunction:
      if (node.children[0] == nullptr) return nullptr;
      switch (node.function) {
        case Function::kWhere: case Function::kSelect: case Function::kOfType: case Function::kAs:
        case Function::kIs: case Function::kFirst: case Function::kLast: case Function::kTail:
        case Function::kSkip: case Function::kTake: case Function::kSingle:
        case Function::kDistinct: case Function::kExtension: case Function::kResolve:
          return RequiredResourceType(*node.children[0]);
        default:
          return nullptr;
      }
    default:
      return nullptr;
  }
}

bool PerItemArguments(Function f) {
  switch (f) {
    case Function::kWhere: case Function::kExists: case Function::kAll: case Function::kSelect:
    case Function::kRepeat: case Function::kSort: case Function::kAggregate: case Function::kIif:
      return true;
    default:
      return false;
  }
}

// Marks leading type names and infers, where the model allows, the single type each node
// yields given the type of its focus (nullptr: unknown). Member steps on a known type get
// their element looked up here, once, instead of on every evaluation.
// With options.strict, what the model shows to be wrong is reported in *error (the first).
const fhir::TypeInfo* Annotate(AstNode* node, const fhir::TypeInfo* focus,
                               const CompileOptions& options, absl::Status* error) {
  auto child = [&](size_t i, const fhir::TypeInfo* f) -> const fhir::TypeInfo* {
    if (i >= node->children.size() || node->children[i] == nullptr) return focus;
    return Annotate(node->children[i].get(), f, options, error);
  };
  auto fail = [&](std::string_view message) {
    if (error->ok()) {
      *error = MakeError(ErrorKind::kInvalid, absl::StrCat("FHIRPath error at offset ", node->pos,
                                                           ": ", ToAbsl(message)));
    }
  };
  switch (node->kind) {
    case NodeKind::kMember: {
      if (node->children.empty() && !node->name.empty() && node->name[0] >= 'A' &&
          node->name[0] <= 'Z') {
        node->leading_type = true;
        node->type_ref = ModelType(node->name);
        // On a non-resource focus the name is a plain member; only the filter is typed.
        if (node->type_ref != nullptr &&
            node->type_ref->kind() == fhir::TypeInfo::Kind::kResource) {
          if (options.strict && focus != nullptr &&
              focus->kind() == fhir::TypeInfo::Kind::kResource && !focus->IsA(*node->type_ref)) {
            fail(absl::StrCat(node->name, " cannot match the context type ", focus->name()));
          }
          return node->type_ref;
        }
      }
      const fhir::TypeInfo* source = child(0, focus);
      if (source == nullptr) return nullptr;
      const fhir::ElementInfo* el = source->FindChild(node->name);
      node->hint = {source, el};
      if (options.strict && el == nullptr) {
        fail(absl::StrCat(source->name(), " has no element ", node->name));
      }
      if (el == nullptr || el->is_choice || el->types.size() != 1) return nullptr;
      return el->types[0].info;
    }
    case NodeKind::kFunction: {
      const fhir::TypeInfo* source = child(0, focus);
      const AstNode* input = node->children[0].get();
      const bool order_dependent =
          node->function == Function::kFirst || node->function == Function::kLast ||
          node->function == Function::kTail || node->function == Function::kSkip ||
          node->function == Function::kTake;
      if (options.check_ordered_functions && order_dependent && input != nullptr &&
          input->kind == NodeKind::kFunction &&
          (input->function == Function::kChildren || input->function == Function::kDescendants)) {
        fail(absl::StrCat(node->name, "() on the unordered result of ", input->name, "()"));
      }
      const bool type_argument = node->function == Function::kOfType ||
                                 node->function == Function::kAs ||
                                 node->function == Function::kIs;
      if (type_argument) node->children[1]->type_ref = ModelType(node->children[1]->name);
      for (size_t i = 1; i < node->children.size() && !type_argument; ++i) {
        child(i, PerItemArguments(node->function) ? source : focus);
      }
      switch (node->function) {
        case Function::kOfType:
        case Function::kAs:
          return ModelType(node->children[1]->name);
        case Function::kWhere: case Function::kFirst: case Function::kLast:
        case Function::kSingle: case Function::kTail: case Function::kSkip:
        case Function::kTake: case Function::kDistinct:
          return source;
        default:
          return nullptr;
      }
    }
    case NodeKind::kTypeOp: {
      child(0, focus);
      node->children[1]->type_ref = ModelType(node->children[1]->name);
      return node->name == "as" ? ModelType(node->children[1]->name) : nullptr;
    }
    case NodeKind::kIndexer: {
      const fhir::TypeInfo* t = child(0, focus);
      const AstNode* input = node->children[0].get();
      if (options.check_ordered_functions && input->kind == NodeKind::kFunction &&
          (input->function == Function::kChildren || input->function == Function::kDescendants)) {
        fail(absl::StrCat("[] on the unordered result of ", input->name, "()"));
      }
      child(1, focus);
      return t;
    }
    case NodeKind::kUnary:
      return child(0, focus);
    case NodeKind::kBinary: {
      const fhir::TypeInfo* common = child(0, focus);
      for (size_t i = 1; i < node->children.size(); ++i) {
        if (child(i, focus) != common) common = nullptr;
      }
      if (node->name != "|") return nullptr;
      for (const auto& c : node->children) node->branch_types.push_back(RequiredResourceType(*c));
      return common;
    }
    default:
      for (size_t i = 0; i < node->children.size(); ++i) child(i, focus);
      return nullptr;
  }
}

}  // namespace
}  // namespace internal

absl::StatusOr<Expression> Compile(std::string_view text) { return Compile(text, {}); }

absl::StatusOr<Expression> Compile(std::string_view text, const CompileOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::AstNode> root, internal::Parse(text));
  RETURN_IF_ERROR(internal::Prepare(root.get()));
  internal::FlattenUnions(root.get());
  const fhir::TypeInfo* context = nullptr;
  if (!options.context_type.empty()) {
    context = fhir::StructureModel::R4().FindType(options.context_type);
    if (context == nullptr) {
      return MakeError(ErrorKind::kInvalid,
                       absl::StrCat("FHIRPath: unknown context type ", ToAbsl(options.context_type)));
    }
  }
  absl::Status error;
  internal::Annotate(root.get(), context, options, &error);
  RETURN_IF_ERROR(error);
  Expression e;
  e.text_ = std::string(text);
  e.root_ = std::move(root);
  return e;
}

absl::StatusOr<Collection> Evaluate(const Expression& expression, const json::Value& resource,
                                    const EvalContext& context) {
  internal::Evaluator evaluator(resource, context);
  internal::Env env{evaluator.root(), nullptr};
  return evaluator.Eval(*expression.root_, env);
}

absl::StatusOr<Collection> EvaluateFrom(const Expression& expression, const Item& focus,
                                        const json::Value& resource, const EvalContext& context) {
  internal::Evaluator evaluator(focus, resource, context);
  internal::Env env{evaluator.context_item(), nullptr};
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
