#include "fhir/search/query_compiler.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/search/date_range.h"

namespace rhip::fhir::search {
namespace {

// Sorts after every UTF-8 string: the upper bound of a prefix range, and the sort key of a
// resource without a value.
constexpr std::string_view kMaxUtf8 = "\xf4\x8f\xbf\xbf";

absl::Status Invalid(std::string_view message) { return MakeError(ErrorKind::kInvalid, message); }

struct Prefixed {
  std::string_view prefix = "eq";
  std::string_view value;
};

Prefixed SplitPrefix(std::string_view v) {
  static constexpr std::string_view kPrefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};
  if (v.size() > 2) {
    for (std::string_view p : kPrefixes) {
      if (v.starts_with(p)) return {p, v.substr(2)};
    }
  }
  return {"eq", v};
}

const char* TableOf(ParamType t) {
  switch (t) {
    case ParamType::kString: return "sp_string";
    case ParamType::kToken: return "sp_token";
    case ParamType::kDate: return "sp_date";
    case ParamType::kNumber:
    case ParamType::kQuantity: return "sp_number";
    case ParamType::kReference: return "sp_reference";
    case ParamType::kUri: return "sp_uri";
    case ParamType::kComposite: return "sp_composite";
    case ParamType::kSpecial: break;
  }
  return "";
}

std::string LikeEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// A decimal search value and the half-width of its implicit precision range ("100" is
// 99.5..100.5, "100.0" is 99.95..100.05).
struct DecimalValue {
  double value;
  double half;
};

std::optional<DecimalValue> ParseDecimal(std::string_view t) {
  double d = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(d)) return std::nullopt;
  int decimals = 0;
  if (size_t dot = t.find('.'); dot != std::string_view::npos) {
    size_t e = t.find_first_of("eE", dot);
    decimals = static_cast<int>((e == std::string_view::npos ? t.size() : e) - dot - 1);
  }
  if (t.find_first_of("eE") != std::string_view::npos) return DecimalValue{d, std::abs(d) * 1e-9};
  return DecimalValue{d, 0.5 * std::pow(10.0, -decimals)};
}

class Builder {
 public:
  // Parameter names are prefix + a number: "q" for the WHERE clause, "qs" for sort keys.
  Builder(const TextFolding& folding, Micros now, BoundParams* params, std::string_view prefix,
          const ValueSetLookup* value_sets = nullptr)
      : folding_(folding), now_(now), params_(params), prefix_(prefix), value_sets_(value_sets) {}

  std::string Bind(db::Value v) {
    std::string name = StrCat(prefix_, params_->size());
    params_->emplace_back(name, std::move(v));
    return StrCat(":", name);
  }

  // A predicate over alias a (a row of resource) for one criterion.
  // correlated: test the criterion per row of `a` through the (rk, p) index (EXISTS) instead
  // of building the list of every matching rk (IN); see CompileSearch for when.
  absl::StatusOr<std::string> Criterion(const search::Criterion& c, std::string_view a, int depth,
                                        bool correlated = false) {
    switch (c.kind) {
      case Criterion::Kind::kChain: {
        std::string b = StrCat("c", depth);
        std::vector<std::string> alts;
        for (size_t i = 0; i < c.other_types.size(); ++i) {
          ASSIGN_OR_RETURN(std::string inner, Criterion(c.next[i], b, depth + 1));
          alts.push_back(StrCat(b, ".type = ", Bind(c.other_types[i]), " AND ", inner));
        }
        return StrCat(a, ".rk IN (SELECT x.rk FROM sp_reference x WHERE x.p = ", Bind(c.param->key),
                      " AND x.ref IN (SELECT ", b, ".type || '/' || ", b, ".id FROM resource ", b,
                      " WHERE ", b, ".deleted = 0 AND (", Join(alts, " OR "), ")))");
      }
      case Criterion::Kind::kHas: {
        std::string b = StrCat("h", depth);
        ASSIGN_OR_RETURN(std::string inner, Criterion(c.next[0], b, depth + 1));
        std::string referring = StrCat("SELECT ", b, ".rk FROM resource ", b, " WHERE ", b, ".type = ",
                                       Bind(c.other_types[0]), " AND ", b, ".deleted = 0 AND ", inner);
        if (!c.owner_type.empty()) {
          // The ids referred to, cut from "Type/id" references: (type, id) is an index.
          std::string prefix = StrCat(c.owner_type, "/");
          return StrCat(a, ".id IN (SELECT substr(x.ref, ", prefix.size() + 1,
                        ") FROM sp_reference x WHERE x.p = ", Bind(c.param->key), " AND x.ref >= ",
                        Bind(prefix), " AND x.ref < ", Bind(StrCat(c.owner_type, "0")),
                        " AND x.rk IN (", referring, "))");
        }
        return StrCat("(", a, ".type || '/' || ", a, ".id) IN (SELECT x.ref FROM sp_reference x WHERE x.p = ",
                      Bind(c.param->key), " AND x.rk IN (", referring, "))");
      }
      case Criterion::Kind::kValue: break;
    }
    const SearchParam& p = *c.param;
    if (p.code == "_id") return IdPredicate(c, a);
    if (p.code == "_lastUpdated") return LastUpdatedPredicate(c, a);
    if (c.modifier == "missing") {
      return Compose(a, IndexMatch{TableOf(p.type), KeyEquals(p.key), c.values[0] == "true"}, correlated);
    }
    ASSIGN_OR_RETURN(IndexMatch m, Match(c));
    return Compose(a, m, correlated);
  }

  // How much of the index table's primary key before rk a condition fixes to one value. When
  // all of it is fixed (a token's code and system, a reference, a uri), the key's uniqueness
  // leaves each resource at most one matching row, so a count needs no DISTINCT.
  enum class Pinned { kNone, kAllButSystem, kAll };

  // Rows of one index table that a value criterion matches: `condition` over alias x; a
  // resource matches when it has such a row (or, with negate, when it has none).
  struct IndexMatch {
    std::string_view table;
    std::string condition;
    bool negate = false;
    Pinned pinned = Pinned::kNone;
  };

  // The condition on x.p selecting the rows of an index key: by default x.p = key; searches
  // of contained resources select the key's contained key space (search_parameters.h).
  using KeyCondition = std::function<std::string(int64_t key)>;

  std::string KeyEquals(int64_t key) { return StrCat("x.p = ", Bind(key)); }

  // The index rows a plain value criterion (not _id, _lastUpdated or :missing) matches.
  absl::StatusOr<IndexMatch> Match(const search::Criterion& c, const KeyCondition& key_condition = {}) {
    const SearchParam& p = *c.param;
    // Derived key spaces: :text rows of tokens, :of-type rows of identifiers, :identifier
    // rows of references.
    int64_t key_value = p.key;
    if (c.modifier == "text" || c.modifier == "of-type" || c.modifier == "identifier") {
      key_value = DerivedKey(p, c.modifier);
    }
    std::string key = key_condition ? key_condition(key_value) : KeyEquals(key_value);
    std::vector<std::string> alts;
    bool negate = false;
    std::string_view value_table = TableOf(p.type);
    Pinned pinned = Pinned::kNone;  // of the last value's alternative
    for (const std::string& raw : c.values) {
      std::string alt;
      pinned = Pinned::kNone;
      switch (p.type) {
        case ParamType::kString: {
          ASSIGN_OR_RETURN(alt, StringAlt(c.modifier, raw));
          break;
        }
        case ParamType::kToken: {
          if (c.modifier == "text") {
            value_table = "sp_string";
            ASSIGN_OR_RETURN(alt, StringAlt("", raw));
          } else if (c.modifier == "of-type") {
            ASSIGN_OR_RETURN(alt, OfTypeAlt(raw));
            pinned = Pinned::kAll;
          } else if (c.modifier == "in" || c.modifier == "not-in") {
            negate = c.modifier == "not-in";
            ASSIGN_OR_RETURN(alt, InAlt(raw));
          } else {
            negate = c.modifier == "not";
            ASSIGN_OR_RETURN(alt, TokenAlt(raw, &pinned));
          }
          break;
        }
        case ParamType::kReference: {
          if (c.modifier == "identifier") {
            value_table = "sp_token";
            ASSIGN_OR_RETURN(alt, TokenAlt(raw, &pinned));
          } else {
            ASSIGN_OR_RETURN(alt, ReferenceAlt(p, c.modifier, raw, &pinned));
          }
          break;
        }
        case ParamType::kUri: {
          ASSIGN_OR_RETURN(alt, UriAlt(c.modifier, raw, &pinned));
          break;
        }
        case ParamType::kDate: {
          ASSIGN_OR_RETURN(alt, DateAlt(raw, "x.lo", "x.hi"));
          break;
        }
        case ParamType::kNumber: {
          ASSIGN_OR_RETURN(alt, NumberAlt(raw, "x.value"));
          break;
        }
        case ParamType::kQuantity: {
          ASSIGN_OR_RETURN(alt, QuantityAlt(raw));
          break;
        }
        case ParamType::kComposite: {
          ASSIGN_OR_RETURN(alt, CompositeAlt(p, raw));
          break;
        }
        case ParamType::kSpecial: return Invalid(StrCat("'", p.code, "' is not supported"));
      }
      alts.push_back(std::move(alt));
    }
    // Several values' rows can belong to one resource.
    if (c.values.size() != 1) pinned = Pinned::kNone;
    return IndexMatch{value_table, StrCat(key, " AND (", Join(alts, " OR "), ")"), negate, pinned};
  }

  // The number of resources with a row matching m. Counting rows is enough when the key
  // leaves one row per resource; when only the system is free (a code without a system), it
  // is enough if the matching rows have one system, which MIN = MAX reads from the key's
  // ends. Both engines evaluate a CASE branch's subquery only when it is taken.
  static std::string CountStatement(const IndexMatch& m) {
    std::string from = StrCat(" FROM ", m.table, " x WHERE ", m.condition);
    switch (m.pinned) {
      case Pinned::kAll: return StrCat("SELECT COUNT(*)", from);
      case Pinned::kAllButSystem:
        return StrCat("SELECT CASE WHEN (SELECT MIN(x.system)", from, ") = (SELECT MAX(x.system)", from,
                      ") THEN (SELECT COUNT(*)", from, ") ELSE (SELECT COUNT(DISTINCT x.rk)", from, ") END");
      case Pinned::kNone: break;
    }
    return StrCat("SELECT COUNT(DISTINCT x.rk)", from);
  }

  // The predicate over alias a: the list of matching rks (IN), or per row of a through the
  // (rk, p) index (EXISTS) when correlated.
  static std::string Compose(std::string_view a, const IndexMatch& m, bool correlated) {
    if (correlated) {
      return StrCat(m.negate ? "NOT EXISTS" : "EXISTS", " (SELECT 1 FROM ", m.table, " x WHERE x.rk = ",
                    a, ".rk AND ", m.condition, ")");
    }
    return StrCat(a, ".rk ", m.negate ? "NOT IN" : "IN", " (SELECT x.rk FROM ", m.table, " x WHERE ",
                  m.condition, ")");
  }

  // (rk, pos) of each contained resource of `type` that meets every criterion: its container's
  // rk and its position in the container's `contained` array. Driven by the index rows of the
  // first positive criterion, each checked on the marker row's position.
  absl::StatusOr<std::string> ContainedPairs(std::string_view type,
                                             const std::vector<search::Criterion>& criteria) {
    std::string marker = Bind(ContainedMarkerKey(0));
    std::string pos = StrCat("(t.p - ", marker, ")");
    std::vector<std::string> where = {StrCat("t.p IN (", EveryPosition(ContainedMarkerKey(0)), ")"),
                                      StrCat("t.system = ", Bind(std::string(type)))};
    bool driven = false;
    for (const search::Criterion& c : criteria) {
      const SearchParam& p = *c.param;
      if (p.code == "_id") {  // the contained resource's id, on its marker row
        if (c.modifier == "missing") {
          where.push_back(c.values[0] == "true" ? "t.code = ''" : "t.code <> ''");
          continue;
        }
        std::vector<std::string> ids;
        for (const std::string& v : c.values) ids.push_back(Bind(UnescapeValue(v)));
        where.push_back(StrCat("t.code IN (", Join(ids, ", "), ")"));
        continue;
      }
      auto at_position = [&](int64_t key) {
        return StrCat("x.p = ", Bind(ContainedKey(key, 0)), " + ", pos);
      };
      IndexMatch m{TableOf(p.type), "", false};
      if (c.modifier == "missing") {
        m = IndexMatch{TableOf(p.type), at_position(p.key), c.values[0] == "true"};
      } else {
        ASSIGN_OR_RETURN(m, Match(c, at_position));
      }
      where.push_back(StrCat(m.negate ? "NOT EXISTS" : "EXISTS", " (SELECT 1 FROM ", m.table,
                             " x WHERE x.rk = t.rk AND ", m.condition, ")"));
      if (!driven && !m.negate) {
        driven = true;
        auto any_position = [&](int64_t key) {
          return StrCat("x.p IN (", EveryPosition(ContainedKey(key, 0)), ")");
        };
        IndexMatch d{TableOf(p.type), "", false};
        if (c.modifier == "missing") {
          d.condition = any_position(p.key);
        } else {
          ASSIGN_OR_RETURN(d, Match(c, any_position));
        }
        where.push_back(StrCat("t.rk IN (SELECT x.rk FROM ", d.table, " x WHERE ", d.condition, ")"));
      }
    }
    return StrCat("SELECT t.rk AS rk, ", pos, " AS pos FROM sp_token t WHERE ", Join(where, " AND "));
  }

  // The keys of every contained position from the one at position 0, as an IN list: both
  // engines seek each (p, value) rather than scan the key range of all positions.
  std::string EveryPosition(int64_t first) {
    std::vector<std::string> keys;
    for (int i = 0; i < kMaxContainedIndexed; ++i) keys.push_back(Bind(first + i));
    return Join(keys, ", ");
  }

  // The sort expression of a key over alias r, never NULL (missing values sort last).
  std::string SortExpr(const SortKey& k) {
    if (k.code == "_id") return "r.id";
    if (k.code == "_lastUpdated") return "r.last_updated";
    const SearchParam& p = *k.param;
    std::string agg = k.descending ? "MAX" : "MIN";
    std::string column;
    std::string missing;
    switch (p.type) {
      case ParamType::kString: column = "exact"; break;  // not norm: it also holds pinyin keys
      case ParamType::kToken: column = "code"; break;
      case ParamType::kReference: column = "ref"; break;
      case ParamType::kUri: column = "value"; break;
      case ParamType::kDate: column = k.descending ? "hi" : "lo"; break;
      case ParamType::kNumber:
      case ParamType::kQuantity: column = "value"; break;
      default: column = "rk"; break;
    }
    if (p.type == ParamType::kDate) {
      missing = Bind(k.descending ? kMinMicros - 1 : kMaxMicros + 1);
    } else if (p.type == ParamType::kNumber || p.type == ParamType::kQuantity) {
      missing = Bind(k.descending ? -1e300 : 1e300);
    } else {
      missing = Bind(std::string(k.descending ? "" : kMaxUtf8));
    }
    return StrCat("COALESCE((SELECT ", agg, "(s.", column, ") FROM ", TableOf(p.type),
                  " s WHERE s.rk = r.rk AND s.p = ", Bind(p.key), "), ", missing, ")");
  }

 private:
  static std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) StrAppend(&out, i ? sep : "", parts[i]);
    return out;
  }

  absl::StatusOr<std::string> IdPredicate(const search::Criterion& c, std::string_view a) {
    if (c.modifier == "missing") return std::string(c.values[0] == "true" ? "1 = 0" : "1 = 1");
    std::vector<std::string> ids;
    for (const std::string& v : c.values) ids.push_back(Bind(UnescapeValue(v)));
    return StrCat(a, ".id IN (", Join(ids, ", "), ")");
  }

  absl::StatusOr<std::string> LastUpdatedPredicate(const search::Criterion& c, std::string_view a) {
    if (c.modifier == "missing") return std::string(c.values[0] == "true" ? "1 = 0" : "1 = 1");
    std::vector<std::string> alts;
    std::string col = StrCat(a, ".last_updated");
    for (const std::string& v : c.values) {
      ASSIGN_OR_RETURN(std::string alt, DateAlt(v, col, col));
      alts.push_back(std::move(alt));
    }
    return StrCat("(", Join(alts, " OR "), ")");
  }

  absl::StatusOr<std::string> StringAlt(std::string_view modifier, std::string_view raw) {
    std::string value = UnescapeValue(raw);
    if (modifier == "exact") return StrCat("x.exact = ", Bind(value));
    std::string folded = folding_.Fold(value);
    if (folded.empty()) return Invalid("empty string search value");
    if (modifier == "contains") {
      return StrCat("x.norm LIKE ", Bind(StrCat("%", LikeEscape(folded), "%")), " ESCAPE '\\'");
    }
    return StrCat("x.norm >= ", Bind(folded), " AND x.norm < ", Bind(StrCat(folded, kMaxUtf8)));
  }

  // code_col / system_col: the columns holding the token (c2 / s2 in composite rows).
  // pinned (may be null): set to how much of sp_token's key the alternative fixes.
  absl::StatusOr<std::string> TokenAlt(std::string_view raw, Pinned* pinned = nullptr,
                                       std::string_view code_col = "x.code",
                                       std::string_view system_col = "x.system") {
    Pinned ignored;
    Pinned& pin = pinned != nullptr ? *pinned : ignored;
    pin = Pinned::kNone;
    std::vector<std::string_view> parts = SplitUnescaped(raw, '|');
    if (parts.size() == 1) {
      pin = Pinned::kAllButSystem;
      return StrCat(code_col, " = ", Bind(UnescapeValue(parts[0])));
    }
    if (parts.size() != 2) return Invalid(StrCat("token value '", raw, "' has more than one '|'"));
    std::string system = UnescapeValue(parts[0]);
    std::string code = UnescapeValue(parts[1]);
    if (code.empty()) {
      if (system.empty()) return Invalid("token value '|' names neither system nor code");
      return StrCat(system_col, " = ", Bind(system));
    }
    pin = Pinned::kAll;
    return StrCat("(", code_col, " = ", Bind(code), " AND ", system_col, " = ", Bind(system), ")");
  }

  // Membership in a value set: per system, code IN (...); codes stored without a system (code
  // elements, whose system the binding implies) match any member code.
  absl::StatusOr<std::string> InAlt(std::string_view raw) {
    static constexpr size_t kMaxMembers = 20000;
    std::string url = UnescapeValue(raw);
    if (value_sets_ == nullptr || !*value_sets_) {
      return Invalid(":in / :not-in need value sets, which this search cannot reach");
    }
    auto members = (*value_sets_)(url);
    if (!members.ok()) return Invalid(StrCat("value set '", url, "': ", ToStd(members.status().message())));
    if (members->empty()) return std::string("1 = 0");
    if (members->size() > kMaxMembers) {
      return Invalid(StrCat("value set '", url, "' has ", members->size(), " codes; at most ",
                            kMaxMembers, " can be searched with :in"));
    }
    std::map<std::string, std::vector<std::string>> by_system;
    for (auto& [system, code] : *members) by_system[system].push_back(code);
    std::vector<std::string> alts;
    std::vector<std::string> all_codes;
    for (const auto& [system, codes] : by_system) {
      std::vector<std::string> bound;
      for (const std::string& code : codes) {
        bound.push_back(Bind(code));
        all_codes.push_back(code);
      }
      alts.push_back(StrCat("(x.system = ", Bind(system), " AND x.code IN (", Join(bound, ", "), "))"));
    }
    std::vector<std::string> bound;
    for (const std::string& code : all_codes) bound.push_back(Bind(code));
    alts.push_back(StrCat("(x.system = '' AND x.code IN (", Join(bound, ", "), "))"));
    return StrCat("(", Join(alts, " OR "), ")");
  }

  absl::StatusOr<std::string> OfTypeAlt(std::string_view raw) {
    std::vector<std::string_view> parts = SplitUnescaped(raw, '|');
    if (parts.size() != 3 || parts[1].empty() || parts[2].empty()) {
      return Invalid(StrCat(":of-type needs system|code|value, not '", raw, "'"));
    }
    return StrCat("(x.code = ", Bind(UnescapeValue(parts[2])), " AND x.system = ",
                  Bind(StrCat(UnescapeValue(parts[0]), "|", UnescapeValue(parts[1]))), ")");
  }

  absl::StatusOr<std::string> ReferenceAlt(const SearchParam& p, std::string_view modifier,
                                           std::string_view raw, Pinned* pinned) {
    *pinned = Pinned::kNone;
    std::string value = UnescapeValue(raw);
    if (size_t h = value.find("/_history/"); h != std::string::npos) value.resize(h);
    if (!modifier.empty()) {  // :Type with a plain id
      if (value.find('/') != std::string::npos) {
        return Invalid(StrCat("with ':", modifier, "' give the id only, not '", value, "'"));
      }
      *pinned = Pinned::kAll;
      return StrCat("x.ref = ", Bind(StrCat(modifier, "/", value)));
    }
    if (value.find('/') != std::string::npos || value.find(':') != std::string::npos) {
      *pinned = Pinned::kAll;
      return StrCat("x.ref = ", Bind(value));
    }
    // A bare id: any of the parameter's target types.
    std::vector<std::string> refs;
    if (p.targets.empty()) {
      return StrCat("x.ref LIKE ", Bind(StrCat("%/", LikeEscape(value))), " ESCAPE '\\'");
    }
    for (const std::string& t : p.targets) refs.push_back(Bind(StrCat(t, "/", value)));
    return StrCat("x.ref IN (", Join(refs, ", "), ")");
  }

  absl::StatusOr<std::string> UriAlt(std::string_view modifier, std::string_view raw, Pinned* pinned) {
    *pinned = Pinned::kNone;
    std::string value = UnescapeValue(raw);
    if (modifier == "below") {
      return StrCat("x.value LIKE ", Bind(StrCat(LikeEscape(value), "%")), " ESCAPE '\\'");
    }
    if (modifier == "above") {
      std::vector<std::string> prefixes;
      for (size_t i = value.size(); i > 0; --i) {
        if (i == value.size() || value[i] == '/') prefixes.push_back(Bind(value.substr(0, i)));
      }
      return StrCat("x.value IN (", Join(prefixes, ", "), ")");
    }
    *pinned = Pinned::kAll;
    return StrCat("x.value = ", Bind(value));
  }

  absl::StatusOr<std::string> DateAlt(std::string_view raw, std::string_view lo_col,
                                      std::string_view hi_col) {
    const std::string unescaped = UnescapeValue(raw);
    Prefixed pv = SplitPrefix(unescaped);  // views into unescaped
    std::string text(pv.value);
    auto range = ParseDateRange(text);
    if (!range) return Invalid(StrCat("'", raw, "' is not a date search value (e.g. ge2024-01-31)"));
    std::string lo = std::string(lo_col), hi = std::string(hi_col);
    auto slo = [&] { return Bind(range->lo); };
    auto shi = [&] { return Bind(range->hi); };
    std::string_view p = pv.prefix;
    if (p == "eq") return StrCat("(", lo, " >= ", slo(), " AND ", hi, " <= ", shi(), ")");
    if (p == "ne") return StrCat("(", lo, " < ", slo(), " OR ", hi, " > ", shi(), ")");
    if (p == "gt") return StrCat(hi, " > ", shi());
    if (p == "lt") return StrCat(lo, " < ", slo());
    // ge and le add a bound every match meets (hi >= lo of the value; lo <= its hi), so the
    // engine can read a key range of hi (sp_date_hi) or lo instead of the parameter's rows.
    if (p == "ge") {
      std::string l = slo(), h = shi();
      return StrCat("(", hi, " >= ", l, " AND (", hi, " > ", h, " OR (", lo, " >= ", l, " AND ", hi, " <= ", h,
                    ")))");
    }
    if (p == "le") {
      std::string l = slo(), h = shi();
      return StrCat("(", lo, " <= ", h, " AND (", lo, " < ", l, " OR (", lo, " >= ", l, " AND ", hi, " <= ", h,
                    ")))");
    }
    if (p == "sa") return StrCat(lo, " > ", shi());
    if (p == "eb") return StrCat(hi, " < ", slo());
    // ap: within 10% of the distance from now, at least a day either side.
    Micros gap = std::max<Micros>(std::abs(now_ - range->lo) / 10, 86400LL * 1000000);
    return StrCat("(", lo, " <= ", Bind(range->hi + gap), " AND ", hi, " >= ", Bind(range->lo - gap), ")");
  }

  absl::StatusOr<std::string> NumberAlt(std::string_view raw, std::string_view col) {
    const std::string unescaped = UnescapeValue(raw);
    Prefixed pv = SplitPrefix(unescaped);  // views into unescaped
    auto d = ParseDecimal(pv.value);
    if (!d) return Invalid(StrCat("'", raw, "' is not a number search value (e.g. gt5.4)"));
    std::string c(col);
    std::string_view p = pv.prefix;
    if (p == "eq") return StrCat("(", c, " >= ", Bind(d->value - d->half), " AND ", c, " < ", Bind(d->value + d->half), ")");
    if (p == "ne") return StrCat("(", c, " < ", Bind(d->value - d->half), " OR ", c, " >= ", Bind(d->value + d->half), ")");
    if (p == "gt" || p == "sa") return StrCat(c, " > ", Bind(d->value));
    if (p == "lt" || p == "eb") return StrCat(c, " < ", Bind(d->value));
    if (p == "ge") return StrCat(c, " >= ", Bind(d->value));
    if (p == "le") return StrCat(c, " <= ", Bind(d->value));
    double gap = std::abs(d->value) * 0.1;  // ap: within 10%
    return StrCat("(", c, " >= ", Bind(d->value - gap), " AND ", c, " <= ", Bind(d->value + gap), ")");
  }

  // [prefix]number[|system|code] or number||code, over the given columns (lo / c2 / s2 in
  // composite rows).
  absl::StatusOr<std::string> QuantityAlt(std::string_view raw, std::string_view value_col = "x.value",
                                          std::string_view code_col = "x.code",
                                          std::string_view system_col = "x.system") {
    std::vector<std::string_view> parts = SplitUnescaped(raw, '|');
    if (parts.size() != 1 && parts.size() != 3) {
      return Invalid(StrCat("'", raw, "' is not a quantity search value (number|system|code)"));
    }
    ASSIGN_OR_RETURN(std::string alt, NumberAlt(parts[0], value_col));
    if (parts.size() == 3) {
      std::string code = UnescapeValue(parts[2]);
      std::string system = UnescapeValue(parts[1]);
      if (!code.empty()) StrAppend(&alt, " AND ", code_col, " = ", Bind(code));
      if (!system.empty()) StrAppend(&alt, " AND ", system_col, " = ", Bind(system));
    }
    return StrCat("(", alt, ")");
  }

  absl::StatusOr<std::string> CompositeAlt(const SearchParam& p, std::string_view raw) {
    std::vector<std::string_view> parts = SplitUnescaped(raw, '$');
    if (p.components.size() != 2 || parts.size() != 2) {
      return Invalid(StrCat("composite '", p.code, "' takes two values joined by '$', not '", raw, "'"));
    }
    std::string out;
    {
      std::vector<std::string_view> t = SplitUnescaped(parts[0], '|');
      if (t.size() == 1) {
        out = StrCat("x.c1 = ", Bind(UnescapeValue(t[0])));
      } else if (t.size() == 2) {
        out = StrCat("x.c1 = ", Bind(UnescapeValue(t[1])), " AND x.s1 = ", Bind(UnescapeValue(t[0])));
      } else {
        return Invalid(StrCat("bad first component '", parts[0], "'"));
      }
    }
    std::string second;
    switch (p.components[1].type) {
      case ParamType::kToken: {
        ASSIGN_OR_RETURN(second, TokenAlt(parts[1], nullptr, "x.c2", "x.s2"));
        second = StrCat("(", second, ")");
        break;
      }
      case ParamType::kString: {
        std::string folded = folding_.Fold(UnescapeValue(parts[1]));
        second = StrCat("x.c2 >= ", Bind(folded), " AND x.c2 < ", Bind(StrCat(folded, kMaxUtf8)));
        break;
      }
      case ParamType::kReference: {
        second = StrCat("x.c2 = ", Bind(UnescapeValue(parts[1])));
        break;
      }
      case ParamType::kNumber: {
        ASSIGN_OR_RETURN(second, NumberAlt(parts[1], "x.lo"));
        break;
      }
      case ParamType::kQuantity: {
        ASSIGN_OR_RETURN(second, QuantityAlt(parts[1], "x.lo", "x.c2", "x.s2"));
        break;
      }
      case ParamType::kDate: {
        ASSIGN_OR_RETURN(second, DateAlt(parts[1], "x.lo", "x.hi"));
        break;
      }
      default: return Invalid(StrCat("composite '", p.code, "' is not supported"));
    }
    return StrCat("(", out, " AND ", second, ")");
  }

  const TextFolding& folding_;
  Micros now_;
  BoundParams* params_;
  std::string prefix_;
  const ValueSetLookup* value_sets_;
};

}  // namespace

absl::StatusOr<CompiledSearch> CompileSearch(const SearchRequest& request,
                                             const TextFolding& folding, Micros now,
                                             const AccessPredicate& access,
                                             const ValueSetLookup& value_sets) {
  CompiledSearch out;
  // _contained=true does not use the type's own matches: their parameters go nowhere (the
  // database refuses parameters a statement does not use).
  BoundParams unused;
  Builder b(folding, now, request.contained == Contained::kTrue ? &unused : &out.params, "q", &value_sets);
  Builder sort_builder(folding, now, &out.sort_params, "qs");
  std::vector<std::string> where = {"r.deleted = 0"};
  if (request.types.size() == 1) {
    where.push_back(StrCat("r.type = ", b.Bind(request.types[0])));
  } else if (!request.types.empty()) {
    std::string list;
    for (const std::string& t : request.types) StrAppend(&list, list.empty() ? "" : ", ", b.Bind(t));
    where.push_back(StrCat("r.type IN (", list, ")"));
  }
  // A reference or _id criterion (patient=..., subject=...) is nearly always the selective one:
  // it drives the query (IN), and the others are checked per driven row (EXISTS on (rk, p))
  // rather than each listing its whole key range (a date or category range can hold millions).
  auto drives = [](const Criterion& c) {
    return c.kind == Criterion::Kind::kValue && c.modifier.empty() &&
           (c.param->code == "_id" || c.param->type == ParamType::kReference);
  };
  const Criterion* driver = nullptr;
  for (const Criterion& c : request.criteria) {
    if (drives(c)) {
      driver = &c;
      break;
    }
  }
  // A compartment search is driven by its compartment predicate.
  bool driven = driver != nullptr || !request.compartment_id.empty();
  for (const Criterion& c : request.criteria) {
    bool correlated = driven && &c != driver && c.kind == Criterion::Kind::kValue &&
                      c.param->code != "_id" && c.param->code != "_lastUpdated";
    ASSIGN_OR_RETURN(std::string pred, b.Criterion(c, "r", 0, correlated));
    where.push_back(std::move(pred));
  }
  if (!request.compartment_id.empty()) {
    const SearchParamRegistry& registry = SearchParamRegistry::Default();
    std::vector<std::string> keys;
    std::vector<std::string_view> types;
    if (request.types.empty()) {
      for (const std::string& t : registry.PatientCompartmentTypes()) types.push_back(t);
    } else {
      for (const std::string& t : request.types) types.push_back(t);
    }
    for (std::string_view t : types) {
      for (const std::string& code : registry.PatientCompartmentParams(t)) {
        if (const SearchParam* p = registry.Find(t, code); p != nullptr && p->expression) {
          keys.push_back(b.Bind(p->key));
        }
      }
    }
    // One list of rks — the linked resources and, for $everything, the Patient itself — so
    // both engines drive the query from it (an OR with a second condition made PostgreSQL scan).
    std::vector<std::string> members;
    if (!keys.empty()) {
      std::string key_list;
      for (const std::string& k : keys) StrAppend(&key_list, key_list.empty() ? "" : ", ", k);
      members.push_back(StrCat("SELECT x.rk FROM sp_reference x WHERE x.p IN (", key_list,
                               ") AND x.ref = ", b.Bind(StrCat("Patient/", request.compartment_id))));
    }
    if (request.include_compartment_owner) {
      members.push_back(StrCat("SELECT o.rk FROM resource o WHERE o.type = 'Patient' AND o.id = ",
                               b.Bind(request.compartment_id)));
    }
    std::string member = "1 = 0";
    if (!members.empty()) {
      member = "r.rk IN (";
      for (size_t i = 0; i < members.size(); ++i) StrAppend(&member, i ? " UNION ALL " : "", members[i]);
      member.push_back(')');
    }
    where.push_back(std::move(member));
  }
  if (request.since) where.push_back(StrCat("r.last_updated >= ", b.Bind(*request.since)));
  for (const SortKey& k : request.sort) {
    out.sort_exprs.push_back(sort_builder.SortExpr(k));
    out.sort_descending.push_back(k.descending);
  }
  // Index rows exist only for live current versions and the key names the type, so a single
  // criterion's total is the number of distinct rks in its key range: no per-match row lookup.
  if (request.criteria.size() == 1 && request.types.size() == 1 && access.sql.empty() &&
      request.compartment_id.empty() && !request.since) {
    const Criterion& c = request.criteria[0];
    bool own_key = c.param->resource_type == request.types[0];
    if (c.kind == Criterion::Kind::kValue && own_key && c.modifier != "missing" &&
        c.modifier != "not" && c.modifier != "not-in" && c.param->code != "_id" &&
        c.param->code != "_lastUpdated") {
      Builder counter(folding, now, &out.count_params, "qc", &value_sets);
      ASSIGN_OR_RETURN(auto m, counter.Match(c));
      out.count_sql = Builder::CountStatement(m);
    }
  }
  std::string pairs;  // contained resources matched, for _contained=true|both
  if (request.contained != Contained::kFalse) {
    if (!request.compartment_id.empty() || request.since) {
      return Invalid("_contained=true|both cannot be combined with a compartment search");
    }
    Builder contained(folding, now, &out.params, "qk", &value_sets);
    ASSIGN_OR_RETURN(pairs, contained.ContainedPairs(request.types[0], request.criteria));
    // The type's own matches: `where` without "r.deleted = 0".
    std::string own;
    for (size_t i = 1; i < where.size(); ++i) StrAppend(&own, i > 1 ? " AND " : "", where[i]);
    bool both = request.contained == Contained::kBoth;
    if (request.contained_type == ContainedType::kContainer) {
      // Containers of any type holding a match.
      std::string holds = StrCat("r.rk IN (SELECT c.rk FROM (", pairs, ") c)");
      where = {"r.deleted = 0", both ? StrCat("((", own, ") OR ", holds, ")") : holds};
    } else if (both) {
      // The type's own matches take position -1: they sort before what they contain.
      pairs = StrCat(pairs, " UNION ALL SELECT r.rk AS rk, -1 AS pos FROM resource r WHERE ", own);
    }
    out.count_sql.clear();
    out.count_params.clear();
  }
  if (!access.sql.empty()) {
    where.push_back(StrCat("(", access.sql, ")"));
    for (const auto& p : access.params) out.params.push_back(p);
  }
  for (size_t i = 0; i < where.size(); ++i) StrAppend(&out.where, i ? " AND " : "", where[i]);
  if (request.contained != Contained::kFalse && request.contained_type == ContainedType::kContained) {
    // Access rules apply to the row holding the match: the container, or the resource itself.
    out.pairs_sql = StrCat("SELECT q.rk AS rk, q.pos AS pos FROM (", pairs,
                           ") q JOIN resource r ON r.rk = q.rk WHERE r.deleted = 0");
    if (!access.sql.empty()) StrAppend(&out.pairs_sql, " AND (", access.sql, ")");
  }
  return out;
}

db::Params ViewParams(const BoundParams& bound) {
  db::Params params;
  params.reserve(bound.size());
  for (const auto& [name, value] : bound) params.emplace_back(name, value);
  return params;
}

}  // namespace rhip::fhir::search
