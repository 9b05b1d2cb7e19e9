#include "fhir/bulk/exporter.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/search/search_parameters.h"
#include "fhir/operation_outcome.h"
#include "fhir/search_query.h"

namespace rhip::fhir::bulk {
namespace {

constexpr int kCompartmentPage = 1000;  // the search API's largest page

bool IsTypeName(std::string_view t) {
  if (t.empty() || t[0] < 'A' || t[0] > 'Z') return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

bool IsNdjsonFormat(std::string_view f) {
  return f == "application/fhir+ndjson" || f == "application/ndjson" || f == "ndjson";
}

// The export's writers, one per type, opened on first use.
class Output {
 public:
  Output(std::string dir, int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}

  absl::Status Write(const std::string& type, std::string_view json) {
    auto& w = writers_[type];
    if (!w) w = std::make_unique<NdjsonWriter>(dir_, type, max_bytes_);
    return w->Write(json);
  }

  // A problem that does not fail the export: one OperationOutcome line in the error file.
  absl::Status Note(std::string_view message) {
    json::Value oo = ErrorResponseFor(MakeError(ErrorKind::kNotSupported, message)).outcome;
    if (!errors_) errors_ = std::make_unique<NdjsonWriter>(dir_, "OperationOutcome", max_bytes_);
    return errors_->Write(json::Serialize(oo));
  }

  absl::StatusOr<ExportResult> Finish() {
    ExportResult r;
    for (auto& [type, w] : writers_) {
      RETURN_IF_ERROR(w->Close());
      r.files.insert(r.files.end(), w->files().begin(), w->files().end());
    }
    if (errors_) {
      RETURN_IF_ERROR(errors_->Close());
      r.errors = errors_->files();
    }
    return r;
  }

 private:
  std::string dir_;
  int64_t max_bytes_;
  std::map<std::string, std::unique_ptr<NdjsonWriter>> writers_;  // ordered: stable manifest
  std::unique_ptr<NdjsonWriter> errors_;
};

class Exporter {
 public:
  Exporter(db::Database& db, Repository& repo, const ExportParams& p, const std::string& dir,
           const ExportOptions& o)
      : db_(db), repo_(repo), p_(p), o_(o), out_(dir, o.max_file_bytes) {}

  absl::StatusOr<ExportResult> Run() {
    ASSIGN_OR_RETURN(std::vector<std::string> stored, StoredTypes());
    for (const std::string& t : stored) {
      if (p_.types.empty() || std::find(p_.types.begin(), p_.types.end(), t) != p_.types.end()) {
        wanted_.insert(t);
      }
    }
    switch (p_.level) {
      case ExportLevel::kSystem:
        for (const std::string& t : wanted_) {
          RETURN_IF_ERROR(ScanType(t, [&](int64_t, const std::string& body) {
            return Emit(t, body);
          }));
        }
        break;
      case ExportLevel::kPatient:
        RETURN_IF_ERROR(ScanType("Patient", [&](int64_t, const std::string& body) {
          ASSIGN_OR_RETURN(json::Value patient, json::Parse(body));
          const std::string* id = patient.FindString("id");
          return id == nullptr ? absl::OkStatus() : ExportCompartment(*id);
        }, /*apply_since=*/false));
        break;
      case ExportLevel::kGroup:
        RETURN_IF_ERROR(ExportGroup());
        break;
    }
    return out_.Finish();
  }

 private:
  absl::Status CheckCancel() {
    if (o_.cancel != nullptr && o_.cancel->load()) return absl::CancelledError("export cancelled");
    return absl::OkStatus();
  }

  absl::Status Emit(const std::string& type, std::string_view body) {
    RETURN_IF_ERROR(out_.Write(type, body));
    if (++exported_ % 1000 == 0 && o_.on_progress) o_.on_progress(exported_);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> StoredTypes() {
    std::vector<std::string> types;
    RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       s.Query("SELECT DISTINCT type FROM resource WHERE deleted = 0 ORDER BY type"));
      types.clear();
      for (const db::Row& r : rows) types.push_back(r.Text(0));
      return absl::OkStatus();
    }));
    return types;
  }

  // Current resources of one type in rk order, one read transaction per page (keyset paging:
  // no transaction stays open for the whole export, and a page costs the same at any depth).
  template <typename Fn>
  absl::Status ScanType(const std::string& type, Fn fn, bool apply_since = true) {
    int64_t after = 0;
    Micros since = apply_since && p_.since ? *p_.since : std::numeric_limits<Micros>::min();
    while (true) {
      RETURN_IF_ERROR(CheckCancel());
      db::Rows rows;
      RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(rows, s.Query("SELECT r.rk, v.body FROM resource r JOIN resource_version v"
                                       " ON v.rk = r.rk AND v.version = r.version"
                                       " WHERE r.type = :type AND r.deleted = 0 AND r.rk > :after"
                                       " AND r.last_updated > :since ORDER BY r.rk LIMIT :limit",
                                       {{"type", type},
                                        {"after", after},
                                        {"since", since},
                                        {"limit", int64_t{o_.page_size}}}));
        return absl::OkStatus();
      }));
      for (const db::Row& r : rows) {
        after = r.Int(0);
        if (!r.IsNull(1)) RETURN_IF_ERROR(fn(after, r.Text(1)));
      }
      if (rows.size() < static_cast<size_t>(o_.page_size)) return absl::OkStatus();
    }
  }

  bool Newer(const StoredResource& r) const { return !p_.since || r.last_updated > *p_.since; }

  absl::Status EmitOnce(const StoredResource& r) {
    if (!seen_.insert(StrCat(r.type, "/", r.id)).second || !Newer(r)) return absl::OkStatus();
    return Emit(r.type, r.json);
  }

  // The patient and every resource in its compartment, each resource once per export.
  absl::Status ExportCompartment(const std::string& patient_id) {
    RETURN_IF_ERROR(CheckCancel());
    if (wanted_.count("Patient") != 0) {
      absl::StatusOr<StoredResource> patient = repo_.Read("Patient", patient_id);
      if (patient.ok()) {
        RETURN_IF_ERROR(EmitOnce(*patient));
      } else if (KindOf(patient.status()) != ErrorKind::kNotFound &&
                 KindOf(patient.status()) != ErrorKind::kGone) {
        return patient.status();
      }
    }
    // One compartment search per type (all its linking parameters at once), page by page.
    const search::SearchParamRegistry& registry = search::SearchParamRegistry::Default();
    for (const std::string& type : registry.PatientCompartmentTypes()) {
      if (type == "Patient" || wanted_.count(type) == 0) continue;
      SearchInput input;
      input.type = type;
      input.compartment_id = patient_id;
      std::string cursor;
      do {
        input.params = {{"_count", std::to_string(kCompartmentPage)}, {"_total", "none"}};
        if (!cursor.empty()) input.params.emplace_back("_cursor", cursor);
        ASSIGN_OR_RETURN(SearchResult page, repo_.Search(input));
        for (const StoredResource& r : page.matches) RETURN_IF_ERROR(EmitOnce(r));
        cursor = std::move(page.next_cursor);
        RETURN_IF_ERROR(CheckCancel());
      } while (!cursor.empty());
    }
    return absl::OkStatus();
  }

  absl::Status ExportGroup() {
    ASSIGN_OR_RETURN(StoredResource group, repo_.Read("Group", p_.group_id));
    ASSIGN_OR_RETURN(json::Value g, json::Parse(group.json));
    const json::Value* members = g.Find("member");
    if (members == nullptr || !members->is_array()) return absl::OkStatus();
    for (const json::Value& m : members->as_array()) {
      const json::Value* inactive = m.Find("inactive");
      if (inactive != nullptr && inactive->is_bool() && inactive->as_bool()) continue;
      const json::Value* entity = m.Find("entity");
      const std::string* ref = entity == nullptr ? nullptr : entity->FindString("reference");
      if (ref == nullptr) continue;
      // "Patient/123" or an absolute URL ending in it; other member types have no compartment.
      size_t slash = ref->rfind('/');
      if (slash == std::string::npos) continue;
      std::string_view head = std::string_view(*ref).substr(0, slash);
      if (head != "Patient" && !head.ends_with("/Patient")) continue;
      RETURN_IF_ERROR(ExportCompartment(ref->substr(slash + 1)));
    }
    return absl::OkStatus();
  }

  db::Database& db_;
  Repository& repo_;
  const ExportParams& p_;
  const ExportOptions& o_;
  Output out_;
  std::set<std::string> wanted_;
  std::set<std::string> seen_;  // Type/id already written (compartments overlap)
  int64_t exported_ = 0;
};

}  // namespace

json::Value ExportParams::ToJson() const {
  json::Object o;
  o.Set("level", level == ExportLevel::kSystem    ? "system"
                 : level == ExportLevel::kPatient ? "patient"
                                                  : "group");
  if (!group_id.empty()) o.Set("group", group_id);
  json::Array t;
  for (const std::string& s : types) t.push_back(json::Value(s));
  o.Set("types", std::move(t));
  if (since) o.Set("since", *since);
  return json::Value(std::move(o));
}

absl::StatusOr<ExportParams> ExportParams::FromJson(const json::Value& v) {
  ExportParams p;
  const std::string* level = v.FindString("level");
  if (level == nullptr) return MakeError(ErrorKind::kInternal, "stored export job has no level");
  p.level = *level == "system"    ? ExportLevel::kSystem
            : *level == "patient" ? ExportLevel::kPatient
                                  : ExportLevel::kGroup;
  if (const std::string* g = v.FindString("group")) p.group_id = *g;
  if (const json::Value* t = v.Find("types"); t != nullptr && t->is_array()) {
    for (const json::Value& s : t->as_array()) {
      if (s.is_string()) p.types.push_back(s.as_string());
    }
  }
  if (const json::Value* s = v.Find("since"); s != nullptr) p.since = s->AsInt64();
  return p;
}

absl::StatusOr<ExportParams> ParseExportQuery(ExportLevel level, std::string group_id,
                                              std::string_view query) {
  ExportParams p;
  p.level = level;
  p.group_id = std::move(group_id);
  ASSIGN_OR_RETURN(QueryParams params, ParseQueryParams(query));
  for (auto& [name, value] : params) {
    if (name == "_outputFormat") {
      if (!IsNdjsonFormat(value)) {
        return MakeError(ErrorKind::kInvalid,
                         StrCat("_outputFormat '", value, "' is not supported; use application/fhir+ndjson"));
      }
    } else if (name == "_type") {
      for (absl::string_view piece : absl::StrSplit(ToAbsl(value), ',')) {
        std::string_view t = ToStd(absl::StripAsciiWhitespace(piece));
        if (!IsTypeName(t)) return MakeError(ErrorKind::kInvalid, StrCat("_type: bad type '", t, "'"));
        p.types.emplace_back(t);
      }
    } else if (name == "_since") {
      // An unencoded '+' in a time zone arrives as a space.
      std::replace(value.begin(), value.end(), ' ', '+');
      std::optional<Micros> t = ParseFhirDateTime(value);
      if (!t) return MakeError(ErrorKind::kInvalid, StrCat("_since: not an instant: '", value, "'"));
      p.since = t;
    } else if (name == "_typeFilter" || name == "_elements" || name == "includeAssociatedData") {
      // Optional in the specification; refusing beats silently exporting something else.
      return MakeError(ErrorKind::kNotSupported, StrCat(name, " is not supported"));
    }
  }
  return p;
}

absl::StatusOr<ExportResult> RunExport(db::Database& db, Repository& repository,
                                       const ExportParams& params, const std::string& dir,
                                       const ExportOptions& options) {
  Exporter e(db, repository, params, dir, options);
  return e.Run();
}

}  // namespace rhip::fhir::bulk
