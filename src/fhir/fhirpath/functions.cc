// The FHIRPath function library.
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/fhirpath/internal/evaluator.h"
#include "fhir/fhirpath/internal/operations.h"
#include "fhir/fhirpath/internal/temporal_math.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhirpath::internal {
namespace {

absl::Status FunctionError(const AstNode& node, std::string_view message) {
  return MakeError(ErrorKind::kUnprocessable,
                   absl::StrCat("FHIRPath error at offset ", node.pos, ": ", node.name, "(): ",
                                ToAbsl(message)));
}

Collection Bool(bool b) { return Collection{Item(b)}; }

template <typename T>
Collection Optional(std::optional<T> v) {
  return v ? Collection{Item(std::move(*v))} : Collection{};
}

// The result of type(): a {namespace, name} object, kept for the life of the program so that
// the item can point at it (there are as many as there are type names).
Item TypeItem(std::string_view ns, std::string_view name) {
  static std::mutex mu;
  static auto* types = new std::map<std::string, json::Value, std::less<>>();
  std::string key = absl::StrCat(ToAbsl(ns), ".", ToAbsl(name));
  std::lock_guard<std::mutex> lock(mu);
  auto it = types->find(key);
  if (it == types->end()) {
    json::Object o;
    o.Set("namespace", json::Value(std::string(ns)));
    o.Set("name", json::Value(std::string(name)));
    it = types->emplace(key, json::Value(std::move(o))).first;
  }
  Node n;
  n.value = &it->second;
  return Item(n);
}

absl::StatusOr<const Item*> SingleInput(const AstNode& node, const Collection& c) {
  if (c.empty()) return nullptr;
  if (c.size() > 1) return FunctionError(node, absl::StrCat("expects a single item, got ", c.size()));
  return &c[0];
}

// The string value of a single-item collection; nullopt for empty. Non-strings are errors.
absl::StatusOr<std::optional<std::string>> SingleString(const AstNode& node, const Collection& c) {
  ASSIGN_OR_RETURN(const Item* i, SingleInput(node, c));
  if (i == nullptr) return std::optional<std::string>();
  SystemValue v = ToSystem(*i);
  if (std::string* s = std::get_if<std::string>(&v)) return std::optional<std::string>(std::move(*s));
  return FunctionError(node, "expects a string");
}

absl::StatusOr<std::optional<int64_t>> SingleInteger(const AstNode& node, const Collection& c) {
  ASSIGN_OR_RETURN(const Item* i, SingleInput(node, c));
  if (i == nullptr) return std::optional<int64_t>();
  SystemValue v = ToSystem(*i);
  if (const int64_t* n = std::get_if<int64_t>(&v)) return std::optional<int64_t>(*n);
  return FunctionError(node, "expects an integer");
}

// Same identity for nodes (one element of the document), equality for computed values.
bool SameItem(const Item& a, const Item& b) {
  if (a.is_node() && b.is_node()) {
    return a.node().value == b.node().value && a.node().extension == b.node().extension;
  }
  return ItemsEqual(a, b) == true;
}

// Code-point aware helpers: FHIR strings are UTF-8.
std::vector<std::string> Utf8Chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// FHIRPath regexes use ECMAScript syntax and match the whole string for matches() only when
// anchored; std::regex_search gives "contains a match" semantics like the reference engines.
absl::StatusOr<std::shared_ptr<const std::regex>> RegexFor(const AstNode& node,
                                                           const std::string& pattern) {
  if (node.regex) return node.regex;
  try {
    return MakeRegex(pattern);
  } catch (const std::regex_error& e) {
    return FunctionError(node, absl::StrCat("invalid regular expression: ", e.what()));
  }
}

}  // namespace

std::shared_ptr<const std::regex> MakeRegex(std::string_view pattern) {
  // An unescaped '.' outside a character class becomes [\s\S].
  std::string p;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      p += c;
      p += pattern[++i];
      continue;
    }
    if (c == '[') in_class = true;
    if (c == ']') in_class = false;
    if (c == '.' && !in_class) {
      p += "[\\s\\S]";
    } else {
      p += c;
    }
  }
  return std::make_shared<const std::regex>(p, std::regex::ECMAScript);
}

namespace {

absl::StatusOr<Collection> MathFunction(const AstNode& node, const Item* x,
                                        std::optional<Item> arg) {
  if (x == nullptr) return Collection{};
  SystemValue v = ToSystem(*x);
  const bool is_int = std::holds_alternative<int64_t>(v);
  if (const Quantity* q = std::get_if<Quantity>(&v); q && node.function == Function::kAbs) {
    Quantity r = *q;
    if (r.value.units < 0) r.value.units = -r.value.units;
    return Collection{Item(r)};
  }
  std::optional<Decimal> d = ConvertToDecimal(*x);
  if (!d || !(is_int || std::holds_alternative<Decimal>(v))) {
    return FunctionError(node, "expects a number");
  }
  double f = d->ToDouble();
  auto decimal = [](double r) -> Collection {
    if (!std::isfinite(r)) return Collection{};
    return Collection{Item(Decimal::FromDouble(r))};
  };
  switch (node.function) {
    case Function::kAbs:
      if (is_int) return Collection{Item(std::abs(std::get<int64_t>(v)))};
      return Collection{Item(Decimal{d->units < 0 ? -d->units : d->units, d->scale})};
    case Function::kCeiling:
      return Collection{Item(static_cast<int64_t>(std::ceil(f)))};
    case Function::kFloor:
      return Collection{Item(static_cast<int64_t>(std::floor(f)))};
    case Function::kTruncate:
      return Collection{Item(static_cast<int64_t>(std::trunc(f)))};
    case Function::kExp:
      return decimal(std::exp(f));
    case Function::kLn:
      return f <= 0 ? Collection{} : decimal(std::log(f));
    case Function::kSqrt:
      return f < 0 ? Collection{} : decimal(std::sqrt(f));
    case Function::kLog: {
      std::optional<Decimal> base = arg ? ConvertToDecimal(*arg) : std::nullopt;
      if (!base) return Collection{};
      return decimal(std::log(f) / std::log(base->ToDouble()));
    }
    case Function::kPower: {
      if (!arg) return Collection{};
      SystemValue e = ToSystem(*arg);
      if (is_int && std::holds_alternative<int64_t>(e) && std::get<int64_t>(e) >= 0) {
        double r = std::pow(f, static_cast<double>(std::get<int64_t>(e)));
        if (std::fabs(r) > 9e18) return Collection{};
        return Collection{Item(static_cast<int64_t>(r))};
      }
      std::optional<Decimal> p = ConvertToDecimal(*arg);
      if (!p) return Collection{};
      return decimal(std::pow(f, p->ToDouble()));
    }
    case Function::kRound: {
      int64_t digits = 0;
      if (arg) {
        std::optional<int64_t> n = ConvertToInteger(*arg);
        if (!n || *n < 0) return FunctionError(node, "precision must be a non-negative integer");
        digits = std::min<int64_t>(*n, Decimal::kMaxScale);
      }
      __int128 p = 1;
      for (int64_t k = digits; k < Decimal::kMaxScale; ++k) p *= 10;
      __int128 u = d->units;
      __int128 r = (u >= 0 ? (u + p / 2) / p : (u - p / 2) / p) * p;
      return Collection{Item(Decimal{r, static_cast<int>(digits)})};
    }
    default:
      return FunctionError(node, "not a math function");
  }
}

std::string HtmlEscape(std::string_view s) {
  return absl::StrReplaceAll(ToAbsl(s), {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"},
                                         {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string HtmlUnescape(std::string_view s) {
  return absl::StrReplaceAll(ToAbsl(s), {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                         {"&#39;", "'"}, {"&amp;", "&"}});
}

std::string JsonEscape(std::string_view s) {
  std::string quoted;
  json::AppendQuoted(s, &quoted);
  return quoted.substr(1, quoted.size() - 2);
}

// Undoes JSON string escapes; other characters (an unescaped quote too) stay as they are.
std::optional<std::string> JsonUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    // One escape (two for a surrogate pair), decoded by the JSON parser.
    size_t len = i + 1 < s.size() && s[i + 1] == 'u' ? 6 : 2;
    if (len == 6 && s.substr(i + 6, 2) == "\\u") len = 12;
    absl::StatusOr<json::Value> v =
        json::Parse(absl::StrCat("\"", ToAbsl(s.substr(i, len)), "\""));
    if ((!v.ok() || !v->is_string()) && len == 12) {
      len = 6;
      v = json::Parse(absl::StrCat("\"", ToAbsl(s.substr(i, len)), "\""));
    }
    if (!v.ok() || !v->is_string()) return std::nullopt;
    out += v->as_string();
    i += len - 1;
  }
  return out;
}

std::optional<std::string> Encode(std::string_view s, std::string_view format, bool decode) {
  std::string out;
  if (format == "base64") {
    if (!decode) return absl::Base64Escape(ToAbsl(s));
    if (!absl::Base64Unescape(ToAbsl(s), &out)) return std::nullopt;
    return out;
  }
  if (format == "urlbase64") {
    if (!decode) {
      out = absl::Base64Escape(ToAbsl(s));
      for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
      return out;
    }
    if (!absl::WebSafeBase64Unescape(ToAbsl(s), &out)) return std::nullopt;
    return out;
  }
  if (format == "hex") {
    if (!decode) return absl::BytesToHexString(ToAbsl(s));
    return absl::HexStringToBytes(ToAbsl(s));
  }
  return std::nullopt;
}

absl::StatusOr<Collection> StringFunction(const AstNode& node, const std::string& s,
                                          const std::vector<std::optional<std::string>>& args) {
  // Every argument these functions take is a string; an empty one gives an empty result.
  for (const auto& a : args) {
    if (!a) return Collection{};
  }
  switch (node.function) {
    case Function::kStartsWith:
      return Bool(s.compare(0, args[0]->size(), *args[0]) == 0);
    case Function::kEndsWith:
      return Bool(s.size() >= args[0]->size() &&
                  s.compare(s.size() - args[0]->size(), args[0]->size(), *args[0]) == 0);
    case Function::kContains:
      return Bool(s.find(*args[0]) != std::string::npos);
    case Function::kIndexOf: {
      size_t p = s.find(*args[0]);
      return Collection{Item(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(
                                                                        Utf8Chars(s.substr(0, p)).size()))};
    }
    case Function::kUpper:
      return Collection{Item(absl::AsciiStrToUpper(ToAbsl(s)))};
    case Function::kLower:
      return Collection{Item(absl::AsciiStrToLower(ToAbsl(s)))};
    case Function::kLength:
      return Collection{Item(static_cast<int64_t>(Utf8Chars(s).size()))};
    case Function::kToChars: {
      Collection out;
      for (std::string& c : Utf8Chars(s)) out.push_back(Item(std::move(c)));
      return out;
    }
    case Function::kTrim: {
      absl::string_view t = absl::StripAsciiWhitespace(ToAbsl(s));
      return Collection{Item(std::string(t))};
    }
    case Function::kReplace: {
      if (args[0]->empty()) {
        // Replacing '' inserts the substitution around every character.
        std::string out = *args[1];
        for (const std::string& c : Utf8Chars(s)) absl::StrAppend(&out, c, *args[1]);
        return Collection{Item(std::move(out))};
      }
      return Collection{Item(absl::StrReplaceAll(ToAbsl(s), {{ToAbsl(*args[0]), ToAbsl(*args[1])}}))};
    }
    case Function::kSplit: {
      Collection out;
      for (absl::string_view part : absl::StrSplit(ToAbsl(s), ToAbsl(*args[0]))) {
        out.push_back(Item(std::string(part)));
      }
      return out;
    }
    case Function::kEncode:
    case Function::kDecode:
      return Optional(Encode(s, *args[0], node.function == Function::kDecode));
    case Function::kEscape:
      if (*args[0] == "html") return Collection{Item(HtmlEscape(s))};
      if (*args[0] == "json") return Collection{Item(JsonEscape(s))};
      return Collection{};
    case Function::kUnescape:
      if (*args[0] == "html") return Collection{Item(HtmlUnescape(s))};
      if (*args[0] == "json") return Optional(JsonUnescape(s));
      return Collection{};
    default:
      return FunctionError(node, "not a string function");
  }
}

// toX() and convertsToX() share their conversion.
std::optional<Item> Convert(Function f, const Item& item) {
  auto wrap = [](auto v) -> std::optional<Item> {
    if (!v) return std::nullopt;
    return Item(std::move(*v));
  };
  switch (f) {
    case Function::kToBoolean:
    case Function::kConvertsToBoolean: return wrap(ConvertToBoolean(item));
    case Function::kToInteger:
    case Function::kConvertsToInteger: return wrap(ConvertToInteger(item));
    case Function::kToDecimal:
    case Function::kConvertsToDecimal: return wrap(ConvertToDecimal(item));
    case Function::kToString:
    case Function::kConvertsToString: return wrap(ConvertToString(item));
    case Function::kToDate:
    case Function::kConvertsToDate: return wrap(ConvertToTemporal(item, Temporal::Kind::kDate));
    case Function::kToDateTime:
    case Function::kConvertsToDateTime:
      return wrap(ConvertToTemporal(item, Temporal::Kind::kDateTime));
    case Function::kToTime:
    case Function::kConvertsToTime: return wrap(ConvertToTemporal(item, Temporal::Kind::kTime));
    default: return wrap(ConvertToQuantity(item));
  }
}

Temporal Now(Temporal::Kind kind) {
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  Temporal t = FromEpochMillis(ms, kind == Temporal::Kind::kTime ? Temporal::Kind::kDateTime : kind);
  if (kind == Temporal::Kind::kTime) {
    t.kind = kind;
    t.year = t.month = t.day = 0;
    t.tz_offset_minutes.reset();
  }
  return t;
}

// precision(): decimal places of a decimal, digits of a date/time ("2014" has 4).
std::optional<int64_t> Precision(const Item& item) {
  SystemValue v = ToSystem(item);
  if (const Decimal* d = std::get_if<Decimal>(&v)) return d->scale;
  const Temporal* t = std::get_if<Temporal>(&v);
  if (t == nullptr) return std::nullopt;
  static constexpr int kDateDigits[] = {4, 6, 8, 10, 12, 14, 17};
  static constexpr int kTimeDigits[] = {0, 0, 0, 2, 4, 6, 9};
  int p = static_cast<int>(t->precision);
  return t->kind == Temporal::Kind::kTime ? kTimeDigits[p] : kDateDigits[p];
}

}  // namespace

absl::StatusOr<Collection> Evaluator::Sort(const AstNode& node, Collection input, const Env& env) {
  // Each key is evaluated per item; a key written -expr sorts descending.
  const size_t nkeys = node.children.size() - 1;
  std::vector<std::vector<Collection>> keys(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    Env inner{std::span<const Item>(&input[i], 1), &input[i], static_cast<int64_t>(i), env.total};
    for (size_t k = 0; k < nkeys; ++k) {
      const AstNode* key = node.children[k + 1].get();
      if (key->kind == NodeKind::kUnary && key->name == "-") key = key->children[0].get();
      ASSIGN_OR_RETURN(Collection v, Eval(*key, inner));
      keys[i].push_back(std::move(v));
    }
  }
  std::vector<size_t> order(input.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  absl::Status error;
  auto compare = [&](const Collection& a, const Collection& b) -> int {
    if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
    absl::StatusOr<std::optional<int>> c = CompareItems(a[0], b[0]);
    if (!c.ok()) {
      error = c.status();
      return 0;
    }
    return c->value_or(0);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (nkeys == 0) return compare(Collection{input[x]}, Collection{input[y]}) < 0;
    for (size_t k = 0; k < nkeys; ++k) {
      int c = compare(keys[x][k], keys[y][k]);
      const AstNode& key = *node.children[k + 1];
      // An empty key sorts first in both directions (as the reference engine does).
      const bool empty = keys[x][k].empty() || keys[y][k].empty();
      if (key.kind == NodeKind::kUnary && key.name == "-" && !empty) c = -c;
      if (c != 0) return c < 0;
    }
    return false;
  });
  if (!error.ok()) return FunctionError(node, ToStd(error.message()));
  Collection out;
  for (size_t i : order) out.push_back(input[i]);
  return out;
}

absl::StatusOr<Collection> Evaluator::Arg(const AstNode& node, size_t i, const Env& env) {
  return Eval(*node.children[i + 1], env);
}

absl::StatusOr<Collection> Evaluator::ArgFor(const AstNode& node, size_t i, const Collection& input,
                                             size_t index, const Env& env) {
  Env inner{std::span<const Item>(&input[index], 1), &input[index], static_cast<int64_t>(index),
            env.total};
  return Eval(*node.children[i + 1], inner);
}

absl::StatusOr<Collection> Evaluator::Repeat(const AstNode& node, const Collection& input,
                                             const Env& env) {
  Collection out;
  Collection frontier = input;
  // Bounded: every round adds only items not seen before, and documents are finite.
  while (!frontier.empty()) {
    Collection next;
    for (size_t i = 0; i < frontier.size(); ++i) {
      ASSIGN_OR_RETURN(Collection r, ArgFor(node, 0, frontier, i, env));
      for (Item& x : r) {
        bool seen = false;
        for (const Item& y : out) seen = seen || SameItem(x, y);
        if (!seen) {
          out.push_back(x);
          next.push_back(std::move(x));
        }
      }
    }
    frontier = std::move(next);
  }
  return out;
}

absl::StatusOr<Collection> Evaluator::Resolve(std::span<const Item> input) {
  Collection out;
  for (const Item& item : input) {
    std::string_view ref;
    if (item.is_node() && item.node().value != nullptr) {
      const json::Value& v = *item.node().value;
      if (v.is_string()) {
        ref = v.as_string();
      } else if (const std::string* r = v.FindString("reference")) {
        ref = *r;
      }
    }
    if (ref.empty()) continue;
    if (ref[0] == '#') {
      if (const json::Value* contained = resource_.Find("contained"); contained && contained->is_array()) {
        for (const json::Value& c : contained->as_array()) {
          const std::string* id = c.FindString("id");
          if (id != nullptr && *id == ref.substr(1)) out.push_back(RootItem(c));
        }
      }
      continue;
    }
    if (context_.resolve) {
      if (const json::Value* target = context_.resolve(ref)) {
        out.push_back(RootItem(*target));
        continue;
      }
    }
    // Known by type only: "Patient/1", "http://x/fhir/Patient/1/_history/2".
    size_t history = ref.find("/_history/");
    std::string_view path = ref.substr(0, history);
    size_t slash = path.rfind('/');
    if (slash == std::string_view::npos || slash == 0) continue;
    std::string_view type = path.substr(0, slash);
    if (size_t prev = type.rfind('/'); prev != std::string_view::npos) type = type.substr(prev + 1);
    Node n;
    n.type = type;
    n.type_info = FindTypeCached(type);
    out.push_back(Item(n));
  }
  return out;
}

absl::StatusOr<Collection> Evaluator::Call(const AstNode& node, const Env& env) {
  Collection input;
  if (node.children[0] != nullptr) {
    ASSIGN_OR_RETURN(input, Eval(*node.children[0], env));
  } else if (node.function != Function::kResolve || env.focus.size() != 1) {
    input.assign(env.focus.begin(), env.focus.end());
  } else {
    // where(resolve() is Patient): the common case needs no copy of the focus.
    return Resolve(env.focus);
  }
  const size_t nargs = node.children.size() - 1;
  switch (node.function) {
    case Function::kEmpty:
      return Bool(input.empty());
    case Function::kExists:
    case Function::kWhere:
    case Function::kAll: {
      if (nargs == 0) return Bool(!input.empty());
      Collection kept;
      for (size_t i = 0; i < input.size(); ++i) {
        ASSIGN_OR_RETURN(Collection r, ArgFor(node, 0, input, i, env));
        ASSIGN_OR_RETURN(std::optional<bool> b, AsBoolean(r, node.name));
        if (b == true) kept.push_back(input[i]);
      }
      if (node.function == Function::kWhere) return kept;
      if (node.function == Function::kExists) return Bool(!kept.empty());
      return Bool(kept.size() == input.size());
    }
    case Function::kAllTrue:
    case Function::kAnyTrue:
    case Function::kAllFalse:
    case Function::kAnyFalse: {
      bool want = node.function == Function::kAllTrue || node.function == Function::kAnyTrue;
      bool all = node.function == Function::kAllTrue || node.function == Function::kAllFalse;
      size_t matching = 0;
      for (const Item& i : input) {
        SystemValue v = ToSystem(i);
        const bool* b = std::get_if<bool>(&v);
        if (b == nullptr) return FunctionError(node, "expects booleans");
        if (*b == want) ++matching;
      }
      return Bool(all ? matching == input.size() : matching > 0);
    }
    case Function::kSubsetOf:
    case Function::kSupersetOf: {
      ASSIGN_OR_RETURN(Collection other, Arg(node, 0, env));
      const Collection& small = node.function == Function::kSubsetOf ? input : other;
      const Collection& big = node.function == Function::kSubsetOf ? other : input;
      for (const Item& i : small) {
        if (!Contains(big, i)) return Bool(false);
      }
      return Bool(true);
    }
    case Function::kCount:
      return Collection{Item(static_cast<int64_t>(input.size()))};
    case Function::kDistinct: {
      Collection out;
      AppendDistinct(input, &out);
      return out;
    }
    case Function::kIsDistinct: {
      Collection out;
      AppendDistinct(input, &out);
      return Bool(out.size() == input.size());
    }
    case Function::kSelect: {
      Collection out;
      for (size_t i = 0; i < input.size(); ++i) {
        ASSIGN_OR_RETURN(Collection r, ArgFor(node, 0, input, i, env));
        out.insert(out.end(), r.begin(), r.end());
      }
      return out;
    }
    case Function::kRepeat:
      return Repeat(node, input, env);
    case Function::kOfType: {
      Collection out;
      for (const Item& i : input) {
        if (IsOfType(i, node.children[1]->name, /*exact_primitives=*/true,
                     node.children[1]->type_ref)) {
          out.push_back(i);
        }
      }
      return out;
    }
    case Function::kIs:
    case Function::kAs: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      if (i == nullptr) return Collection{};
      bool is = IsOfType(*i, node.children[1]->name, node.function == Function::kAs,
                         node.children[1]->type_ref);
      if (node.function == Function::kIs) return Bool(is);
      return is ? Collection{*i} : Collection{};
    }
    case Function::kSingle:
      if (input.size() > 1) return FunctionError(node, "more than one item");
      return input;
    case Function::kFirst:
      return input.empty() ? Collection{} : Collection{input.front()};
    case Function::kLast:
      return input.empty() ? Collection{} : Collection{input.back()};
    case Function::kTail:
      return input.empty() ? Collection{} : Collection(input.begin() + 1, input.end());
    case Function::kSkip:
    case Function::kTake: {
      ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
      ASSIGN_OR_RETURN(std::optional<int64_t> n, SingleInteger(node, a));
      if (!n) return Collection{};
      size_t k = static_cast<size_t>(std::clamp<int64_t>(*n, 0, static_cast<int64_t>(input.size())));
      if (node.function == Function::kSkip) return Collection(input.begin() + k, input.end());
      return Collection(input.begin(), input.begin() + k);
    }
    case Function::kIntersect:
    case Function::kExclude: {
      ASSIGN_OR_RETURN(Collection other, Arg(node, 0, env));
      Collection out;
      for (const Item& i : input) {
        bool in = Contains(other, i);
        if (node.function == Function::kExclude) {
          if (!in) out.push_back(i);
        } else if (in && !Contains(out, i)) {
          out.push_back(i);
        }
      }
      return out;
    }
    case Function::kUnion:
    case Function::kCombine: {
      ASSIGN_OR_RETURN(Collection other, Arg(node, 0, env));
      if (node.function == Function::kCombine) {
        input.insert(input.end(), other.begin(), other.end());
        return input;
      }
      Collection out;
      AppendDistinct(input, &out);
      AppendDistinct(other, &out);
      return out;
    }
    case Function::kIif: {
      if (input.size() > 1) return FunctionError(node, "expects at most one input item");
      auto arg = [&](size_t i) -> absl::StatusOr<Collection> {
        if (node.children[0] == nullptr || input.empty()) return Arg(node, i, env);
        return ArgFor(node, i, input, 0, env);
      };
      ASSIGN_OR_RETURN(Collection c, arg(0));
      if (c.size() == 1 && !std::holds_alternative<bool>(ToSystem(c[0]))) {
        return FunctionError(node, "criterion is not a boolean");
      }
      ASSIGN_OR_RETURN(std::optional<bool> b, AsBoolean(c, "iif()"));
      if (b == true) return arg(1);
      if (nargs > 2) return arg(2);
      return Collection{};
    }
    case Function::kNot: {
      ASSIGN_OR_RETURN(std::optional<bool> b, AsBoolean(input, "not()"));
      if (!b) return Collection{};
      return Bool(!*b);
    }
    case Function::kToBoolean:
    case Function::kConvertsToBoolean:
    case Function::kToInteger:
    case Function::kConvertsToInteger:
    case Function::kToDecimal:
    case Function::kConvertsToDecimal:
    case Function::kToString:
    case Function::kConvertsToString:
    case Function::kToDate:
    case Function::kConvertsToDate:
    case Function::kToDateTime:
    case Function::kConvertsToDateTime:
    case Function::kToTime:
    case Function::kConvertsToTime:
    case Function::kToQuantity:
    case Function::kConvertsToQuantity: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      if (i == nullptr) return Collection{};
      std::optional<Item> r = Convert(node.function, *i);
      // Function ids alternate toX, convertsToX in ast.h.
      bool converts = (static_cast<int>(node.function) - static_cast<int>(Function::kToBoolean)) % 2;
      if (converts) return Bool(r.has_value());
      return r ? Collection{*r} : Collection{};
    }
    case Function::kIndexOf:
    case Function::kSubstring:
    case Function::kStartsWith:
    case Function::kEndsWith:
    case Function::kContains:
    case Function::kUpper:
    case Function::kLower:
    case Function::kReplace:
    case Function::kMatches:
    case Function::kMatchesFull:
    case Function::kReplaceMatches:
    case Function::kLength:
    case Function::kToChars:
    case Function::kTrim:
    case Function::kSplit:
    case Function::kEncode:
    case Function::kDecode:
    case Function::kEscape:
    case Function::kUnescape: {
      ASSIGN_OR_RETURN(std::optional<std::string> s, SingleString(node, input));
      if (!s) return Collection{};
      if (node.function == Function::kSubstring) {
        ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
        ASSIGN_OR_RETURN(std::optional<int64_t> start, SingleInteger(node, a));
        std::optional<int64_t> length;
        if (nargs > 1) {
          ASSIGN_OR_RETURN(Collection b, Arg(node, 1, env));
          ASSIGN_OR_RETURN(length, SingleInteger(node, b));
        }
        std::vector<std::string> chars = Utf8Chars(*s);
        if (!start || *start < 0 || *start >= static_cast<int64_t>(chars.size())) return Collection{};
        int64_t end = static_cast<int64_t>(chars.size());
        if (length) end = std::min(end, *start + std::max<int64_t>(*length, 0));
        std::string out;
        for (int64_t k = *start; k < end; ++k) out += chars[k];
        return Collection{Item(std::move(out))};
      }
      std::vector<std::optional<std::string>> args;
      for (size_t k = 0; k < nargs; ++k) {
        ASSIGN_OR_RETURN(Collection a, Arg(node, k, env));
        ASSIGN_OR_RETURN(std::optional<std::string> v, SingleString(node, a));
        args.push_back(std::move(v));
      }
      if (node.function == Function::kMatches || node.function == Function::kMatchesFull ||
          node.function == Function::kReplaceMatches) {
        for (const auto& a : args) {
          if (!a) return Collection{};
        }
        ASSIGN_OR_RETURN(std::shared_ptr<const std::regex> re, RegexFor(node, *args[0]));
        if (node.function == Function::kMatches) return Bool(std::regex_search(*s, *re));
        if (node.function == Function::kMatchesFull) return Bool(std::regex_match(*s, *re));
        if (args[0]->empty()) return Collection{Item(std::move(*s))};
        return Collection{Item(std::regex_replace(*s, *re, *args[1]))};
      }
      return StringFunction(node, *s, args);
    }
    case Function::kJoin: {
      std::string sep;
      if (nargs > 0) {
        ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
        ASSIGN_OR_RETURN(std::optional<std::string> v, SingleString(node, a));
        sep = v.value_or("");
      }
      std::vector<std::string> parts;
      for (const Item& i : input) {
        std::optional<std::string> s = ConvertToString(i);
        if (!s) return FunctionError(node, "expects strings");
        parts.push_back(std::move(*s));
      }
      return Collection{Item(absl::StrJoin(parts, sep))};
    }
    case Function::kAbs:
    case Function::kCeiling:
    case Function::kExp:
    case Function::kFloor:
    case Function::kLn:
    case Function::kLog:
    case Function::kPower:
    case Function::kRound:
    case Function::kSqrt:
    case Function::kTruncate: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      std::optional<Item> arg;
      if (nargs > 0) {
        ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
        ASSIGN_OR_RETURN(const Item* ai, SingleInput(node, a));
        if (ai == nullptr) return Collection{};
        arg = *ai;
      }
      return MathFunction(node, i, std::move(arg));
    }
    case Function::kChildren:
    case Function::kDescendants: {
      Collection out;
      for (const Item& i : input) AllChildren(i, &out);
      if (node.function == Function::kChildren) return out;
      // Descendants: children, their children, ... (the tree is finite and acyclic).
      for (size_t k = 0; k < out.size(); ++k) AllChildren(Item(out[k]), &out);
      return out;
    }
    case Function::kTrace:
      return input;
    case Function::kNow:
      return Collection{Item(Now(Temporal::Kind::kDateTime))};
    case Function::kToday:
      return Collection{Item(Now(Temporal::Kind::kDate))};
    case Function::kTimeOfDay:
      return Collection{Item(Now(Temporal::Kind::kTime))};
    case Function::kAggregate: {
      Collection total;
      if (nargs > 1) {
        ASSIGN_OR_RETURN(total, Arg(node, 1, env));
      }
      for (size_t i = 0; i < input.size(); ++i) {
        Env inner{std::span<const Item>(&input[i], 1), &input[i], static_cast<int64_t>(i), &total};
        ASSIGN_OR_RETURN(Collection next, Eval(*node.children[1], inner));
        total = std::move(next);
      }
      return total;
    }
    case Function::kExtension: {
      ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
      ASSIGN_OR_RETURN(std::optional<std::string> url, SingleString(node, a));
      if (!url) return Collection{};
      Collection extensions, out;
      for (const Item& i : input) Children(i, "extension", &extensions);
      for (const Item& e : extensions) {
        const json::Value* v = e.node().value;
        const std::string* u = v != nullptr ? v->FindString("url") : nullptr;
        if (u != nullptr && *u == *url) out.push_back(e);
      }
      return out;
    }
    case Function::kHasValue:
      return Bool(input.size() == 1 && input[0].is_node() && input[0].node().value != nullptr &&
                  !input[0].node().value->is_object());
    case Function::kResolve:
      return Resolve(input);
    case Function::kPrecision: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      if (i == nullptr) return Collection{};
      std::optional<int64_t> p = Precision(*i);
      if (!p) return FunctionError(node, "expects a decimal, date, dateTime or time");
      return Collection{Item(*p)};
    }
    case Function::kSort:
      return Sort(node, std::move(input), env);
    case Function::kLowBoundary:
    case Function::kHighBoundary: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      if (i == nullptr) return Collection{};
      std::optional<int64_t> precision;
      if (nargs > 0) {
        ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
        ASSIGN_OR_RETURN(precision, SingleInteger(node, a));
        if (!precision) return Collection{};
      }
      return Optional(Boundary(*i, precision, node.function == Function::kHighBoundary));
    }
    case Function::kComparable: {
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
      ASSIGN_OR_RETURN(const Item* other, SingleInput(node, a));
      if (i == nullptr || other == nullptr) return Collection{};
      std::optional<Quantity> x = ConvertToQuantity(*i), y = ConvertToQuantity(*other);
      if (!x || !y) return FunctionError(node, "expects quantities");
      return Bool(Comparable(*x, *y));
    }
    case Function::kType: {
      Collection out;
      for (const Item& i : input) {
        if (!i.is_node()) {
          out.push_back(TypeItem("System", i.TypeName()));
        } else if (!i.node().type.empty()) {
          out.push_back(TypeItem("FHIR", i.node().type));
        }
      }
      return out;
    }
    case Function::kConformsTo: {
      ASSIGN_OR_RETURN(Collection a, Arg(node, 0, env));
      ASSIGN_OR_RETURN(std::optional<std::string> url, SingleString(node, a));
      if (!url) return Collection{};
      // Only the core definitions are known: a type's own StructureDefinition.
      constexpr std::string_view kCore = "http://hl7.org/fhir/StructureDefinition/";
      std::string_view name = *url;
      const fhir::TypeInfo* type =
          name.substr(0, kCore.size()) == kCore ? FindTypeCached(name.substr(kCore.size())) : nullptr;
      if (type == nullptr) return FunctionError(node, "unknown profile " + *url);
      ASSIGN_OR_RETURN(const Item* i, SingleInput(node, input));
      if (i == nullptr) return Collection{};
      return Bool(IsOfType(*i, type->name(), false, type));
    }
    case Function::kMemberOf:
    case Function::kHtmlChecks:
    case Function::kGetValue:
      break;
  }
  return MakeError(ErrorKind::kNotSupported,
                   absl::StrCat("FHIRPath function ", node.name, "() is not supported"));
}

}  // namespace rhip::fhirpath::internal
