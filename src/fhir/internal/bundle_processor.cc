#include "fhir/personal_data_access.h"
#include "fhir/internal/bundle_processor.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/internal/operations.h"
#include "fhir/internal/resource_store.h"
#include "fhir/internal/search_executor.h"
#include "fhir/search/index_extractor.h"
#include "fhir/search_query.h"
#include "fhir/operation_outcome.h"
#include "fhir/http_util.h"
#include "fhir/model/structure_model.h"
#include "fhir/reference.h"

namespace rhip::fhir::internal {
namespace {

struct Entry {
  size_t index = 0;
  std::string method;
  std::string full_url;
  // From request.url: [type[/id[/_history/vid]]][?query]
  std::string type;
  std::string id;
  std::optional<int64_t> vid;
  std::string query;
  bool has_query = false;
  json::Value resource;
  std::string if_none_exist;
  ExpectedVersion if_match;
  // A POST whose ifNoneExist matched: the entry answers with this existing resource.
  std::optional<std::string> existing_id;
  absl::Status error;  // a batch entry that failed its checks
  // A new resource stored exactly as this text (id, meta and references final), made
  // before the transaction; empty when the transaction must finish the resource.
  std::string prepared;
  // The search-index rows of `prepared`, extracted with it.
  std::optional<search::IndexRows> rows;
};

// The error of a whole bundle caused by one entry. An OperationOutcome with detail issues
// shows them instead of the message, so each names the entry too.
absl::Status EntryError(size_t index, const absl::Status& cause) {
  std::string entry = StrCat("Bundle.entry[", index, "]: ");
  std::vector<Issue> issues = IssuesOf(cause);
  for (Issue& i : issues) i.diagnostics.insert(0, entry);
  return MakeError(KindOf(cause), StrCat(entry, ToStd(cause.message())), issues);
}

absl::Status ParseUrl(std::string_view url, std::string_view base_url, Entry* e) {
  std::string_view u = url;
  if (!base_url.empty() && u.substr(0, base_url.size()) == base_url) {
    u.remove_prefix(base_url.size());
  }
  while (!u.empty() && u.front() == '/') u.remove_prefix(1);
  if (u.substr(0, 5) == "http:" || u.substr(0, 6) == "https:") {
    return MakeError(ErrorKind::kInvalid, StrCat("request.url '", url,
                                                       "' is not on this server"));
  }
  size_t q = u.find('?');
  if (q != std::string_view::npos) {
    e->has_query = true;
    e->query = std::string(u.substr(q + 1));
    u = u.substr(0, q);
  }
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= u.size()) {
    size_t slash = u.find('/', start);
    if (slash == std::string_view::npos) slash = u.size();
    parts.push_back(u.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.empty() || parts[0].empty()) {
    return MakeError(ErrorKind::kInvalid, "request.url must name a resource type");
  }
  e->type = std::string(parts[0]);
  if (!StructureModel::R4().IsResourceType(e->type)) {
    return MakeError(ErrorKind::kNotFound, StrCat("unknown resource type '", e->type, "'"));
  }
  if (parts.size() >= 2) e->id = std::string(parts[1]);
  if (parts.size() == 4 && parts[2] == "_history") {
    int64_t v = 0;
    if (!absl::SimpleAtoi(ToAbsl(parts[3]), &v)) {
      return MakeError(ErrorKind::kInvalid, "invalid version id in request.url");
    }
    e->vid = v;
  } else if (parts.size() > 2) {
    return MakeError(ErrorKind::kNotSupported,
                     StrCat("request.url '", url, "' is not supported in a bundle"));
  }
  return absl::OkStatus();
}

// Checks every entry up front (outside the database transaction). In a transaction the
// first bad entry fails the bundle; in a batch it only marks that entry.
absl::StatusOr<std::vector<Entry>> ParseEntries(json::Value& bundle, std::string_view base_url,
                                                bool transaction,
                                                const ValidateOptions& options) {
  std::vector<Entry> entries;
  json::Value* list = bundle.Find("entry");
  if (list == nullptr) return entries;
  if (!list->is_array()) return MakeError(ErrorKind::kInvalid, "Bundle.entry must be an array");
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    json::Value& raw = list->as_array()[i];
    Entry e;
    e.index = i;
    auto fail = [i](std::string_view msg) {
      return EntryError(i, MakeError(ErrorKind::kInvalid, msg));
    };
    const json::Value* request = raw.Find("request");
    if (request == nullptr || !request->is_object()) return fail("entry has no request");
    const std::string* method = request->FindString("method");
    const std::string* url = request->FindString("url");
    if (method == nullptr || url == nullptr) return fail("request needs method and url");
    e.method = *method;
    if (e.method != "GET" && e.method != "HEAD" && e.method != "POST" && e.method != "PUT" &&
        e.method != "PATCH" && e.method != "DELETE") {
      return fail(StrCat("unsupported request.method '", e.method, "'"));
    }
    if (absl::Status st = ParseUrl(*url, base_url, &e); !st.ok()) return EntryError(i, st);
    if (const std::string* f = raw.FindString("fullUrl")) e.full_url = *f;
    if (const std::string* v = request->FindString("ifNoneExist")) e.if_none_exist = *v;
    if (const std::string* v = request->FindString("ifMatch")) {
      auto m = ParseETag(*v);
      if (!m.ok()) return EntryError(i, m.status());
      e.if_match = *m;
    }
    if (json::Value* r = raw.Find("resource")) e.resource = std::move(*r);
    bool needs_body = e.method == "POST" || e.method == "PUT" || e.method == "PATCH";
    if (needs_body && !e.resource.is_object()) return fail("entry needs a resource");
    if (e.method == "POST" || e.method == "PUT") {
      if (absl::Status st = CheckResource(e.resource, e.type, options); !st.ok()) {
        if (!transaction) {
          e.error = st;
        } else {
          return EntryError(i, st);
        }
      }
    }
    if ((e.method == "PUT" || e.method == "PATCH" || e.method == "DELETE") && e.id.empty() &&
        !e.has_query) {
      return fail(StrCat(e.method, " needs Type/id or Type?criteria in request.url"));
    }
    if (e.method == "POST" && !e.id.empty()) return fail("POST request.url must be just the type");
    entries.push_back(std::move(e));
  }
  return entries;
}

int MethodRank(std::string_view m) {
  if (m == "DELETE") return 0;
  if (m == "POST") return 1;
  if (m == "PUT" || m == "PATCH") return 2;
  return 3;  // GET, HEAD
}

json::Value WriteResponse(const WriteResult& w, std::string_view base_url) {
  json::Object response;
  int code = w.created ? 201 : (w.changed || !w.resource.json.empty() ? 200 : 204);
  response.Set("status", StatusLine(code));
  if (w.resource.version > 0) {
    response.Set("location", StrCat(w.resource.type, "/", w.resource.id, "/_history/",
                                          w.resource.version));
    response.Set("etag", FormatETag(w.resource.version));
    response.Set("lastModified", FormatInstant(w.resource.last_updated));
  }
  json::Object entry;
  if (!w.resource.id.empty()) {
    entry.Set("fullUrl", StrCat(base_url, "/", w.resource.type, "/", w.resource.id));
  }
  entry.Set("response", std::move(response));
  return entry;
}

json::Value ReadResponse(const StoredResource& r, std::string_view base_url, bool with_body) {
  json::Object entry;
  entry.Set("fullUrl", StrCat(base_url, "/", r.type, "/", r.id));
  if (with_body) {
    auto parsed = json::Parse(r.json);
    if (parsed.ok()) entry.Set("resource", std::move(*parsed));
  }
  json::Object response;
  response.Set("status", StatusLine(200));
  response.Set("etag", FormatETag(r.version));
  response.Set("lastModified", FormatInstant(r.last_updated));
  entry.Set("response", std::move(response));
  return entry;
}

json::Value ErrorEntry(const absl::Status& st) {
  ErrorResponse err = ErrorResponseFor(st);
  json::Object response;
  response.Set("status", StatusLine(err.http_status));
  response.Set("outcome", std::move(err.outcome));
  json::Object entry;
  entry.Set("response", std::move(response));
  return entry;
}

// Rewrites references: urn:uuid / fullUrl placeholders from the map, and conditional
// references (Type?criteria) by search, cached per bundle.
//
// Without a session (before the transaction) it rewrites only what the map knows and
// records in needs_database() whether a reference is left that needs a search.
class ReferenceResolver {
 public:
  ReferenceResolver(db::Session* s, std::map<std::string, std::string> ids, bool strict)
      : s_(s), ids_(std::move(ids)), strict_(strict) {}

  // Whether the last Rewrite left a reference that needs a search.
  bool needs_database() const { return needs_database_; }

  absl::Status Rewrite(json::Value* resource) {
    needs_database_ = false;
    return RewriteValue(resource);
  }

 private:
  absl::Status RewriteValue(json::Value* v) {
    if (v->is_array()) {
      for (json::Value& e : v->as_array()) RETURN_IF_ERROR(RewriteValue(&e));
    } else if (v->is_object()) {
      for (auto& [k, child] : v->as_object()) {
        if (k == "reference" && child.is_string()) {
          RETURN_IF_ERROR(Resolve(&child.as_string()));
        } else if (child.is_object() || child.is_array()) {
          RETURN_IF_ERROR(RewriteValue(&child));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status Resolve(std::string* ref) {
    if (auto it = ids_.find(*ref); it != ids_.end()) {
      *ref = it->second;
      return absl::OkStatus();
    }
    if (IsPlaceholderReference(*ref)) {
      if (s_ == nullptr) needs_database_ = true;
      if (!strict_) return absl::OkStatus();
      return MakeError(ErrorKind::kInvalid,
                       StrCat("reference '", *ref, "' matches no fullUrl in the bundle"));
    }
    if (!IsConditionalReference(*ref)) return absl::OkStatus();
    if (s_ == nullptr) {
      needs_database_ = true;
      return absl::OkStatus();
    }
    size_t q = ref->find('?');
    std::string type = ref->substr(0, q);
    if (!StructureModel::R4().IsResourceType(type)) {
      return MakeError(ErrorKind::kInvalid, StrCat("conditional reference '", *ref,
                                                         "' names an unknown type"));
    }
    ASSIGN_OR_RETURN(auto matches, FindMatches(*s_, type, std::string_view(*ref).substr(q + 1),
                                               kConditionalMatches));
    if (matches.size() != 1) {
      return MakeError(matches.empty() ? ErrorKind::kNotFound : ErrorKind::kPreconditionFailed,
                       StrCat("conditional reference '", *ref, "' matched ",
                              matches.empty() ? "no" : "more than one",
                              " resource; exactly one is required"));
    }
    std::string resolved = StrCat(type, "/", matches[0].id);
    ids_[*ref] = resolved;
    *ref = std::move(resolved);
    return absl::OkStatus();
  }

  db::Session* s_;  // nullptr: resolve from the map only
  std::map<std::string, std::string> ids_;
  bool strict_;
  bool needs_database_ = false;
};

absl::StatusOr<PatchFormat> PatchFormatOf(const json::Value& body) {
  const std::string* rt = body.FindString("resourceType");
  if (rt != nullptr && *rt == "Parameters") return PatchFormat::kFhirPathPatch;
  return MakeError(ErrorKind::kNotSupported,
                   "a PATCH entry must carry a FHIRPath Patch Parameters resource");
}

// A GET Type?criteria entry: a searchset Bundle (first page, matches) as the entry's resource.
absl::StatusOr<json::Value> SearchResponse(db::Session& s, Micros now, const Entry& e,
                                           std::string_view base_url,
                                           const search::AccessPredicate& access) {
  ASSIGN_OR_RETURN(QueryParams params, ParseQueryParams(e.query));
  ASSIGN_OR_RETURN(search::SearchRequest request,
                   search::ParseSearchRequest(search::SearchParamRegistry::Default(), e.type, params));
  ASSIGN_OR_RETURN(SearchResult result,
                   RunSearch(s, std::move(request), search::ActiveTextFolding(), now, access));
  json::Array found;
  for (const StoredResource& r : result.matches) {
    json::Object hit;
    hit.Set("fullUrl", StrCat(base_url, "/", r.type, "/", r.id));
    ASSIGN_OR_RETURN(json::Value body, json::Parse(r.json));
    hit.Set("resource", std::move(body));
    json::Object mode;
    mode.Set("mode", "match");
    hit.Set("search", std::move(mode));
    found.emplace_back(std::move(hit));
  }
  json::Object bundle;
  bundle.Set("resourceType", "Bundle");
  bundle.Set("type", "searchset");
  if (result.total) bundle.Set("total", *result.total);
  bundle.Set("entry", std::move(found));
  json::Object response;
  response.Set("status", StatusLine(200));
  json::Object entry;
  entry.Set("resource", std::move(bundle));
  entry.Set("response", std::move(response));
  return json::Value(std::move(entry));
}

// Runs one entry whose references are already resolved.
absl::StatusOr<json::Value> RunEntry(db::Session& s, const WriteContext& context, Entry& e,
                                     std::string_view base_url, const std::string& assigned_id,
                                     const search::AccessPredicate& access) {
  if (e.method == "GET" || e.method == "HEAD") {
    if (e.has_query || e.id.empty()) return SearchResponse(s, context.now, e, base_url, access);
    ASSIGN_OR_RETURN(StoredResource r,
                     e.vid ? DoVRead(s, e.type, e.id, *e.vid) : DoRead(s, e.type, e.id));
    if (!access.sql.empty()) {
      ASSIGN_OR_RETURN(Visibility v, DoCheckVisible(s, e.type, e.id, access));
      if (!v.visible) return OutsideAccessError(e.type, e.id);
    }
    return ReadResponse(r, base_url, e.method == "GET");
  }
  if (e.method == "POST") {
    if (e.existing_id) {
      ASSIGN_OR_RETURN(StoredResource r, DoRead(s, e.type, *e.existing_id));
      return WriteResponse(WriteResult{std::move(r), false, false}, base_url);
    }
    ASSIGN_OR_RETURN(WriteResult w, DoCreate(s, context, e.resource,
                                             assigned_id.empty() ? e.if_none_exist : "",
                                             assigned_id, e.prepared,
                                             e.rows ? &*e.rows : nullptr));
    return WriteResponse(w, base_url);
  }
  if (e.method == "PUT") {
    std::string id = e.id;
    if (e.has_query) {
      ASSIGN_OR_RETURN(id, ResolveConditionalUpdateId(s, e.type, e.query, e.resource));
      if (e.resource.is_object()) e.resource.as_object().Set("id", id);
    }
    ASSIGN_OR_RETURN(WriteResult w, DoUpdate(s, context, e.type, id, e.resource, e.if_match,
                                             e.rows ? &*e.rows : nullptr));
    return WriteResponse(w, base_url);
  }
  if (e.method == "PATCH") {
    ASSIGN_OR_RETURN(PatchFormat format, PatchFormatOf(e.resource));
    ASSIGN_OR_RETURN(WriteResult w, DoPatch(s, context, e.type, e.id, format, e.resource, e.if_match));
    return WriteResponse(w, base_url);
  }
  // DELETE
  if (e.has_query) {
    RETURN_IF_ERROR(DoConditionalDelete(s, context, e.type, e.query, 1).status());
    json::Object entry;
    json::Object response;
    response.Set("status", StatusLine(204));
    entry.Set("response", std::move(response));
    return json::Value(std::move(entry));
  }
  ASSIGN_OR_RETURN(WriteResult w, DoDelete(s, context, e.type, e.id, e.if_match));
  return WriteResponse(w, base_url);
}

// Search-index rows, extracted before the write (off SQLite's single writer thread), of the
// entries whose references are final once `resolver` (no database) has rewritten them; the
// others are indexed inside the transaction, after their references are resolved.
void PrepareIndexRows(std::vector<Entry>& entries, ReferenceResolver& resolver) {
  for (Entry& e : entries) {
    if (e.rows || !e.error.ok() || !e.resource.is_object()) continue;
    if (e.method != "PUT" && e.method != "POST") continue;
    if (e.has_query || !e.if_none_exist.empty()) continue;  // decided inside the transaction
    if (!resolver.Rewrite(&e.resource).ok() || resolver.needs_database()) continue;
    e.rows = search::IndexExtractor::Default().Extract(e.resource);
  }
}

// Database-free work done before the transaction, off SQLite's single writer thread: a
// POST without ifNoneExist becomes version 1 with a known id, so when all its references
// point inside the bundle (no search needed), its stored text is final already.
void PrepareNewResources(std::vector<Entry>& entries, const std::vector<std::string>& fresh,
                         Micros now) {
  std::map<std::string, std::string> known;
  for (const Entry& e : entries) {
    if (e.full_url.empty()) continue;
    if (e.method == "POST" && e.if_none_exist.empty()) {
      known[e.full_url] = StrCat(e.type, "/", fresh[e.index]);
    } else if (e.method == "PUT" && !e.has_query) {
      known[e.full_url] = StrCat(e.type, "/", e.id);
    }
  }
  std::set<std::string> known_urls;
  for (const auto& [url, ref] : known) known_urls.insert(url);
  ReferenceResolver resolver(nullptr, std::move(known), /*strict=*/false);
  for (Entry& e : entries) {
    if (e.method != "POST" || !e.if_none_exist.empty()) continue;
    if (!resolver.Rewrite(&e.resource).ok() || resolver.needs_database()) continue;
    e.prepared = SerializeStored(e.resource, fresh[e.index], 1, now);
    e.rows = search::IndexExtractor::Default().Extract(e.resource);
  }
  // Updates too, unless an entry whose id the transaction decides (ifNoneExist, conditional
  // update) has a fullUrl that references could name.
  bool ids_known = std::all_of(entries.begin(), entries.end(), [&](const Entry& e) {
    return e.full_url.empty() || known_urls.count(e.full_url) != 0;
  });
  if (ids_known) PrepareIndexRows(entries, resolver);
}

absl::StatusOr<json::Value> Transaction(db::Database& db, const Clock& clock,
                                        const WriteContext& context,
                                        std::vector<Entry> entries, std::string_view base_url,
                                        const search::AccessPredicate& access) {
  std::vector<json::Value> responses(entries.size());
  // Ids are drawn before the transaction: if it runs again, it assigns the same ones.
  std::vector<std::string> fresh(entries.size());
  for (const Entry& e : entries) {
    if (e.method == "POST") fresh[e.index] = NewResourceId();
  }
  Micros now = clock.Now();
  PrepareNewResources(entries, fresh, now);
  RETURN_IF_ERROR(db.Write([&](db::Session& s) -> absl::Status {
    // 1. Assign ids to new resources and map fullUrls to them.
    std::map<std::string, std::string> ids;
    std::vector<std::string> assigned(entries.size());
    for (Entry& e : entries) {
      std::string id;
      if (e.method == "POST") {
        e.existing_id.reset();
        if (!e.if_none_exist.empty()) {
          auto matches = FindMatches(s, e.type, e.if_none_exist, kConditionalMatches);
          if (!matches.ok()) return EntryError(e.index, matches.status());
          if (matches->size() > 1) {
            return EntryError(e.index, MakeError(ErrorKind::kPreconditionFailed,
                                                 "ifNoneExist matched several resources"));
          }
          if (matches->size() == 1) e.existing_id = (*matches)[0].id;
        }
        id = e.existing_id ? *e.existing_id : fresh[e.index];
        if (!e.existing_id) assigned[e.index] = id;
      } else if (e.method == "PUT") {
        if (e.has_query) {
          auto resolved = ResolveConditionalUpdateId(s, e.type, e.query, e.resource);
          if (!resolved.ok()) return EntryError(e.index, resolved.status());
          id = *resolved;
          e.has_query = false;
          e.id = id;
          if (e.resource.is_object()) e.resource.as_object().Set("id", id);
        } else {
          id = e.id;
        }
      }
      if (!id.empty() && !e.full_url.empty()) ids[e.full_url] = StrCat(e.type, "/", id);
    }
    // 2. Rewrite references everywhere.
    ReferenceResolver resolver(&s, std::move(ids), /*strict=*/true);
    for (Entry& e : entries) {
      if (!e.resource.is_object() || !e.prepared.empty()) continue;
      if (absl::Status st = resolver.Rewrite(&e.resource); !st.ok()) return EntryError(e.index, st);
    }
    // 3. Run in the order the specification prescribes.
    std::vector<size_t> order(entries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return MethodRank(entries[a].method) < MethodRank(entries[b].method);
    });
    for (size_t i : order) {
      WriteContext w = context;
      w.now = now;
      auto r = RunEntry(s, w, entries[i], base_url, assigned[i], access);
      if (!r.ok()) return EntryError(i, r.status());
      responses[i] = std::move(*r);
    }
    return absl::OkStatus();
  }));
  return json::Value(json::Array(std::move(responses)));
}

absl::StatusOr<json::Value> Batch(db::Database& db, const Clock& clock, const WriteContext& context,
                                  std::vector<Entry> entries,
                                  std::string_view base_url, const search::AccessPredicate& access) {
  std::vector<json::Value> responses(entries.size());
  ReferenceResolver no_database(nullptr, {}, /*strict=*/false);  // a batch has no fullUrl links
  PrepareIndexRows(entries, no_database);
  RETURN_IF_ERROR(db.Write([&](db::Session& s) -> absl::Status {
    WriteContext w = context;
    w.now = clock.Now();
    for (Entry& e : entries) {
      // Each entry stands alone: its failure rolls back only its own savepoint.
      RETURN_IF_ERROR(s.Execute("SAVEPOINT rhip_batch_entry").status());
      ReferenceResolver resolver(&s, {}, /*strict=*/false);
      absl::Status st = e.error;
      if (st.ok() && e.resource.is_object()) st = resolver.Rewrite(&e.resource);
      absl::StatusOr<json::Value> r =
          st.ok() ? RunEntry(s, w, e, base_url, "", access) : absl::StatusOr<json::Value>(st);
      if (!r.ok()) {
        RETURN_IF_ERROR(s.Execute("ROLLBACK TO SAVEPOINT rhip_batch_entry").status());
        responses[e.index] = ErrorEntry(r.status());
      } else {
        responses[e.index] = std::move(*r);
      }
      RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT rhip_batch_entry").status());
    }
    return absl::OkStatus();
  }));
  return json::Value(json::Array(std::move(responses)));
}

}  // namespace

absl::StatusOr<json::Value> ProcessBundle(db::Database& db, const Clock& clock,
                                          const ValidateOptions& options, const WriteHooks& hooks,
                                          json::Value bundle,
                                          std::string_view base_url,
                                          const search::AccessPredicate& access) {
  if (!bundle.is_object() || bundle.FindString("resourceType") == nullptr ||
      *bundle.FindString("resourceType") != "Bundle") {
    return MakeError(ErrorKind::kInvalid, "POST to the base URL needs a Bundle");
  }
  const std::string* type = bundle.FindString("type");
  if (type == nullptr || (*type != "batch" && *type != "transaction")) {
    return MakeError(ErrorKind::kInvalid, "Bundle.type must be batch or transaction");
  }
  bool transaction = *type == "transaction";
  ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseEntries(bundle, base_url, transaction, WithCachedLookup(options)));
  const WriteContext context{.hooks = &hooks, .options = &options};
  ASSIGN_OR_RETURN(json::Value responses,
                   transaction ? Transaction(db, clock, context, std::move(entries), base_url, access)
                               : Batch(db, clock, context, std::move(entries), base_url, access));
  json::Object out;
  out.Set("resourceType", "Bundle");
  out.Set("id", NewResourceId());
  out.Set("type", transaction ? "transaction-response" : "batch-response");
  out.Set("entry", std::move(responses));
  return json::Value(std::move(out));
}

}  // namespace rhip::fhir::internal
