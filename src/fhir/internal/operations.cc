#include "fhir/personal_data_access.h"
#include "fhir/internal/operations.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "fhir/internal/resource_store.h"
#include "fhir/patch/patch.h"

namespace rhip::fhir::internal {
namespace {

absl::Status CheckId(std::string_view id) {
  if (!IsValidFhirId(id)) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("'", id, "' is not a valid FHIR id ([A-Za-z0-9-.]{1,64})"));
  }
  return absl::OkStatus();
}

absl::Status GoneOrNotFound(const std::optional<CurrentRow>& current, std::string_view type,
                            std::string_view id) {
  if (!current) {
    return MakeError(ErrorKind::kNotFound, StrCat("resource ", type, "/", id, " not found"));
  }
  return MakeError(ErrorKind::kGone, StrCat("resource ", type, "/", id, " was deleted"));
}

absl::Status CheckBodyId(const json::Value& resource, std::string_view id) {
  const std::string* body_id = resource.FindString("id");
  if (body_id == nullptr || *body_id != id) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("the resource id must be present and equal '", id, "'"));
  }
  return absl::OkStatus();
}

// Writes resource as the next version of type/id (update, or create when absent or deleted).
absl::StatusOr<WriteResult> Put(db::Session& s, const WriteContext& w, std::string_view type,
                                std::string_view id, const json::Value& resource,
                                ExpectedVersion expected, const search::IndexRows* rows) {
  ASSIGN_OR_RETURN(auto current, LoadCurrent(s, type, id));
  RETURN_IF_ERROR(CheckExpectedVersion(current, expected, type, id));
  bool created = !current || current->deleted;
  ASSIGN_OR_RETURN(StoredResource stored,
                   WriteVersion(s, type, id, current, &resource, "PUT", w, {}, rows));
  return WriteResult{std::move(stored), created, true};
}

}  // namespace

absl::StatusOr<Visibility> DoCheckVisible(db::Session& s, std::string_view type,
                                          std::string_view id,
                                          const search::AccessPredicate& access) {
  search::BoundParams bound = access.params;
  bound.emplace_back("vt", std::string(type));
  bound.emplace_back("vi", std::string(id));
  std::string sql = type == "Patient"
                        ? "SELECT 'Patient/' || r.id"
                        : StrCat("SELECT (SELECT x.ref FROM sp_reference x WHERE x.rk = r.rk AND "
                                 "x.p IN ", CompartmentKeysSql(), " AND x.ref LIKE 'Patient/%' "
                                 "ORDER BY x.ref LIMIT 1)");
  StrAppend(&sql, " FROM resource r WHERE r.type = :vt AND r.id = :vi AND r.deleted = 0");
  if (!access.sql.empty()) StrAppend(&sql, " AND (", access.sql, ")");
  ASSIGN_OR_RETURN(db::Rows rows, s.Query(sql, search::ViewParams(bound)));
  Visibility out;
  out.visible = !rows.empty();
  if (out.visible && !rows[0].IsNull(0)) out.patient = rows[0].Text(0);
  return out;
}

absl::StatusOr<StoredResource> DoRead(db::Session& s, std::string_view type, std::string_view id) {
  // One statement: reads by id are the hottest path of all.
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query("SELECT r.version, v.last_updated, v.method, v.body "
                           "FROM resource r JOIN resource_version v "
                           "ON v.rk = r.rk AND v.version = r.version "
                           "WHERE r.type = :type AND r.id = :id",
                           {{"type", std::string(type)}, {"id", std::string(id)}}));
  if (rows.empty()) return GoneOrNotFound(std::nullopt, type, id);
  const db::Row& row = rows[0];
  if (row.IsNull(3)) return GoneOrNotFound(CurrentRow{}, type, id);
  StoredResource out;
  out.type = std::string(type);
  out.id = std::string(id);
  out.version = row.Int(0);
  out.last_updated = row.Int(1);
  out.method = row.Text(2);
  out.json = row.Text(3);
  return out;
}

absl::StatusOr<StoredResource> DoVRead(db::Session& s, std::string_view type, std::string_view id,
                                       int64_t version) {
  ASSIGN_OR_RETURN(StoredResource r, LoadVersion(s, type, id, version));
  if (r.deleted) {
    return MakeError(ErrorKind::kGone,
                     StrCat("version ", version, " of ", type, "/", id, " is a deletion"));
  }
  return r;
}

absl::StatusOr<WriteResult> DoCreate(db::Session& s, const WriteContext& w, const json::Value& resource,
                                     std::string_view if_none_exist, std::string id,
                                     std::string_view prepared, const search::IndexRows* rows) {
  std::string type = *resource.FindString("resourceType");
  if (!if_none_exist.empty()) {
    ASSIGN_OR_RETURN(auto matches, FindMatches(s, type, if_none_exist, kConditionalMatches));
    if (matches.size() > 1) {
      return MakeError(ErrorKind::kPreconditionFailed,
                       "If-None-Exist matched more than one resource");
    }
    if (matches.size() == 1) {
      ASSIGN_OR_RETURN(StoredResource existing, DoRead(s, type, matches[0].id));
      return WriteResult{std::move(existing), false, false};
    }
  }
  if (id.empty()) id = NewResourceId();
  ASSIGN_OR_RETURN(StoredResource stored,
                   WriteVersion(s, type, id, std::nullopt, &resource, "POST", w, prepared, rows));
  return WriteResult{std::move(stored), true, true};
}

absl::StatusOr<WriteResult> DoUpdate(db::Session& s, const WriteContext& w, std::string_view type,
                                     std::string_view id, const json::Value& resource,
                                     ExpectedVersion expected, const search::IndexRows* rows) {
  RETURN_IF_ERROR(CheckId(id));
  RETURN_IF_ERROR(CheckBodyId(resource, id));
  return Put(s, w, type, id, resource, expected, rows);
}

absl::StatusOr<std::string> ResolveConditionalUpdateId(db::Session& s, std::string_view type,
                                                       std::string_view query,
                                                       const json::Value& resource) {
  ASSIGN_OR_RETURN(auto matches, FindMatches(s, type, query, kConditionalMatches));
  if (matches.size() > 1) {
    return MakeError(ErrorKind::kPreconditionFailed,
                     "conditional update matched more than one resource");
  }
  const std::string* body_id = resource.FindString("id");
  if (matches.empty()) {
    std::string id = body_id != nullptr ? *body_id : NewResourceId();
    RETURN_IF_ERROR(CheckId(id));
    return id;
  }
  if (body_id != nullptr && *body_id != matches[0].id) {
    return MakeError(ErrorKind::kInvalid, StrCat("resource id '", *body_id,
                                                       "' differs from the matched '",
                                                       matches[0].id, "'"));
  }
  return matches[0].id;
}

absl::StatusOr<WriteResult> DoPatch(db::Session& s, const WriteContext& w, std::string_view type,
                                    std::string_view id, PatchFormat format,
                                    const json::Value& patch, ExpectedVersion expected) {
  RETURN_IF_ERROR(CheckId(id));
  ASSIGN_OR_RETURN(auto current, LoadCurrent(s, type, id));
  if (!current || current->deleted) return GoneOrNotFound(current, type, id);
  RETURN_IF_ERROR(CheckExpectedVersion(current, expected, type, id));
  ASSIGN_OR_RETURN(StoredResource old, LoadVersion(s, type, id, current->version));
  ASSIGN_OR_RETURN(json::Value resource, json::Parse(old.json));
  RETURN_IF_ERROR(format == PatchFormat::kJsonPatch ? ApplyJsonPatch(patch, &resource)
                                                    : ApplyFhirPathPatch(patch, &resource));
  RETURN_IF_ERROR(CheckResource(resource, type));
  const std::string* body_id = resource.FindString("id");
  if (body_id == nullptr || *body_id != id) {
    return MakeError(ErrorKind::kUnprocessable, "a patch must not change or remove the id");
  }
  ASSIGN_OR_RETURN(StoredResource stored,
                   WriteVersion(s, type, id, current, &resource, "PATCH", w));
  return WriteResult{std::move(stored), false, true};
}

absl::StatusOr<WriteResult> DoDelete(db::Session& s, const WriteContext& w, std::string_view type,
                                     std::string_view id, ExpectedVersion expected) {
  RETURN_IF_ERROR(CheckId(id));
  ASSIGN_OR_RETURN(auto current, LoadCurrent(s, type, id));
  RETURN_IF_ERROR(CheckExpectedVersion(current, expected, type, id));
  if (!current || current->deleted) {
    WriteResult none;
    none.changed = false;
    none.resource.type = std::string(type);
    none.resource.id = std::string(id);
    return none;
  }
  ASSIGN_OR_RETURN(StoredResource stored, WriteVersion(s, type, id, current, nullptr, "DELETE", w));
  return WriteResult{std::move(stored), false, true};
}

absl::StatusOr<int> DoConditionalDelete(db::Session& s, const WriteContext& w, std::string_view type,
                                        std::string_view query, int limit) {
  ASSIGN_OR_RETURN(auto matches, FindMatches(s, type, query, limit + 1));
  if (static_cast<int>(matches.size()) > limit) {
    return MakeError(ErrorKind::kPreconditionFailed,
                     StrCat("conditional delete matched more than ", limit,
                            " resource(s); narrow the criteria"));
  }
  for (const Match& m : matches) {
    ASSIGN_OR_RETURN(auto current, LoadCurrent(s, type, m.id));
    RETURN_IF_ERROR(WriteVersion(s, type, m.id, current, nullptr, "DELETE", w).status());
  }
  return static_cast<int>(matches.size());
}

}  // namespace rhip::fhir::internal
