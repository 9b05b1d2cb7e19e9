#include "fhir/search/search_request.h"

#include "absl/strings/numbers.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir::search {
namespace {

// Chains and _has may nest; deeper searches are refused rather than run away.
constexpr int kMaxDepth = 4;

bool IsResourceType(std::string_view t) { return StructureModel::R4().IsResourceType(t); }

absl::Status Invalid(std::string_view message) {
  return MakeError(ErrorKind::kInvalid, message);
}

absl::Status UnknownParam(std::string_view type, std::string_view code) {
  return Invalid(StrCat("unknown search parameter '", code, "' for ",
                        type.empty() ? "a system search" : type,
                        " (send Prefer: handling=lenient to ignore unknown parameters)"));
}

bool ModifierAllowed(const SearchParam& p, std::string_view m) {
  if (m.empty() || m == "missing") return true;
  switch (p.type) {
    case ParamType::kString: return m == "exact" || m == "contains";
    case ParamType::kToken:
      return m == "not" || m == "text" || m == "of-type" || m == "in" || m == "not-in";
    case ParamType::kReference:
      if (m == "identifier") return true;
      if (!IsResourceType(m)) return false;
      if (p.targets.empty()) return true;
      for (const std::string& t : p.targets) {
        if (t == m) return true;
      }
      return false;
    case ParamType::kUri: return m == "below" || m == "above";
    default: return false;
  }
}

class Parser {
 public:
  Parser(const SearchParamRegistry& registry) : registry_(registry) {}

  // name (without the value) on `type`: "code", "code:modifier", "subject:Patient.name",
  // "_has:Observation:patient:code".
  absl::StatusOr<Criterion> ParseCriterion(std::string_view type, std::string_view name,
                                           std::string_view value, int depth) {
    if (depth > kMaxDepth) return Invalid("search chains nest too deeply");
    if (name.starts_with("_has:")) return ParseHas(type, name.substr(5), value, depth);
    size_t dot = name.find('.');
    std::string_view head = dot == std::string_view::npos ? name : name.substr(0, dot);
    size_t colon = head.find(':');
    std::string_view code = head.substr(0, colon);
    std::string_view modifier = colon == std::string_view::npos ? "" : head.substr(colon + 1);
    const SearchParam* p = registry_.Find(type, code);
    if (p == nullptr || p->type == ParamType::kSpecial) {
      unknown_ = true;
      return UnknownParam(type, code);
    }
    Criterion c;
    c.param = p;
    if (dot != std::string_view::npos) {
      if (p->type != ParamType::kReference) {
        return Invalid(StrCat("'", code, "' is not a reference parameter and cannot be chained"));
      }
      std::string_view rest = name.substr(dot + 1);
      std::string_view next_code = rest.substr(0, rest.find_first_of(":."));
      std::vector<std::string> candidates;
      if (!modifier.empty()) {
        if (!ModifierAllowed(*p, modifier) || modifier == "identifier" || modifier == "missing") {
          return Invalid(StrCat("'", modifier, "' is not a target type of '", code, "'"));
        }
        candidates.emplace_back(modifier);
      } else {
        for (const std::string& t : p->targets) {
          if (registry_.Find(t, next_code) != nullptr) candidates.push_back(t);
        }
      }
      if (candidates.empty()) {
        return Invalid(StrCat("no target type of '", code, "' has a search parameter '",
                              next_code, "'; name the type, e.g. ", code, ":Patient.", next_code));
      }
      c.kind = Criterion::Kind::kChain;
      for (const std::string& t : candidates) {
        ASSIGN_OR_RETURN(Criterion next, ParseCriterion(t, rest, value, depth + 1));
        c.next.push_back(std::move(next));
      }
      c.other_types = std::move(candidates);
      return c;
    }
    if (p->type == ParamType::kToken && (modifier == "above" || modifier == "below")) {
      return Invalid(StrCat("':", modifier, "' (subsumption) is not supported on tokens: this server "
                            "holds no code-system hierarchy to answer it from"));
    }
    if (!ModifierAllowed(*p, modifier)) {
      return Invalid(StrCat("modifier ':", modifier, "' is not supported on the ",
                            ParamTypeName(p->type), " parameter '", code, "'"));
    }
    if ((code == "_id" || code == "_lastUpdated") && !modifier.empty() && modifier != "missing") {
      return Invalid(StrCat("modifier ':", modifier, "' is not supported on '", code, "'"));
    }
    c.modifier = std::string(modifier);
    if (c.modifier == "missing" && value != "true" && value != "false") {
      return Invalid(StrCat("':missing' takes true or false, not '", value, "'"));
    }
    for (std::string_view v : SplitUnescaped(value, ',')) {
      if (v.empty()) return Invalid(StrCat("empty value in search parameter '", name, "'"));
      c.values.emplace_back(v);
    }
    if (c.values.empty()) return Invalid(StrCat("search parameter '", name, "' has no value"));
    return c;
  }

 private:
  // "Observation:patient:code" (after "_has:") on `type`.
  absl::StatusOr<Criterion> ParseHas(std::string_view type, std::string_view rest,
                                     std::string_view value, int depth) {
    size_t c1 = rest.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      return Invalid("_has needs the form _has:Type:reference:parameter=value");
    }
    std::string_view other = rest.substr(0, c1);
    std::string_view ref_code = rest.substr(c1 + 1, c2 - c1 - 1);
    if (!IsResourceType(other)) return Invalid(StrCat("_has: unknown resource type '", other, "'"));
    const SearchParam* ref = registry_.Find(other, ref_code);
    if (ref == nullptr || ref->type != ParamType::kReference) {
      return Invalid(StrCat("_has: '", ref_code, "' is not a reference parameter of ", other));
    }
    Criterion c;
    c.kind = Criterion::Kind::kHas;
    c.param = ref;
    c.other_types.emplace_back(other);
    if (IsResourceType(type)) c.owner_type = std::string(type);
    ASSIGN_OR_RETURN(Criterion next, ParseCriterion(other, rest.substr(c2 + 1), value, depth + 1));
    c.next.push_back(std::move(next));
    return c;
  }

  const SearchParamRegistry& registry_;

 public:
  // Whether the last failed ParseCriterion failed on an unknown parameter (which lenient
  // handling ignores) rather than on a malformed value of a known one.
  bool unknown() const { return unknown_; }
  void reset() { unknown_ = false; }

 private:
  bool unknown_ = false;
};

absl::StatusOr<int> ParseCount(std::string_view v) {
  int n = 0;
  if (!absl::SimpleAtoi(ToAbsl(v), &n) || n < 0) {
    return Invalid(StrCat("_count must be a non-negative integer, not '", v, "'"));
  }
  return std::min(n, kMaxCount);
}

absl::Status ParseSort(const SearchParamRegistry& registry, const std::vector<std::string>& types,
                       std::string_view value, std::vector<SortKey>* out) {
  for (std::string_view key : SplitUnescaped(value, ',')) {
    SortKey k;
    if (key.starts_with("-")) {
      k.descending = true;
      key.remove_prefix(1);
    }
    k.code = std::string(key);
    if (key != "_id" && key != "_lastUpdated") {
      if (types.size() != 1) return Invalid("_sort by a parameter needs a single resource type");
      k.param = registry.Find(types[0], key);
      if (k.param == nullptr || k.param->type == ParamType::kComposite ||
          k.param->type == ParamType::kSpecial) {
        return Invalid(StrCat("cannot sort by '", key, "'"));
      }
    }
    out->push_back(std::move(k));
  }
  return absl::OkStatus();
}

absl::Status ParseInclude(const SearchParamRegistry& registry, bool reverse, bool iterate,
                          std::string_view value, std::vector<Include>* out) {
  Include inc;
  inc.reverse = reverse;
  inc.iterate = iterate;
  std::vector<std::string_view> parts = SplitUnescaped(value, ':');
  if (parts.size() == 1 && parts[0] == "*") {
    inc.source_type = "*";
    out->push_back(std::move(inc));
    return absl::OkStatus();
  }
  if (parts.size() < 2 || parts.size() > 3 || !IsResourceType(parts[0])) {
    return Invalid(StrCat("_include/_revinclude needs Type:parameter[:target], not '", value, "'"));
  }
  inc.source_type = std::string(parts[0]);
  if (parts[1] != "*") {
    inc.param = registry.Find(parts[0], parts[1]);
    if (inc.param == nullptr || inc.param->type != ParamType::kReference) {
      return Invalid(StrCat("'", parts[1], "' is not a reference parameter of ", parts[0]));
    }
  }
  if (parts.size() == 3) {
    if (!IsResourceType(parts[2])) return Invalid(StrCat("unknown target type '", parts[2], "'"));
    inc.target_type = std::string(parts[2]);
  }
  out->push_back(std::move(inc));
  return absl::OkStatus();
}

// What a search of contained resources can express: the criteria are answered from the rows
// extracted for one contained resource (IndexExtractor), which hold no chains out of it, no
// references into it and no lastUpdated.
absl::Status CheckContainedSearch(const SearchRequest& req) {
  if (req.types.size() != 1) return Invalid("_contained=true|both needs a single resource type");
  for (const Criterion& c : req.criteria) {
    if (c.kind != Criterion::Kind::kValue) {
      return Invalid("chains and _has cannot be combined with _contained=true|both");
    }
    if (c.param->code == "_lastUpdated") {
      return Invalid("_lastUpdated cannot be combined with _contained=true|both");
    }
  }
  for (const SortKey& k : req.sort) {
    // Containers sort by their own id and lastUpdated; contained resources have neither
    // a row of their own nor sort keys, and are returned in container order.
    if (k.param != nullptr || req.contained_type == ContainedType::kContained) {
      return Invalid(StrCat("_sort=", k.code, " cannot be combined with _contained=true|both",
                            req.contained_type == ContainedType::kContained
                                ? " and _containedType=contained"
                                : ""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string UnescapeValue(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

absl::StatusOr<SearchRequest> ParseSearchRequest(const SearchParamRegistry& registry,
                                                 std::string_view type, const QueryParams& params,
                                                 const ParseOptions& options) {
  // SQLite's text functions, LIKE among them, stop at the first NUL, so a "%00" in a
  // :contains value would match every row; PostgreSQL text cannot hold one at all. No FHIR
  // search value has a NUL, so it is refused before any parameter is read.
  for (const auto& [name, value] : params) {
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return Invalid("search parameters must not contain NUL (%00)");
    }
  }
  SearchRequest req;
  if (!type.empty()) req.types.emplace_back(type);
  // _type first: it decides which parameters exist in a system search.
  for (const auto& [name, value] : params) {
    if (name != "_type") continue;
    if (!type.empty()) return Invalid("_type is only allowed in a system search");
    for (std::string_view t : SplitUnescaped(value, ',')) {
      if (!IsResourceType(t)) return Invalid(StrCat("_type: unknown resource type '", t, "'"));
      req.types.emplace_back(t);
    }
  }
  // Parameters of a system search must be the common ones (defined on Resource).
  std::string_view scope = req.types.size() == 1 ? std::string_view(req.types[0]) : "Resource";
  Parser parser(registry);
  std::vector<std::pair<std::string, std::string>> sorts;
  for (const auto& [name, value] : params) {
    std::string_view n = name;
    bool understood = true;
    if (n == "_type" || n == "_format" || n == "_pretty") {
      // handled above / representation only
    } else if (n == "_count") {
      ASSIGN_OR_RETURN(req.count, ParseCount(value));
    } else if (n == "_cursor") {
      req.cursor = value;
      continue;
    } else if (n == "_sort") {
      sorts.emplace_back(name, value);
    } else if (n == "_include" || n == "_revinclude" || n == "_include:iterate" ||
               n == "_revinclude:iterate" || n == "_include:recurse" ||
               n == "_revinclude:recurse") {
      RETURN_IF_ERROR(ParseInclude(registry, n.starts_with("_revinclude"),
                                   n.ends_with(":iterate") || n.ends_with(":recurse"), value,
                                   &req.includes));
    } else if (n == "_summary") {
      if (value == "true") req.summary = Summary::kTrue;
      else if (value == "text") req.summary = Summary::kText;
      else if (value == "data") req.summary = Summary::kData;
      else if (value == "count") req.summary = Summary::kCount;
      else if (value == "false") req.summary = Summary::kNone;
      else return Invalid(StrCat("_summary must be true, text, data, count or false, not '", value, "'"));
    } else if (n == "_elements") {
      for (std::string_view e : SplitUnescaped(value, ',')) {
        if (!e.empty()) req.elements.emplace_back(e);
      }
    } else if (n == "_total") {
      if (value == "none") req.total = Total::kNone;
      else if (value == "estimate") req.total = Total::kEstimate;
      else if (value == "accurate") req.total = Total::kAccurate;
      else return Invalid(StrCat("_total must be none, estimate or accurate, not '", value, "'"));
    } else if (n == "_contained") {
      if (value == "false") req.contained = Contained::kFalse;
      else if (value == "true") req.contained = Contained::kTrue;
      else if (value == "both") req.contained = Contained::kBoth;
      else return Invalid(StrCat("_contained must be true, false or both, not '", value, "'"));
    } else if (n == "_containedType") {
      if (value == "container") req.contained_type = ContainedType::kContainer;
      else if (value == "contained") req.contained_type = ContainedType::kContained;
      else return Invalid(StrCat("_containedType must be container or contained, not '", value, "'"));
    } else {
      parser.reset();
      auto c = parser.ParseCriterion(scope, n, value, 0);
      if (!c.ok()) {
        // Lenient handling ignores unknown parameters, never malformed values of known ones.
        if (!(options.lenient && parser.unknown())) return c.status();
        understood = false;
      } else {
        req.criteria.push_back(*std::move(c));
      }
    }
    if (understood) req.understood.emplace_back(name, value);
  }
  for (const auto& [name, value] : sorts) {
    RETURN_IF_ERROR(ParseSort(registry, req.types, value, &req.sort));
  }
  if (req.contained != Contained::kFalse) RETURN_IF_ERROR(CheckContainedSearch(req));
  return req;
}

}  // namespace rhip::fhir::search
