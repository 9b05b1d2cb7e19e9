#include "fhir/internal/resource_store.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "fhir/model/validator.h"
#include "fhir/search/index_extractor.h"
#include "fhir/search/index_store.h"
#include "fhir/search/query_compiler.h"
#include "fhir/search/search_request.h"
#include "fhir/search_query.h"

namespace rhip::fhir::internal {
namespace {

std::string Ref(std::string_view type, std::string_view id) { return StrCat(type, "/", id); }

}  // namespace

std::string SerializeStored(const json::Value& body, std::string_view id, int64_t version,
                            Micros now) {
  const json::Object& in = body.as_object();
  std::string out = "{\"resourceType\":";
  if (const json::Value* rt = in.Find("resourceType")) json::SerializeTo(*rt, &out);
  out.append(",\"id\":");
  json::AppendQuoted(id, &out);
  out.append(",\"meta\":{\"versionId\":\"").append(std::to_string(version));
  out.append("\",\"lastUpdated\":\"").append(FormatInstant(now)).append("\"");
  if (const json::Value* meta = in.Find("meta"); meta != nullptr && meta->is_object()) {
    for (const auto& [k, v] : meta->as_object()) {
      if (k == "versionId" || k == "lastUpdated") continue;
      out.push_back(',');
      json::AppendQuoted(k, &out);
      out.push_back(':');
      json::SerializeTo(v, &out);
    }
  }
  out.push_back('}');
  for (const auto& [k, v] : in) {
    if (k == "resourceType" || k == "id" || k == "meta") continue;
    out.push_back(',');
    json::AppendQuoted(k, &out);
    out.push_back(':');
    json::SerializeTo(v, &out);
  }
  out.push_back('}');
  return out;
}

absl::StatusOr<std::optional<CurrentRow>> LoadCurrent(db::Session& s, std::string_view type,
                                                      std::string_view id) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query("SELECT rk, version, deleted, last_updated FROM resource "
                           "WHERE type = :type AND id = :id",
                           {{"type", std::string(type)}, {"id", std::string(id)}}));
  if (rows.empty()) return std::optional<CurrentRow>();
  const db::Row& r = rows[0];
  return std::optional<CurrentRow>(CurrentRow{r.Int(0), r.Int(1), r.Int(2) != 0, r.Int(3)});
}

absl::StatusOr<StoredResource> LoadVersion(db::Session& s, std::string_view type,
                                           std::string_view id, int64_t version) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query("SELECT v.last_updated, v.method, v.body FROM resource r "
                           "JOIN resource_version v ON v.rk = r.rk "
                           "WHERE r.type = :type AND r.id = :id AND v.version = :version",
                           {{"type", std::string(type)},
                            {"id", std::string(id)},
                            {"version", version}}));
  if (rows.empty()) {
    return MakeError(ErrorKind::kNotFound,
                     StrCat("resource ", Ref(type, id), " has no version ", version));
  }
  StoredResource out;
  out.type = std::string(type);
  out.id = std::string(id);
  out.version = version;
  out.last_updated = rows[0].Int(0);
  out.method = rows[0].Text(1);
  out.deleted = rows[0].IsNull(2);
  if (!out.deleted) out.json = rows[0].Text(2);
  return out;
}

absl::StatusOr<std::vector<Match>> FindMatches(db::Session& s, std::string_view type,
                                               std::string_view query, int max_matches) {
  ASSIGN_OR_RETURN(QueryParams params, ParseQueryParams(query));
  ASSIGN_OR_RETURN(search::SearchRequest req,
                   search::ParseSearchRequest(search::SearchParamRegistry::Default(), type, params));
  if (req.criteria.empty()) {
    return MakeError(ErrorKind::kInvalid, "a conditional operation needs search criteria");
  }
  int limit = max_matches > 0 ? max_matches : std::max(req.count, 1);
  ASSIGN_OR_RETURN(search::CompiledSearch compiled,
                   search::CompileSearch(req, search::ActiveTextFolding(), 0, {}));
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query(StrCat("SELECT r.rk, r.id FROM resource r WHERE ", compiled.where,
                                  " ORDER BY r.rk LIMIT ", limit),
                           search::ViewParams(compiled.params)));
  std::vector<Match> out;
  out.reserve(rows.size());
  for (const db::Row& r : rows) out.push_back({r.Int(0), r.Text(1)});
  return out;
}

absl::Status CheckResource(const json::Value& resource, std::string_view type,
                           const ValidateOptions& options) {
  if (!resource.is_object()) {
    return MakeError(ErrorKind::kInvalid, "the body must be a JSON object (a FHIR resource)");
  }
  const std::string* rt = resource.FindString("resourceType");
  if (rt == nullptr) return MakeError(ErrorKind::kInvalid, "the resource has no resourceType");
  if (!type.empty() && *rt != type) {
    return MakeError(ErrorKind::kInvalid, StrCat("resourceType '", *rt,
                                                       "' does not match the URL type '", type, "'"));
  }
  std::vector<Issue> issues = ValidateResource(resource, options);
  for (const Issue& i : issues) {
    if (i.severity == "error" || i.severity == "fatal") {
      // Warnings travel along in the OperationOutcome; the message names the first error.
      return MakeError(ErrorKind::kInvalid, StrCat(*rt, " is not valid FHIR R4: ", i.diagnostics),
                       issues);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredResource> WriteVersion(db::Session& s, std::string_view type,
                                            std::string_view id,
                                            const std::optional<CurrentRow>& current,
                                            const json::Value* body, std::string_view method,
                                            const WriteContext& w, std::string_view prepared,
                                            const search::IndexRows* rows) {
  const Micros now = w.now;
  int64_t version = current ? current->version + 1 : 1;
  bool deleted = body == nullptr;
  int64_t rk;
  if (current) {
    rk = current->rk;
    // The version guard makes a concurrent writer of the same resource fail instead of
    // silently overwriting (PostgreSQL runs writers in parallel).
    ASSIGN_OR_RETURN(int64_t changed,
                     s.Execute("UPDATE resource SET version = :version, last_updated = :now, "
                               "deleted = :deleted WHERE rk = :rk AND version = :old",
                               {{"version", version},
                                {"now", now},
                                {"deleted", int64_t{deleted}},
                                {"rk", rk},
                                {"old", current->version}}));
    if (changed != 1) {
      return MakeError(ErrorKind::kConflict,
                       StrCat(Ref(type, id), " was changed concurrently; retry"));
    }
    RETURN_IF_ERROR(search::DeleteIndexRows(s, rk));
  } else {
    auto inserted = s.Query(
        "INSERT INTO resource (type, id, version, last_updated, deleted) "
        "VALUES (:type, :id, 1, :now, :deleted) RETURNING rk",
        {{"type", std::string(type)}, {"id", std::string(id)}, {"now", now},
         {"deleted", int64_t{deleted}}});
    if (!inserted.ok()) {
      if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
        return MakeError(ErrorKind::kConflict,
                         StrCat(Ref(type, id), " was created concurrently; retry"));
      }
      return inserted.status();
    }
    rk = (*inserted)[0].Int(0);
  }

  StoredResource out;
  out.type = std::string(type);
  out.id = std::string(id);
  out.version = version;
  out.last_updated = now;
  out.deleted = deleted;
  out.method = std::string(method);
  db::Value stored_body;
  if (!deleted) {
    out.json = prepared.empty() ? SerializeStored(*body, id, version, now) : std::string(prepared);
    stored_body = out.json;
    if (rows != nullptr) {
      RETURN_IF_ERROR(search::InsertIndexRows(s, rk, *rows));
    } else {
      RETURN_IF_ERROR(search::InsertIndexRows(s, rk, search::IndexExtractor::Default().Extract(*body)));
    }
  }
  RETURN_IF_ERROR(
      s.Execute("INSERT INTO resource_version (rk, version, type, id, last_updated, method, body) "
                "VALUES (:rk, :version, :type, :id, :now, :method, :body)",
                {{"rk", rk},
                 {"version", version},
                 {"type", std::string(type)},
                 {"id", std::string(id)},
                 {"now", now},
                 {"method", std::string(method)},
                 {"body", std::move(stored_body)}})
          .status());
  if (w.hooks != nullptr) RETURN_IF_ERROR(w.hooks->AfterWrite(s, now, out, *w.options));
  return out;
}

ValidateOptions WithCachedLookup(const ValidateOptions& options) {
  ValidateOptions cached = options;
  if (!options.profile_lookup) return cached;
  auto seen = std::make_shared<std::map<std::string, std::optional<json::Value>, std::less<>>>();
  cached.profile_lookup = [lookup = options.profile_lookup,
                           seen](std::string_view url) -> std::optional<json::Value> {
    auto it = seen->find(url);
    if (it == seen->end()) it = seen->emplace(std::string(url), lookup(url)).first;
    return it->second;
  };
  return cached;
}

absl::Status CheckExpectedVersion(const std::optional<CurrentRow>& current, ExpectedVersion expected,
                                  std::string_view type, std::string_view id) {
  if (!expected) return absl::OkStatus();
  if (!current) {
    return MakeError(ErrorKind::kPreconditionFailed,
                     StrCat("If-Match given but ", Ref(type, id), " does not exist"));
  }
  if (current->version != *expected) {
    return MakeError(ErrorKind::kPreconditionFailed,
                     StrCat("version conflict: ", Ref(type, id), " is at version ",
                                  current->version, ", not ", *expected));
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::internal
