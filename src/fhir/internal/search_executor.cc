#include "fhir/internal/search_executor.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/model/rules.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir::internal {
namespace {

// Includes are bounded per page: an _include:iterate over a dense graph must not load the store.
constexpr size_t kMaxIncluded = 1000;
constexpr int kMaxIterations = 3;

// Cursor: base64url of a JSON array ["n"|"p", rk, sort values...]: the row a page continues
// after ("n") or before ("p").
struct Cursor {
  bool backward = false;
  int64_t rk = 0;
  std::vector<db::Value> keys;
};

std::string EncodeCursor(bool backward, int64_t rk, const std::vector<db::Value>& keys) {
  json::Array a;
  a.emplace_back(backward ? "p" : "n");
  a.emplace_back(rk);
  for (const db::Value& v : keys) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      a.emplace_back(*i);
    } else if (const auto* d = std::get_if<double>(&v)) {
      char buf[40];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *d);
      std::string text(buf, p);
      if (text.find_first_of(".eE") == std::string::npos) text += ".0";
      a.emplace_back(json::Number{text});
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      a.emplace_back(*s);
    } else {
      a.emplace_back(nullptr);
    }
  }
  std::string out;
  absl::WebSafeBase64Escape(json::Serialize(json::Value(std::move(a))), &out);
  return out;
}

absl::StatusOr<Cursor> DecodeCursor(std::string_view text, size_t nkeys) {
  auto bad = [] { return MakeError(ErrorKind::kInvalid, "invalid or outdated search page cursor"); };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(ToAbsl(text), &raw)) return bad();
  auto parsed = json::Parse(raw);
  if (!parsed.ok() || !parsed->is_array()) return bad();
  const json::Array& a = parsed->as_array();
  if (a.size() != nkeys + 2 || !a[0].is_string() || !a[1].AsInt64()) return bad();
  Cursor c;
  c.backward = a[0].as_string() == "p";
  c.rk = *a[1].AsInt64();
  for (size_t i = 2; i < a.size(); ++i) {
    const json::Value& v = a[i];
    if (v.is_string()) {
      c.keys.emplace_back(v.as_string());
    } else if (v.is_number()) {
      const std::string& t = v.as_number().text;
      if (t.find_first_of(".eE") != std::string::npos) {
        double d = 0;
        std::from_chars(t.data(), t.data() + t.size(), d);
        c.keys.emplace_back(d);
      } else {
        c.keys.emplace_back(*v.AsInt64());
      }
    } else {
      return bad();
    }
  }
  return c;
}

StoredResource FromRow(const db::Row& r) {
  StoredResource out;
  out.type = r.Text(1);
  out.id = r.Text(2);
  out.version = r.Int(3);
  out.last_updated = r.Int(4);
  out.method = r.Text(5);
  out.json = r.Text(6);
  return out;
}

constexpr std::string_view kColumns =
    "r.rk, r.type, r.id, r.version, r.last_updated, v.method, v.body";
constexpr std::string_view kJoin =
    " FROM resource r JOIN resource_version v ON v.rk = r.rk AND v.version = r.version";

class Includer {
 public:
  Includer(db::Session& s, const search::AccessPredicate& access) : s_(s), access_(access) {}

  absl::Status Run(const std::vector<search::Include>& includes,
                   const std::vector<std::pair<int64_t, StoredResource>>& matches,
                   std::vector<StoredResource>* out) {
    for (const auto& [rk, r] : matches) seen_.insert(rk);
    std::vector<std::pair<int64_t, const StoredResource*>> frontier;
    for (const auto& [rk, r] : matches) frontier.emplace_back(rk, &r);
    std::vector<std::pair<int64_t, StoredResource>> added;
    for (int round = 0; round <= kMaxIterations && !frontier.empty(); ++round) {
      std::vector<std::pair<int64_t, StoredResource>> found;
      for (const search::Include& inc : includes) {
        if (round > 0 && !inc.iterate) continue;
        RETURN_IF_ERROR(inc.reverse ? Reverse(inc, frontier, &found) : Forward(inc, frontier, &found));
      }
      size_t before = added.size();
      for (auto& f : found) added.push_back(std::move(f));
      frontier.clear();
      for (size_t i = before; i < added.size(); ++i) frontier.emplace_back(added[i].first, &added[i].second);
      if (added.size() >= kMaxIncluded) break;
    }
    for (auto& [rk, r] : added) out->push_back(std::move(r));
    return absl::OkStatus();
  }

 private:
  std::string AccessClause(search::BoundParams* params) {
    if (access_.sql.empty()) return "";
    for (const auto& p : access_.params) params->push_back(p);
    return StrCat(" AND (", access_.sql, ")");
  }

  static std::vector<int64_t> KeysFor(const search::Include& inc, std::string_view source_type) {
    std::vector<int64_t> keys;
    if (inc.param != nullptr) {
      keys.push_back(inc.param->key);
      return keys;
    }
    for (const search::SearchParam* p : search::SearchParamRegistry::Default().Indexed(source_type)) {
      if (p->type == search::ParamType::kReference) keys.push_back(p->key);
    }
    return keys;
  }

  absl::Status Load(std::string sql, search::BoundParams params,
                    std::vector<std::pair<int64_t, StoredResource>>* found) {
    ASSIGN_OR_RETURN(db::Rows rows, s_.Query(sql, search::ViewParams(params)));
    for (const db::Row& row : rows) {
      if (!seen_.insert(row.Int(0)).second || seen_.size() > kMaxIncluded * 2) continue;
      found->emplace_back(row.Int(0), FromRow(row));
    }
    return absl::OkStatus();
  }

  absl::Status Forward(const search::Include& inc,
                       const std::vector<std::pair<int64_t, const StoredResource*>>& frontier,
                       std::vector<std::pair<int64_t, StoredResource>>* found) {
    // References of the frontier resources of the source type, grouped by target type.
    std::map<std::string, std::set<std::string>> targets;
    std::map<std::string, std::vector<int64_t>> by_type;
    for (const auto& [rk, r] : frontier) {
      if (inc.source_type == "*" || r->type == inc.source_type) by_type[r->type].push_back(rk);
    }
    for (const auto& [type, rks] : by_type) {
      std::vector<int64_t> keys = KeysFor(inc, type);
      if (keys.empty()) continue;
      search::BoundParams params;
      std::string rk_list, key_list;
      for (int64_t rk : rks) {
        params.emplace_back(StrCat("i", params.size()), rk);
        StrAppend(&rk_list, rk_list.empty() ? "" : ", ", ":", params.back().first);
      }
      for (int64_t k : keys) {
        params.emplace_back(StrCat("i", params.size()), k);
        StrAppend(&key_list, key_list.empty() ? "" : ", ", ":", params.back().first);
      }
      // "+x.p": with one key SQLite otherwise picks the primary key (p = ?) and reads every
      // row of the parameter (80 ms for Observation:subject at 20k patients) instead of the
      // page's rows through (rk, p).
      ASSIGN_OR_RETURN(db::Rows rows,
                       s_.Query(StrCat("SELECT DISTINCT x.ref FROM sp_reference x WHERE x.rk IN (",
                                       rk_list, ") AND +x.p IN (", key_list, ")"),
                                search::ViewParams(params)));
      for (const db::Row& row : rows) {
        std::string ref = row.Text(0);
        size_t slash = ref.find('/');
        if (slash == std::string::npos || ref.find("://") != std::string::npos) continue;
        std::string t = ref.substr(0, slash);
        if (!inc.target_type.empty() && t != inc.target_type) continue;
        targets[t].insert(ref.substr(slash + 1));
      }
    }
    for (const auto& [type, ids] : targets) {
      search::BoundParams params;
      params.emplace_back("it", type);
      std::string id_list;
      for (const std::string& id : ids) {
        params.emplace_back(StrCat("i", params.size()), id);
        StrAppend(&id_list, id_list.empty() ? "" : ", ", ":", params.back().first);
      }
      std::string sql = StrCat("SELECT ", kColumns, kJoin,
                               " WHERE r.deleted = 0 AND r.type = :it AND r.id IN (", id_list, ")");
      sql += AccessClause(&params);
      RETURN_IF_ERROR(Load(std::move(sql), std::move(params), found));
    }
    return absl::OkStatus();
  }

  // Reference-parameter keys that can point at target_type: all of source_type's (or, for
  // source_type "*", every type's) reference parameters whose targets allow it.
  static std::vector<int64_t> ReverseKeys(const search::Include& inc, std::string_view target_type) {
    if (inc.param != nullptr) return {inc.param->key};
    const search::SearchParamRegistry& registry = search::SearchParamRegistry::Default();
    std::vector<int64_t> keys;
    auto add = [&](std::string_view source_type) {
      for (const search::SearchParam* p : registry.Indexed(source_type)) {
        if (p->type != search::ParamType::kReference) continue;
        if (!p->targets.empty() &&
            std::find(p->targets.begin(), p->targets.end(), target_type) == p->targets.end()) {
          continue;
        }
        keys.push_back(p->key);
      }
    };
    if (inc.source_type != "*") {
      add(inc.source_type);
    } else {
      for (std::string_view t : StructureModel::R4().ResourceTypeNames()) add(t);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

  absl::Status Reverse(const search::Include& inc,
                       const std::vector<std::pair<int64_t, const StoredResource*>>& frontier,
                       std::vector<std::pair<int64_t, StoredResource>>* found) {
    // The frontier's references ("Type/id"), grouped by type: the parameters that can point
    // at a type differ per type.
    std::map<std::string, std::vector<std::string>> refs_by_type;
    for (const auto& [rk, r] : frontier) {
      if (!inc.target_type.empty() && r->type != inc.target_type) continue;
      refs_by_type[r->type].push_back(StrCat(r->type, "/", r->id));
    }
    for (const auto& [type, refs] : refs_by_type) {
      std::vector<int64_t> keys = ReverseKeys(inc, type);
      if (keys.empty()) continue;
      search::BoundParams params;
      std::string ref_list, key_list;
      for (const std::string& ref : refs) {
        params.emplace_back(StrCat("i", params.size()), ref);
        StrAppend(&ref_list, ref_list.empty() ? "" : ", ", ":", params.back().first);
      }
      for (int64_t k : keys) {
        params.emplace_back(StrCat("i", params.size()), k);
        StrAppend(&key_list, key_list.empty() ? "" : ", ", ":", params.back().first);
      }
      std::string sql = StrCat("SELECT ", kColumns, kJoin, " WHERE r.deleted = 0");
      if (inc.source_type != "*") {
        params.emplace_back("it", inc.source_type);
        sql += " AND r.type = :it";
      }
      StrAppend(&sql, " AND r.rk IN (SELECT x.rk FROM sp_reference x WHERE x.p IN (", key_list,
                ") AND x.ref IN (", ref_list, "))");
      sql += AccessClause(&params);
      StrAppend(&sql, " LIMIT ", kMaxIncluded);
      RETURN_IF_ERROR(Load(std::move(sql), std::move(params), found));
    }
    return absl::OkStatus();
  }

  db::Session& s_;
  const search::AccessPredicate& access_;
  std::set<int64_t> seen_;
};

// Codes of a stored ValueSet: its expansion, or the concepts listed in compose.include.
void CollectContains(const json::Value& contains, std::vector<std::pair<std::string, std::string>>* out) {
  if (!contains.is_array()) return;
  for (const json::Value& c : contains.as_array()) {
    const std::string* system = c.FindString("system");
    const std::string* code = c.FindString("code");
    if (system != nullptr && code != nullptr) out->emplace_back(*system, *code);
    if (const json::Value* nested = c.Find("contains")) CollectContains(*nested, out);
  }
}

// The value sets :in and :not-in can name: the official R4 ones expanded at build time, then
// ValueSet resources stored on this server (by url).
search::ValueSetLookup ValueSetsFor(db::Session& s) {
  return [&s](std::string_view url) -> absl::StatusOr<std::vector<std::pair<std::string, std::string>>> {
    std::vector<std::pair<std::string, std::string>> out;
    std::string_view plain = url.substr(0, url.find('|'));
    if (const ValueSet* vs = ValidationRules::R4().FindValueSet(plain)) {
      for (const auto& [system, code] : vs->Members()) out.emplace_back(system, code);
      return out;
    }
    const search::SearchParam* url_param = search::SearchParamRegistry::Default().Find("ValueSet", "url");
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query("SELECT v.body FROM resource r JOIN resource_version v ON v.rk = r.rk "
                             "AND v.version = r.version WHERE r.type = 'ValueSet' AND r.deleted = 0 "
                             "AND r.rk IN (SELECT x.rk FROM sp_uri x WHERE x.p = :p AND x.value = :u)",
                             {{"p", url_param->key}, {"u", std::string(plain)}}));
    if (rows.empty()) return MakeError(ErrorKind::kNotFound, "no such value set on this server");
    ASSIGN_OR_RETURN(json::Value vs, json::Parse(rows[0].Text(0)));
    if (const json::Value* expansion = vs.Find("expansion")) {
      if (const json::Value* contains = expansion->Find("contains")) CollectContains(*contains, &out);
    }
    if (const json::Value* compose = vs.Find("compose")) {
      const json::Value* includes = compose->Find("include");
      if (includes != nullptr && includes->is_array()) {
        for (const json::Value& inc : includes->as_array()) {
          const std::string* system = inc.FindString("system");
          const json::Value* concepts = inc.Find("concept");
          if (system == nullptr || concepts == nullptr || !concepts->is_array()) continue;
          for (const json::Value& c : concepts->as_array()) {
            if (const std::string* code = c.FindString("code")) out.emplace_back(*system, *code);
          }
        }
      }
    }
    return out;
  };
}

// The resource at `pos` of container's `contained` array, as a match: identified as the
// container plus "#" and its local id, so its fullUrl is [base]/Type/id#local (R4 search
// 3.1.1.5.4).
absl::StatusOr<StoredResource> ContainedResource(const StoredResource& container, int64_t pos) {
  ASSIGN_OR_RETURN(json::Value body, json::Parse(container.json));
  const json::Value* list = body.Find("contained");
  if (list == nullptr || !list->is_array() || pos >= static_cast<int64_t>(list->as_array().size())) {
    return MakeError(ErrorKind::kInternal, StrCat("index of ", container.type, "/", container.id,
                                                  " names a contained resource it does not hold"));
  }
  const json::Value& item = list->as_array()[pos];
  StoredResource out = container;
  const std::string* id = item.FindString("id");
  out.id = StrCat(container.id, "#", id != nullptr ? *id : "");
  out.json = json::Serialize(item);
  return out;
}

}  // namespace

absl::StatusOr<SearchResult> RunSearch(db::Session& s, search::SearchRequest request,
                                       const search::TextFolding& folding, Micros now,
                                       const search::AccessPredicate& access) {
  ASSIGN_OR_RETURN(search::CompiledSearch compiled,
                   search::CompileSearch(request, folding, now, access, ValueSetsFor(s)));
  SearchResult result;
  // A search returning contained resources pages over (rk, pos) pairs: pos is the one key.
  bool pairs = !compiled.pairs_sql.empty();
  size_t nkeys = pairs ? 1 : compiled.sort_exprs.size();

  bool first_page = request.cursor.empty();
  search::Total total = request.total.value_or(first_page ? search::Total::kAccurate
                                                          : search::Total::kNone);
  if (request.summary == search::Summary::kCount) total = search::Total::kAccurate;
  if (total != search::Total::kNone) {
    std::string count_sql = StrCat("SELECT COUNT(*) FROM resource r WHERE ", compiled.where);
    if (pairs) count_sql = StrCat("SELECT COUNT(*) FROM (", compiled.pairs_sql, ") n");
    ASSIGN_OR_RETURN(db::Rows rows,
                     compiled.count_sql.empty()
                         ? s.QueryPlannedForValues(count_sql, search::ViewParams(compiled.params))
                         : s.Query(compiled.count_sql, search::ViewParams(compiled.count_params)));
    result.total = rows[0].Int(0);
  }
  if (request.summary == search::Summary::kCount || request.count == 0) {
    result.request = std::move(request);
    return result;
  }

  std::optional<Cursor> cursor;
  if (!first_page) {
    ASSIGN_OR_RETURN(Cursor c, DecodeCursor(request.cursor, nkeys));
    cursor = std::move(c);
  }
  bool backward = cursor && cursor->backward;
  search::BoundParams params = compiled.params;
  for (const auto& p : compiled.sort_params) params.push_back(p);
  // Ordering: sort keys, then rk (pairs: rk, then pos). A backward page reads the reversed
  // order and flips it.
  std::vector<std::string> cols;
  std::vector<bool> desc;
  if (pairs) {
    cols = {"q.rk", "q.pos"};
    desc = {backward, backward};
  } else {
    for (size_t i = 0; i < nkeys; ++i) {
      cols.push_back(StrCat("q.s", i));
      desc.push_back(compiled.sort_descending[i] != backward);
    }
    cols.push_back("q.rk");
    desc.push_back(backward);
  }
  std::string keyset;
  if (cursor) {
    // Cursor values named as cols: the sort keys then rk, or rk then pos.
    std::vector<std::string> names;
    for (size_t i = 0; i < nkeys; ++i) {
      params.emplace_back(StrCat("k", i), cursor->keys[i]);
      names.push_back(StrCat(":k", i));
    }
    params.emplace_back("krk", cursor->rk);
    names.push_back(":krk");
    if (pairs) std::swap(names[0], names[1]);
    std::string any;
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string term;
      for (size_t j = 0; j < i; ++j) StrAppend(&term, cols[j], " = ", names[j], " AND ");
      StrAppend(&term, cols[i], desc[i] ? " < " : " > ", names[i]);
      StrAppend(&any, any.empty() ? "" : " OR ", "(", term, ")");
    }
    keyset = StrCat(" WHERE ", any);
  }
  std::string order;
  for (size_t i = 0; i < cols.size(); ++i) {
    StrAppend(&order, i ? ", " : "", cols[i], desc[i] ? " DESC" : "");
  }
  std::string sql;
  if (pairs) {
    sql = StrCat("SELECT q.rk, r.type, r.id, r.version, r.last_updated, v.method, v.body, q.pos FROM (",
                 compiled.pairs_sql, ") q JOIN resource r ON r.rk = q.rk JOIN resource_version v "
                 "ON v.rk = r.rk AND v.version = r.version");
  } else {
    std::string select = StrCat("SELECT r.rk AS rk, r.type AS type, r.id AS id, r.version AS version, "
                                "r.last_updated AS last_updated");
    for (size_t i = 0; i < nkeys; ++i) StrAppend(&select, ", ", compiled.sort_exprs[i], " AS s", i);
    std::string inner = StrCat(select, " FROM resource r WHERE ", compiled.where);
    sql = "SELECT q.rk, q.type, q.id, q.version, q.last_updated, v.method, v.body";
    for (size_t i = 0; i < nkeys; ++i) StrAppend(&sql, ", q.s", i);
    StrAppend(&sql, " FROM (", inner, ") q JOIN resource_version v ON v.rk = q.rk AND v.version = q.version");
  }
  StrAppend(&sql, keyset, " ORDER BY ", order, " LIMIT ", request.count + 1);
  ASSIGN_OR_RETURN(db::Rows rows, s.QueryPlannedForValues(sql, search::ViewParams(params)));
  bool more = rows.size() > static_cast<size_t>(request.count);
  if (more) rows.pop_back();
  if (backward) std::reverse(rows.begin(), rows.end());
  auto keys_of = [&](const db::Row& r) {
    std::vector<db::Value> k;
    for (size_t i = 0; i < nkeys; ++i) k.push_back(r.at(7 + i));
    return k;
  };
  if (!rows.empty()) {
    // Forward: more rows ahead means a next page; a cursor means there is a previous one.
    bool has_next = backward ? true : more;
    bool has_prev = backward ? more : cursor.has_value();
    if (has_next) result.next_cursor = EncodeCursor(false, rows.back().Int(0), keys_of(rows.back()));
    if (has_prev) result.prev_cursor = EncodeCursor(true, rows.front().Int(0), keys_of(rows.front()));
  }
  std::vector<std::pair<int64_t, StoredResource>> matches;
  std::vector<StoredResource> contained;  // not followed by _include / _revinclude
  for (const db::Row& r : rows) {
    if (pairs && r.Int(7) >= 0) {
      ASSIGN_OR_RETURN(StoredResource c, ContainedResource(FromRow(r), r.Int(7)));
      contained.push_back(std::move(c));
      matches.emplace_back(-1, StoredResource());  // keeps the page order
    } else {
      matches.emplace_back(r.Int(0), FromRow(r));
    }
  }
  if (!request.includes.empty()) {
    std::vector<std::pair<int64_t, StoredResource>> own;  // the page without contained matches
    if (pairs) {
      for (const auto& m : matches) {
        if (m.first >= 0) own.push_back(m);
      }
    }
    Includer includer(s, access);
    RETURN_IF_ERROR(includer.Run(request.includes, pairs ? own : matches, &result.included));
  }
  size_t next_contained = 0;
  for (auto& [rk, r] : matches) {
    result.matches.push_back(rk >= 0 ? std::move(r) : std::move(contained[next_contained++]));
  }
  result.request = std::move(request);
  return result;
}

}  // namespace rhip::fhir::internal
