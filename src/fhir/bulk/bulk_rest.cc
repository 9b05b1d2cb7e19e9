#include "fhir/bulk/bulk_rest.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/bulk/importer.h"
#include "fhir/operation_outcome.h"
#include "fhir/rest_handler.h"

namespace rhip::fhir::bulk {
namespace {

namespace fs = std::filesystem;

enum class Route { kNone, kExport, kStatus, kFile, kImport };

struct Parsed {
  Route route = Route::kNone;
  ExportLevel level = ExportLevel::kSystem;
  std::string id;    // group id, job id
  std::string name;  // file name
};

Parsed ParseRoute(std::string_view path, std::string_view base_path) {
  Parsed p;
  if (!path.starts_with(base_path) || path.size() <= base_path.size() ||
      path[base_path.size()] != '/') {
    return p;
  }
  std::vector<std::string> seg =
      absl::StrSplit(ToAbsl(path.substr(base_path.size() + 1)), '/', absl::SkipEmpty());
  if (seg.size() == 1 && seg[0] == "$export") {
    p.route = Route::kExport;
  } else if (seg.size() == 2 && seg[0] == "Patient" && seg[1] == "$export") {
    p.route = Route::kExport;
    p.level = ExportLevel::kPatient;
  } else if (seg.size() == 3 && seg[0] == "Group" && seg[2] == "$export") {
    p.route = Route::kExport;
    p.level = ExportLevel::kGroup;
    p.id = seg[1];
  } else if (seg.size() == 2 && seg[0] == "$bulk-status") {
    p.route = Route::kStatus;
    p.id = seg[1];
  } else if (seg.size() == 3 && seg[0] == "$bulk-file") {
    p.route = Route::kFile;
    p.id = seg[1];
    p.name = seg[2];
  } else if (seg.size() == 1 && seg[0] == "$import") {
    p.route = Route::kImport;
  }
  return p;
}

// Job ids and file names are ours: letters, digits, '-', '.', never "..".
bool IsSafeName(std::string_view s) {
  if (s.empty() || s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

net::HttpResponse Accepted(std::string_view status_url, std::string_view message) {
  net::HttpResponse r;
  r.status = 202;
  r.SetHeader("Content-Location", status_url);
  r.SetHeader("Content-Type", "application/fhir+json; charset=utf-8");
  r.body = json::Serialize(InformationOutcome(message));
  return r;
}

absl::Status RequireAsync(const net::HttpRequest& req) {
  if (req.Header("Prefer").find("respond-async") == std::string_view::npos) {
    return MakeError(ErrorKind::kInvalid, "bulk operations need the header Prefer: respond-async");
  }
  return absl::OkStatus();
}

// The url values of a $import Parameters body: files or directories under import_dir.
absl::StatusOr<std::vector<std::string>> ImportInputs(std::string_view body,
                                                      const std::string& import_dir) {
  ASSIGN_OR_RETURN(json::Value params, json::Parse(body));
  const std::string* rt = params.FindString("resourceType");
  const json::Value* list = params.Find("parameter");
  if (rt == nullptr || *rt != "Parameters" || list == nullptr || !list->is_array()) {
    return MakeError(ErrorKind::kInvalid, "$import needs a Parameters body");
  }
  std::error_code ec;
  fs::path root = fs::weakly_canonical(import_dir, ec);
  std::vector<std::string> inputs;
  for (const json::Value& p : list->as_array()) {
    const std::string* name = p.FindString("name");
    if (name == nullptr || *name != "input") continue;
    const json::Value* parts = p.Find("part");
    if (parts == nullptr || !parts->is_array()) continue;
    for (const json::Value& part : parts->as_array()) {
      const std::string* pn = part.FindString("name");
      if (pn == nullptr || *pn != "url") continue;
      const std::string* url = part.FindString("valueUrl");
      if (url == nullptr) url = part.FindString("valueUri");
      if (url == nullptr) url = part.FindString("valueString");
      if (url == nullptr) return MakeError(ErrorKind::kInvalid, "$import input url has no value");
      std::string_view u = *url;
      if (u.starts_with("file://")) u.remove_prefix(7);
      if (u.find("://") != std::string_view::npos) {
        return MakeError(ErrorKind::kNotSupported,
                         StrCat("$import reads files under the data directory's import/ folder, "
                                "not URLs: '", *url, "'"));
      }
      fs::path path = fs::path(u).is_absolute() ? fs::path(u) : root / fs::path(u);
      fs::path canonical = fs::weakly_canonical(path, ec);
      std::string c = canonical.string();
      if (ec || !(c == root.string() || c.starts_with(root.string() + "/"))) {
        return MakeError(ErrorKind::kInvalid, StrCat("$import input '", *url, "' is outside ", import_dir));
      }
      if (!fs::exists(canonical, ec)) {
        return MakeError(ErrorKind::kInvalid, StrCat("$import input '", *url, "' does not exist"));
      }
      inputs.push_back(c);
    }
  }
  if (inputs.empty()) return MakeError(ErrorKind::kInvalid, "$import needs at least one input url");
  return ListImportFiles(inputs);
}

}  // namespace

BulkRestHandler::BulkRestHandler(BulkService* service, Repository* repository,
                                 BulkRestOptions options)
    : service_(service), repository_(repository), options_(std::move(options)) {}

std::string BulkRestHandler::RouteLabel(const net::HttpRequest& request) const {
  Parsed p = ParseRoute(request.path, options_.base_path);
  switch (p.route) {
    case Route::kNone:
      return "";
    case Route::kExport:
      return StrCat(options_.base_path,
                    p.level == ExportLevel::kSystem    ? "/$export"
                    : p.level == ExportLevel::kPatient ? "/Patient/$export"
                                                       : "/Group/{id}/$export");
    case Route::kStatus:
      return StrCat(options_.base_path, "/$bulk-status/{id}");
    case Route::kFile:
      return StrCat(options_.base_path, "/$bulk-file/{id}/{name}");
    case Route::kImport:
      return StrCat(options_.base_path, "/$import");
  }
  return "";
}

std::optional<net::HttpResponse> BulkRestHandler::Handle(const net::HttpRequest& req) const {
  Parsed p = ParseRoute(req.path, options_.base_path);
  if (p.route == Route::kNone) return std::nullopt;
  std::string base = options_.public_base_url;
  if (base.empty()) {
    std::string_view host = req.Header("Host");
    base = StrCat("http://", host.empty() ? "localhost" : host, options_.base_path);
  }
  std::string_view origin(base);
  if (origin.ends_with(options_.base_path)) origin.remove_suffix(options_.base_path.size());
  std::string request_url = StrCat(origin, req.target);
  auto fail = [](const absl::Status& st) { return ErrorHttpResponse(st); };
  auto method_is = [&](std::string_view m) { return req.method == m; };

  switch (p.route) {
    case Route::kNone:
      break;
    case Route::kExport: {
      if (!method_is("GET")) return fail(MakeError(ErrorKind::kMethodNotAllowed, "$export is GET"));
      if (absl::Status st = RequireAsync(req); !st.ok()) return fail(st);
      absl::StatusOr<ExportParams> params = ParseExportQuery(p.level, p.id, req.query);
      if (!params.ok()) return fail(params.status());
      if (p.level == ExportLevel::kGroup) {
        absl::StatusOr<StoredResource> group = repository_->Read("Group", p.id);
        if (!group.ok()) return fail(group.status());
      }
      absl::StatusOr<std::string> id = service_->SubmitExport(*params, request_url, base);
      if (!id.ok()) return fail(id.status());
      return Accepted(StrCat(base, "/$bulk-status/", *id), StrCat("export job ", *id, " accepted"));
    }
    case Route::kImport: {
      if (!method_is("POST")) return fail(MakeError(ErrorKind::kMethodNotAllowed, "$import is POST"));
      if (absl::Status st = RequireAsync(req); !st.ok()) return fail(st);
      absl::StatusOr<std::vector<std::string>> files = ImportInputs(req.body, service_->import_dir());
      if (!files.ok()) return fail(files.status());
      absl::StatusOr<std::string> id = service_->SubmitImport(*files, request_url, base);
      if (!id.ok()) return fail(id.status());
      return Accepted(StrCat(base, "/$bulk-status/", *id), StrCat("import job ", *id, " accepted"));
    }
    case Route::kStatus: {
      if (!IsSafeName(p.id)) return fail(MakeError(ErrorKind::kNotFound, "no such bulk job"));
      if (method_is("DELETE")) {
        absl::Status st = service_->Cancel(p.id);
        if (!st.ok()) return fail(st);
        net::HttpResponse r;
        r.status = 202;
        r.SetHeader("Content-Type", "application/fhir+json; charset=utf-8");
        r.body = json::Serialize(InformationOutcome(StrCat("bulk job ", p.id, " deleted")));
        return r;
      }
      if (!method_is("GET")) {
        return fail(MakeError(ErrorKind::kMethodNotAllowed, "the status URL takes GET or DELETE"));
      }
      absl::StatusOr<Job> job = service_->Get(p.id);
      if (!job.ok()) return fail(job.status());
      net::HttpResponse r;
      if (job->status == kStatusCompleted) {
        r.SetHeader("Content-Type", "application/json; charset=utf-8");
        r.body = job->result;
      } else if (job->status == kStatusFailed) {
        r.status = 500;
        r.SetHeader("Content-Type", "application/fhir+json; charset=utf-8");
        r.body = job->result;
      } else {
        r.status = 202;
        r.SetHeader("X-Progress", service_->Progress(*job));
        r.SetHeader("Retry-After", "1");
      }
      return r;
    }
    case Route::kFile: {
      if (!method_is("GET")) return fail(MakeError(ErrorKind::kMethodNotAllowed, "files are GET"));
      if (!IsSafeName(p.id) || !IsSafeName(p.name) ||
          !(p.name.ends_with(".ndjson"))) {
        return fail(MakeError(ErrorKind::kNotFound, "no such bulk file"));
      }
      absl::StatusOr<Job> job = service_->Get(p.id);
      if (!job.ok()) return fail(job.status());
      if (job->status != kStatusCompleted) {
        return fail(MakeError(ErrorKind::kNotFound, "the bulk job has not completed"));
      }
      std::string path = StrCat(service_->JobDir(p.id), "/", p.name);
      std::error_code ec;
      if (!fs::is_regular_file(path, ec)) return fail(MakeError(ErrorKind::kNotFound, "no such bulk file"));
      net::HttpResponse r;
      r.SetHeader("Content-Type", "application/fhir+ndjson");
      r.body_file = std::move(path);
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace rhip::fhir::bulk
