#include "fhir/rest_handler.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/capability_statement.h"
#include "fhir/http_util.h"
#include "fhir/model/structure_model.h"
#include "fhir/operation_handler.h"
#include "fhir/operation_outcome.h"
#include "fhir/patch/patch.h"
#include "fhir/personal_data_access.h"
#include "fhir/search/projection.h"
#include "fhir/search/search_parameters.h"
#include "fhir/search_query.h"
#include "fhir/validate_operation.h"
#include "security/masking.h"

namespace rhip::fhir {
namespace {

struct Request {
  const net::HttpRequest& http;
  std::vector<std::string> segments;  // path below the base, decoded
  std::string base_url;               // absolute, for fullUrl and Location
};

enum class Prefer { kRepresentation, kMinimal, kOperationOutcome };

Prefer PreferReturn(const net::HttpRequest& r) {
  std::string_view p = r.Header("Prefer");
  if (p.find("return=minimal") != std::string_view::npos) return Prefer::kMinimal;
  if (p.find("return=OperationOutcome") != std::string_view::npos) return Prefer::kOperationOutcome;
  return Prefer::kRepresentation;
}

absl::Status CheckAccept(const net::HttpRequest& r, const QueryParams& params) {
  for (const auto& [k, v] : params) {
    if (k == "_format" && v.find("json") == std::string::npos) {
      return MakeError(ErrorKind::kNotAcceptable, "only JSON is supported (_format=json)");
    }
  }
  std::string_view accept = r.Header("Accept");
  if (accept.empty() || accept.find("json") != std::string_view::npos ||
      accept.find("*/*") != std::string_view::npos ||
      accept.find("application/*") != std::string_view::npos) {
    return absl::OkStatus();
  }
  return MakeError(ErrorKind::kNotAcceptable,
                   "this server answers in JSON only (Accept: application/fhir+json)");
}

absl::StatusOr<json::Value> ParseBody(const net::HttpRequest& r) {
  std::string_view ct = r.Header("Content-Type");
  if (!ct.empty() && ct.find("json") == std::string_view::npos) {
    return MakeError(ErrorKind::kUnsupportedMediaType,
                     StrCat("Content-Type '", ct, "' is not supported; send application/fhir+json"));
  }
  if (r.body.empty()) return MakeError(ErrorKind::kInvalid, "the request body is empty");
  auto v = json::Parse(r.body);
  if (!v.ok()) return MakeError(ErrorKind::kInvalid, ToStd(v.status().message()));
  return v;
}

// The response to a successful write or read of one resource.
// Takes the resource by value: its stored JSON moves into the body without a copy.
net::HttpResponse ResourceResponse(int status, StoredResource r, const Request& req,
                                   bool with_location) {
  Prefer prefer = PreferReturn(req.http);
  std::string body;
  if (prefer == Prefer::kRepresentation || req.http.method == "GET") {
    body = std::move(r.json);
  } else if (prefer == Prefer::kOperationOutcome) {
    body = json::Serialize(InformationOutcome(StrCat(
        "operation on ", r.type, "/", r.id, " succeeded; version ", r.version)));
  }
  net::HttpResponse resp = FhirJsonResponse(status, std::move(body));
  if (prefer == Prefer::kMinimal && req.http.method != "GET") resp.headers.clear();
  resp.SetHeader("ETag", FormatETag(r.version));
  resp.SetHeader("Last-Modified", FormatHttpDate(r.last_updated));
  if (with_location) {
    resp.SetHeader("Location", StrCat(req.base_url, "/", r.type, "/", r.id, "/_history/",
                                            r.version));
  }
  return resp;
}

// Appends a Bundle entry whose resource is already-serialized JSON (no re-parse).
void AppendEntry(const StoredResource& r, std::string_view base_url, std::string_view extra,
                 std::string* out) {
  out->append("{\"fullUrl\":");
  json::AppendQuoted(StrCat(base_url, "/", r.type, "/", r.id), out);
  if (!r.json.empty()) out->append(",\"resource\":").append(r.json);
  out->append(extra).append("}");
}

std::string BundleStart(std::string_view type) {
  return StrCat("{\"resourceType\":\"Bundle\",\"type\":\"", type, "\"");
}

void AppendLinks(const std::vector<std::pair<std::string, std::string>>& links, std::string* out) {
  out->append(",\"link\":[");
  for (size_t i = 0; i < links.size(); ++i) {
    if (i) out->push_back(',');
    out->append("{\"relation\":");
    json::AppendQuoted(links[i].first, out);
    out->append(",\"url\":");
    json::AppendQuoted(links[i].second, out);
    out->append("}");
  }
  out->append("]");
}

int HistoryStatus(const StoredResource& r) {
  if (r.method == "POST") return 201;
  if (r.method == "DELETE") return 204;
  return 200;
}

class Dispatcher {
 public:
  Dispatcher(Repository* repo, const Request& req, RequestAccess& access,
             const std::vector<const OperationHandler*>& operations)
      : repo_(repo), req_(req), operations_(operations), access_(access) {}

  absl::StatusOr<net::HttpResponse> Run(const std::string& capability_statement) {
    const auto& seg = req_.segments;
    const std::string& m = req_.http.method;
    ASSIGN_OR_RETURN(params_, ParseQueryParams(req_.http.query));
    RETURN_IF_ERROR(CheckAccept(req_.http, params_));
    if (seg.empty()) {
      if (m == "POST") return Bundle();
      if (m == "GET") return Search("");
      return MethodNotAllowed();
    }
    if (seg.back() == "$validate" && seg.size() <= 3) {
      if (m != "POST") return MethodNotAllowed();
      return Validate(seg.size() == 1 ? "" : seg[0]);
    }
    if (seg.size() == 1 && seg[0] == "_search") {
      if (m != "POST") return MethodNotAllowed();
      return Search("");
    }
    if (seg.size() == 1 && seg[0] == "metadata") {
      if (m != "GET" && m != "HEAD") return MethodNotAllowed();
      return FhirJsonResponse(200, capability_statement);
    }
    if (seg.size() == 1 && seg[0] == "_history") {
      if (m != "GET") return MethodNotAllowed();
      return History("", "");
    }
    const std::string& type = seg[0];
    if (!StructureModel::R4().IsResourceType(type)) {
      return MakeError(ErrorKind::kNotFound, StrCat("unknown resource type '", type, "'"));
    }
    if ((seg.size() == 2 || seg.size() == 3) && seg.back().starts_with("$")) {
      for (const OperationHandler* op : operations_) {
        if (op->Serves(type, seg.back())) return RunOperation(*op);
      }
    }
    if (seg.size() == 1) {
      if (m == "GET") return Search(type);
      if (m == "POST") return Create(type);
      if (m == "PUT") return ConditionalUpdate(type);
      if (m == "DELETE") return ConditionalDelete(type);
      return MethodNotAllowed();
    }
    if (seg.size() == 2 && seg[1] == "_history") {
      if (m != "GET") return MethodNotAllowed();
      return History(type, "");
    }
    if (seg.size() == 2 && seg[1] == "_search") {
      if (m != "POST") return MethodNotAllowed();
      return Search(type);
    }
    const std::string& id = seg[1];
    if (seg.size() == 2) {
      if (m == "GET" || m == "HEAD") return Read(type, id);
      if (m == "PUT") return Update(type, id);
      if (m == "PATCH") return Patch(type, id);
      if (m == "DELETE") return Delete(type, id);
      return MethodNotAllowed();
    }
    if (seg.size() == 3 && seg[2] == "_history") {
      if (m != "GET") return MethodNotAllowed();
      return History(type, id);
    }
    if (type == "Patient" && seg.size() == 3 && seg[2] == "$everything") {
      if (m != "GET") return MethodNotAllowed();
      return Search("", id, /*everything=*/true);
    }
    if (type == "Patient" && seg.size() == 3 && StructureModel::R4().IsResourceType(seg[2])) {
      if (m != "GET") return MethodNotAllowed();
      return Search(seg[2], id);
    }
    if (seg.size() == 4 && seg[2] == "_history") {
      if (m != "GET" && m != "HEAD") return MethodNotAllowed();
      int64_t vid = 0;
      if (!absl::SimpleAtoi(seg[3], &vid)) {
        return MakeError(ErrorKind::kNotFound, StrCat("no version '", seg[3], "'"));
      }
      ASSIGN_OR_RETURN(StoredResource r, repo_->VRead(type, id, vid));
      RETURN_IF_ERROR(CheckReadable(type, id));
      return Respond(200, std::move(r), false);
    }
    return MakeError(ErrorKind::kNotFound, StrCat("no FHIR route for ", req_.http.path));
  }

 private:
  // Masks identifiers when the principal may not see them (security/masking.h).
  absl::Status Mask(StoredResource& r) {
    if (!access_.mask || r.json.empty()) return absl::OkStatus();
    return security::MaskResourceJson(r.type, &r.json);
  }

  absl::StatusOr<net::HttpResponse> Respond(int status, StoredResource r, bool with_location) {
    RETURN_IF_ERROR(Mask(r));
    return ResourceResponse(status, std::move(r), req_, with_location);
  }

  absl::Status MethodNotAllowed() {
    return MakeError(ErrorKind::kMethodNotAllowed,
                     StrCat(req_.http.method, " is not allowed on ", req_.http.path));
  }

  absl::StatusOr<ExpectedVersion> IfMatch() { return ParseETag(req_.http.Header("If-Match")); }

  // A restricted principal reads a resident's data only inside its scope (403 otherwise,
  // after the 404/410 a missing resource gets). Records the resource and its patient.
  absl::Status CheckReadable(const std::string& type, const std::string& id) {
    access_.Touched(type, id);
    if (!access_.restricted()) return NotePatient(type, id);
    if (!IsPersonalDataType(type)) return absl::OkStatus();
    ASSIGN_OR_RETURN(Visibility v, repo_->CheckVisible(type, id, access_.predicate));
    if (!v.visible) return OutsideAccessError(type, id);
    access_.patient = v.patient;
    return absl::OkStatus();
  }

  // The resident a resource belongs to, for the audit record (one indexed lookup; none for a
  // deleted resource).
  absl::Status NotePatient(const std::string& type, const std::string& id) {
    if (type == "Patient") {
      access_.patient = StrCat("Patient/", id);
    } else if (IsPersonalDataType(type)) {
      ASSIGN_OR_RETURN(Visibility v, repo_->CheckVisible(type, id, {}));
      if (v.visible) access_.patient = v.patient;
    }
    return absl::OkStatus();
  }

  // Writes by a restricted principal: the resource as it is now must be in scope (when it
  // exists), and so must the new content.
  absl::Status CheckWritable(const std::string& type, const std::string& id,
                             const json::Value* content) {
    if (!id.empty()) access_.Touched(type, id);
    if (!access_.restricted() || !IsPersonalDataType(type)) return absl::OkStatus();
    if (!id.empty()) {
      ASSIGN_OR_RETURN(Visibility exists, repo_->CheckVisible(type, id, {}));
      if (exists.visible) {
        ASSIGN_OR_RETURN(Visibility v, repo_->CheckVisible(type, id, access_.predicate));
        if (!v.visible) return OutsideAccessError(type, id);
        access_.patient = v.patient;
      }
    }
    if (content == nullptr) return absl::OkStatus();
    return CheckWritableContent(*repo_, *content, access_.scope, access_.predicate);
  }

  // $everything returns only the types the principal may search: a requested _type beyond them
  // is 403; without _type, _type becomes the searchable types of the Patient compartment.
  absl::Status LimitEverythingTypes(QueryParams& params) {
    if (!access_.searchable_types) return absl::OkStatus();
    const std::vector<std::string>& allowed = *access_.searchable_types;
    auto may = [&](std::string_view t) {
      return std::find(allowed.begin(), allowed.end(), t) != allowed.end();
    };
    bool typed = false;
    for (const auto& [k, v] : params) {
      if (k != "_type") continue;
      typed = true;
      for (absl::string_view t : absl::StrSplit(v, ',')) {
        if (!may(ToStd(t))) {
          return MakeError(ErrorKind::kForbidden, StrCat("your permissions do not allow searching ",
                                                         ToStd(t), " (您的权限不允许查询 ", ToStd(t), ")"));
        }
      }
    }
    if (typed) return absl::OkStatus();
    std::string types = may("Patient") ? "Patient" : "";
    for (const std::string& t : search::SearchParamRegistry::Default().PatientCompartmentTypes()) {
      if (t != "Patient" && may(t)) StrAppend(&types, types.empty() ? "" : ",", t);
    }
    params.emplace_back("_type", types.empty() ? "Patient" : types);
    return absl::OkStatus();
  }

  // A patch by a restricted principal must leave the resource in scope, as an update's content
  // must: it is applied here to the current version and the result checked. The resource as
  // it is is checked first, so that a patch (a failing JSON Patch "test", 422 instead of 403)
  // cannot probe a record outside the scope. Returns the version to pin the write to, so the
  // repository writes exactly what was checked (a concurrent change makes it 412).
  absl::StatusOr<ExpectedVersion> CheckPatch(const std::string& type, const std::string& id,
                                             PatchFormat format, const json::Value& patch,
                                             ExpectedVersion expected) {
    RETURN_IF_ERROR(CheckWritable(type, id, nullptr));
    if (!access_.restricted() || !IsPersonalDataType(type)) return expected;
    ASSIGN_OR_RETURN(StoredResource current, repo_->Read(type, id));
    if (expected && *expected != current.version) {
      return MakeError(ErrorKind::kPreconditionFailed,
                       StrCat(type, "/", id, " is at version ", current.version));
    }
    ASSIGN_OR_RETURN(json::Value patched, json::Parse(current.json));
    RETURN_IF_ERROR(format == PatchFormat::kJsonPatch ? ApplyJsonPatch(patch, &patched)
                                                      : ApplyFhirPathPatch(patch, &patched));
    RETURN_IF_ERROR(CheckWritableContent(*repo_, patched, access_.scope, access_.predicate));
    return current.version;
  }

  // A copy masked for a reader without `$unmask` (meta.security MASKED) carries "1101****…"
  // instead of the resident's ID number, phone and address: storing it would overwrite them.
  static absl::Status RefuseMaskedCopy(const json::Value& resource) {
    if (!security::HasMaskedLabel(resource)) return absl::OkStatus();
    return MakeError(ErrorKind::kUnprocessable,
                     "the resource is a masked copy (meta.security MASKED): its identifiers, "
                     "phone numbers and addresses are not the real ones and cannot be written back "
                     "(该资源为脱敏副本，不能回写)");
  }

  absl::Status RefuseConditionalWhenRestricted(const std::string& type) {
    if (!access_.restricted() || !IsPersonalDataType(type)) return absl::OkStatus();
    return MakeError(ErrorKind::kForbidden,
                     StrCat("conditional writes of ", type,
                            " need region-wide access; use the resource's id "
                            "(按条件修改居民数据需要全区域权限，请按 id 修改)"));
  }

  absl::StatusOr<net::HttpResponse> Read(const std::string& type, const std::string& id) {
    ASSIGN_OR_RETURN(StoredResource r, repo_->Read(type, id));
    RETURN_IF_ERROR(CheckReadable(type, id));
    std::string_view inm = req_.http.Header("If-None-Match");
    if (!inm.empty()) {
      auto expected = ParseETag(inm);
      if (expected.ok() && *expected && **expected == r.version) return NotModified(r);
    }
    std::string_view ims = req_.http.Header("If-Modified-Since");
    if (!ims.empty()) {
      auto since = ParseHttpDate(ims);
      // HTTP dates have whole seconds: compare at that precision.
      if (since && r.last_updated / 1000000 <= *since / 1000000) return NotModified(r);
    }
    return Respond(200, std::move(r), false);
  }

  net::HttpResponse NotModified(const StoredResource& r) {
    net::HttpResponse resp;
    resp.status = 304;
    resp.SetHeader("ETag", FormatETag(r.version));
    resp.SetHeader("Last-Modified", FormatHttpDate(r.last_updated));
    return resp;
  }

  absl::StatusOr<net::HttpResponse> Create(const std::string& type) {
    ASSIGN_OR_RETURN(json::Value body, ParseBody(req_.http));
    const std::string* rt = body.FindString("resourceType");
    if (rt == nullptr || *rt != type) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("the body's resourceType must be '", type, "'"));
    }
    std::string_view if_none_exist = req_.http.Header("If-None-Exist");
    RETURN_IF_ERROR(RefuseMaskedCopy(body));
    // A client id on create is ignored, as the specification requires.
    body.as_object().Erase("id");
    if (access_.restricted() && type == "Patient" && body.Find("managingOrganization") == nullptr &&
        access_.scope.own.size() == 1) {
      // A resident registered by a clinic is managed by it unless the request says otherwise.
      json::Object managing;
      managing.Set("reference", StrCat("Organization/", access_.scope.own.front()));
      body.as_object().Set("managingOrganization", std::move(managing));
    }
    RETURN_IF_ERROR(CheckWritable(type, "", &body));
    ASSIGN_OR_RETURN(WriteResult w, repo_->Create(std::move(body), if_none_exist));
    access_.Touched(type, w.resource.id);
    RETURN_IF_ERROR(NotePatient(type, w.resource.id));
    return Respond(w.created ? 201 : 200, std::move(w.resource), true);
  }

  absl::StatusOr<net::HttpResponse> Update(const std::string& type, const std::string& id) {
    ASSIGN_OR_RETURN(json::Value body, ParseBody(req_.http));
    RETURN_IF_ERROR(RefuseMaskedCopy(body));
    ASSIGN_OR_RETURN(ExpectedVersion expected, IfMatch());
    RETURN_IF_ERROR(CheckWritable(type, id, &body));
    ASSIGN_OR_RETURN(WriteResult w, repo_->Update(type, id, std::move(body), expected));
    RETURN_IF_ERROR(NotePatient(type, id));
    return Respond(w.created ? 201 : 200, std::move(w.resource), true);
  }

  absl::StatusOr<net::HttpResponse> ConditionalUpdate(const std::string& type) {
    if (req_.http.query.empty()) {
      return MakeError(ErrorKind::kInvalid, "PUT on a type needs search criteria (conditional update)");
    }
    RETURN_IF_ERROR(RefuseConditionalWhenRestricted(type));
    ASSIGN_OR_RETURN(json::Value body, ParseBody(req_.http));
    RETURN_IF_ERROR(RefuseMaskedCopy(body));
    ASSIGN_OR_RETURN(ExpectedVersion expected, IfMatch());
    ASSIGN_OR_RETURN(WriteResult w,
                     repo_->ConditionalUpdate(type, req_.http.query, std::move(body), expected));
    access_.Touched(type, w.resource.id);
    RETURN_IF_ERROR(NotePatient(type, w.resource.id));
    return Respond(w.created ? 201 : 200, std::move(w.resource), true);
  }

  absl::StatusOr<net::HttpResponse> Patch(const std::string& type, const std::string& id) {
    std::string_view ct = req_.http.Header("Content-Type");
    PatchFormat format;
    if (ct.find("json-patch+json") != std::string_view::npos) {
      format = PatchFormat::kJsonPatch;
    } else if (ct.find("fhir+json") != std::string_view::npos) {
      format = PatchFormat::kFhirPathPatch;
    } else {
      return MakeError(ErrorKind::kUnsupportedMediaType,
                       "PATCH needs Content-Type application/json-patch+json (JSON Patch) or "
                       "application/fhir+json (FHIRPath Patch Parameters)");
    }
    ASSIGN_OR_RETURN(json::Value body, ParseBody(req_.http));
    ASSIGN_OR_RETURN(ExpectedVersion expected, IfMatch());
    ASSIGN_OR_RETURN(expected, CheckPatch(type, id, format, body, expected));
    ASSIGN_OR_RETURN(WriteResult w, repo_->Patch(type, id, format, body, expected));
    RETURN_IF_ERROR(NotePatient(type, id));
    return Respond(200, std::move(w.resource), false);
  }

  absl::StatusOr<net::HttpResponse> Delete(const std::string& type, const std::string& id) {
    ASSIGN_OR_RETURN(ExpectedVersion expected, IfMatch());
    RETURN_IF_ERROR(CheckWritable(type, id, nullptr));
    RETURN_IF_ERROR(NotePatient(type, id));
    ASSIGN_OR_RETURN(WriteResult w, repo_->Delete(type, id, expected));
    net::HttpResponse resp;
    resp.status = 204;
    if (w.changed) resp.SetHeader("ETag", FormatETag(w.resource.version));
    return resp;
  }

  absl::StatusOr<net::HttpResponse> ConditionalDelete(const std::string& type) {
    if (req_.http.query.empty()) {
      return MakeError(ErrorKind::kInvalid, "DELETE on a type needs search criteria");
    }
    RETURN_IF_ERROR(RefuseConditionalWhenRestricted(type));
    RETURN_IF_ERROR(repo_->ConditionalDelete(type, req_.http.query, 1).status());
    net::HttpResponse resp;
    resp.status = 204;
    return resp;
  }

  // POST [base]/$validate, [type]/$validate, [type]/[id]/$validate: always 200 with the issues.
  absl::StatusOr<net::HttpResponse> Validate(const std::string& type) {
    if (!type.empty() && !StructureModel::R4().IsResourceType(type)) {
      return MakeError(ErrorKind::kNotFound, StrCat("unknown resource type '", type, "'"));
    }
    std::string profile;
    for (const auto& [k, v] : params_) {
      if (k == "profile") profile = v;
    }
    json::Value outcome = ValidateOperation(
        req_.http.body, type, profile,
        [this](std::string_view url) { return repo_->FindStructureDefinition(url); });
    return FhirJsonResponse(200, json::Serialize(outcome));
  }

  // [type]/$name and [type]/[id]/$name served by a plugged-in handler: GET with URL
  // parameters, or POST with a body (normally Parameters).
  absl::StatusOr<net::HttpResponse> RunOperation(const OperationHandler& op) {
    const std::string& m = req_.http.method;
    if (m != "GET" && m != "POST") return MethodNotAllowed();
    const auto& seg = req_.segments;
    std::optional<json::Value> body;
    if (m == "POST") {
      ASSIGN_OR_RETURN(body, ParseBody(req_.http));
    }
    OperationCall call{.type = seg[0],
                       .id = seg.size() == 3 ? std::string_view(seg[1]) : std::string_view(),
                       .name = seg.back(),
                       .query = params_,
                       .body = body ? &*body : nullptr};
    if (!call.id.empty()) access_.Touched(call.type, call.id);
    ASSIGN_OR_RETURN(json::Value result, op.Run(call));
    return FhirJsonResponse(200, json::Serialize(result));
  }

  // GET [type]?..., POST [type]/_search, GET /fhir?... (system), Patient/[id]/[type]?...
  // (compartment) and Patient/[id]/$everything.
  absl::StatusOr<net::HttpResponse> Search(const std::string& type,
                                           const std::string& compartment_id = {},
                                           bool everything = false) {
    SearchInput input;
    input.type = type;
    input.params = params_;
    if (req_.http.method == "POST") {
      std::string_view ct = req_.http.Header("Content-Type");
      if (ct.find("application/x-www-form-urlencoded") == std::string_view::npos) {
        return MakeError(ErrorKind::kUnsupportedMediaType,
                         "_search needs application/x-www-form-urlencoded");
      }
      ASSIGN_OR_RETURN(QueryParams form, ParseQueryParams(req_.http.body));
      for (auto& p : form) input.params.push_back(std::move(p));
    }
    input.lenient = req_.http.Header("Prefer").find("handling=lenient") != std::string_view::npos;
    input.compartment_id = compartment_id;
    input.everything = everything;
    input.access = access_.predicate;
    if (!compartment_id.empty()) access_.patient = StrCat("Patient/", compartment_id);
    if (everything) {
      // $everything takes _since (an instant), _type and _count; they map onto the search.
      QueryParams mapped;
      for (auto& [k, v] : input.params) {
        if (k == "_since") {
          mapped.emplace_back("_lastUpdated", StrCat("ge", v));
        } else if (k == "_type" || k == "_count" || k == "_cursor" || k == "_format") {
          mapped.emplace_back(k, v);
        } else {
          return MakeError(ErrorKind::kInvalid, StrCat("$everything does not take '", k, "'"));
        }
      }
      input.params = std::move(mapped);
      RETURN_IF_ERROR(LimitEverythingTypes(input.params));
    }
    ASSIGN_OR_RETURN(SearchResult result, repo_->Search(input));
    const search::SearchRequest& request = result.request;
    // Links repeat what was understood, so a lenient search's links show what was applied.
    std::string path = req_.base_url;
    if (!compartment_id.empty()) StrAppend(&path, "/Patient/", compartment_id);
    if (everything) {
      StrAppend(&path, "/$everything");
    } else if (!type.empty()) {
      StrAppend(&path, "/", type);
    }
    auto link = [&](std::string_view cursor) {
      std::string q;
      for (const auto& [k, v] : request.understood) {
        StrAppend(&q, q.empty() ? "?" : "&", PercentEncode(k), "=", PercentEncode(v));
      }
      if (!cursor.empty()) StrAppend(&q, q.empty() ? "?" : "&", "_cursor=", cursor);
      return StrCat(path, q);
    };
    std::vector<std::pair<std::string, std::string>> links = {
        {"self", link(request.cursor)}};
    if (!result.next_cursor.empty()) links.emplace_back("next", link(result.next_cursor));
    if (!result.prev_cursor.empty()) links.emplace_back("previous", link(result.prev_cursor));
    std::string body = BundleStart("searchset");
    if (result.total) StrAppend(&body, ",\"total\":", *result.total);
    AppendLinks(links, &body);
    body.append(",\"entry\":[");
    bool project = search::NeedsProjection(request.summary, request.elements);
    bool first = true;
    auto add = [&](StoredResource& r, std::string_view mode) -> absl::Status {
      RETURN_IF_ERROR(Mask(r));
      if (project) {
        ASSIGN_OR_RETURN(r.json, search::Project(r.json, request.summary, request.elements));
      }
      if (!first) body.push_back(',');
      first = false;
      AppendEntry(r, req_.base_url, StrCat(",\"search\":{\"mode\":\"", mode, "\"}"), &body);
      return absl::OkStatus();
    };
    for (StoredResource& r : result.matches) {
      access_.Touched(r.type, r.id);
      RETURN_IF_ERROR(add(r, "match"));
    }
    for (StoredResource& r : result.included) {
      access_.Touched(r.type, r.id);
      RETURN_IF_ERROR(add(r, "include"));
    }
    body.append("]}");
    return FhirJsonResponse(200, std::move(body));
  }

  absl::StatusOr<net::HttpResponse> History(const std::string& type, const std::string& id) {
    if (!id.empty()) {
      RETURN_IF_ERROR(CheckReadable(type, id));
    } else if (access_.restricted() && (type.empty() || IsPersonalDataType(type))) {
      // History lists versions across residents, which the scope predicate cannot filter.
      return MakeError(ErrorKind::kForbidden,
                       "history across residents needs region-wide access (跨居民的历史记录需要全区域权限)");
    }
    HistoryRequest hr;
    hr.type = type;
    hr.id = id;
    std::string passthrough;  // _since/_at repeated in paging links
    for (const auto& [k, v] : params_) {
      if (k == "_count") {
        if (!absl::SimpleAtoi(v, &hr.count) || hr.count < 1) {
          return MakeError(ErrorKind::kInvalid, "_count must be a positive integer");
        }
        hr.count = std::min(hr.count, 1000);
      } else if (k == "_since" || k == "_at") {
        auto t = ParseFhirDateTime(v);
        if (!t) return MakeError(ErrorKind::kInvalid, StrCat(k, " must be a FHIR instant"));
        (k == "_since" ? hr.since : hr.at) = *t;
        StrAppend(&passthrough, "&", k, "=", v);
      } else if (k == "_cursor") {
        hr.cursor = v;
      } else if (k != "_format" && k != "_pretty") {
        return MakeError(ErrorKind::kInvalid, StrCat("unsupported history parameter '", k, "'"));
      }
    }
    ASSIGN_OR_RETURN(HistoryPage page, repo_->History(hr));
    std::string path = StrCat(req_.base_url, type.empty() ? "" : "/", type,
                                     id.empty() ? "" : "/", id, "/_history");
    std::vector<std::pair<std::string, std::string>> links = {
        {"self", req_.http.query.empty() ? path : StrCat(path, "?", req_.http.query)}};
    if (!page.next_cursor.empty()) {
      links.emplace_back("next", StrCat(path, "?_count=", hr.count, passthrough,
                                              "&_cursor=", page.next_cursor));
    }
    std::string body = BundleStart("history");
    AppendLinks(links, &body);
    body.append(",\"entry\":[");
    for (size_t i = 0; i < page.entries.size(); ++i) {
      StoredResource& r = page.entries[i];
      RETURN_IF_ERROR(Mask(r));
      if (i) body.push_back(',');
      std::string extra = ",\"request\":{\"method\":";
      json::AppendQuoted(r.method, &extra);
      extra.append(",\"url\":");
      json::AppendQuoted(r.method == "POST" ? r.type : StrCat(r.type, "/", r.id), &extra);
      StrAppend(&extra, "},\"response\":{\"status\":\"", StatusLine(HistoryStatus(r)),
                      "\",\"etag\":\"W/\\\"", r.version, "\\\"\",\"lastModified\":\"",
                      FormatInstant(r.last_updated), "\"}");
      AppendEntry(r, req_.base_url, extra, &body);
    }
    body.append("]}");
    return FhirJsonResponse(200, std::move(body));
  }

  absl::StatusOr<net::HttpResponse> Bundle() {
    ASSIGN_OR_RETURN(json::Value body, ParseBody(req_.http));
    if (const json::Value* entries = body.Find("entry"); entries != nullptr && entries->is_array()) {
      for (const json::Value& entry : entries->as_array()) {
        if (const json::Value* resource = entry.Find("resource")) RETURN_IF_ERROR(RefuseMaskedCopy(*resource));
      }
    }
    if (access_.restricted()) RETURN_IF_ERROR(CheckBundleWrites(body));
    ASSIGN_OR_RETURN(json::Value response,
                     repo_->ProcessBundle(std::move(body), req_.base_url, access_.predicate));
    if (access_.mask) security::MaskResource(response);
    return FhirJsonResponse(200, json::Serialize(response));
  }

  // A restricted principal's Bundle: every write entry is checked as the single write
  // would be, before anything runs. References to entries of the same Bundle (urn:uuid) are
  // refused: whether they lead to a resident in scope is only known once it has run.
  // A PATCH entry is checked on its result like a single PATCH, and pinned to the version
  // checked (request.ifMatch).
  absl::Status CheckBundleWrites(json::Value& bundle) {
    json::Value* entries = bundle.Find("entry");
    if (entries == nullptr || !entries->is_array()) return absl::OkStatus();
    for (json::Value& entry : entries->as_array()) {
      json::Value* request = entry.Find("request");
      const std::string* method = request == nullptr ? nullptr : request->FindString("method");
      const std::string* url = request == nullptr ? nullptr : request->FindString("url");
      if (method == nullptr || url == nullptr || *method == "GET" || *method == "HEAD") continue;
      std::string_view path = *url;
      if (path.starts_with(req_.base_url)) path.remove_prefix(req_.base_url.size());
      while (path.starts_with("/")) path.remove_prefix(1);
      std::string type(path.substr(0, path.find_first_of("/?")));
      if (path.find('?') != std::string_view::npos) {
        RETURN_IF_ERROR(RefuseConditionalWhenRestricted(type));
      }
      std::string id;
      if (size_t slash = path.find('/'); slash != std::string_view::npos && *method != "POST") {
        id = std::string(path.substr(slash + 1, path.find_first_of("/?", slash + 1) - slash - 1));
      }
      const json::Value* resource = entry.Find("resource");
      bool has_content = resource != nullptr && (*method == "POST" || *method == "PUT");
      if (has_content && IsPersonalDataType(type) && ReferencesBundlePlaceholder(*resource)) {
        return MakeError(ErrorKind::kForbidden,
                         "with org-unit restricted access, Bundle entries must reference residents "
                         "by Patient/id, not urn:uuid placeholders (受限访问时请以 Patient/id 引用居民)");
      }
      const std::string* rt = resource == nullptr ? nullptr : resource->FindString("resourceType");
      if (*method == "PATCH" && !id.empty() && rt != nullptr && *rt == "Parameters") {
        const std::string* if_match = request->FindString("ifMatch");
        ASSIGN_OR_RETURN(ExpectedVersion expected, ParseETag(if_match ? *if_match : ""));
        ASSIGN_OR_RETURN(expected, CheckPatch(type, id, PatchFormat::kFhirPathPatch, *resource, expected));
        if (expected) request->as_object().Set("ifMatch", FormatETag(*expected));
        continue;  // `method` and `url` may dangle after Set
      }
      RETURN_IF_ERROR(CheckWritable(type, id, has_content ? resource : nullptr));
    }
    return absl::OkStatus();
  }

  static bool ReferencesBundlePlaceholder(const json::Value& resource) {
    std::string text = json::Serialize(resource);
    return text.find("\"reference\":\"urn:") != std::string::npos;
  }

  Repository* repo_;
  const Request& req_;
  const std::vector<const OperationHandler*>& operations_;
  RequestAccess& access_;
  QueryParams params_;
};

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

RestHandler::RestHandler(Repository* repository, RestOptions options)
    : repository_(repository), options_(std::move(options)) {
  std::vector<OperationInfo> operations;
  for (const OperationHandler* op : options_.operations) {
    for (const OperationInfo& info : op->Operations()) operations.push_back(info);
  }
  capability_statement_ = json::Serialize(
      BuildCapabilityStatement(options_.software_version, options_.public_base_url, operations));
}

net::HttpResponse RestHandler::Handle(const net::HttpRequest& request,
                                      RequestAccess& access) const {
  Request req{request, {}, {}};
  std::string_view path = request.path;
  path.remove_prefix(std::min(path.size(), options_.base_path.size()));
  req.segments = SplitPath(path);
  req.base_url = options_.public_base_url;
  if (req.base_url.empty()) {
    std::string_view host = request.Header("Host");
    req.base_url = StrCat("http://", host.empty() ? "localhost" : host, options_.base_path);
  }
  Dispatcher d(repository_, req, access, options_.operations);
  absl::StatusOr<net::HttpResponse> resp = d.Run(capability_statement_);
  if (!resp.ok()) return ErrorHttpResponse(resp.status());
  if (request.method == "HEAD") resp->body.clear();
  return *std::move(resp);
}

std::string RestHandler::RouteLabel(const net::HttpRequest& request, std::string_view base_path) {
  std::string_view path = request.path;
  path.remove_prefix(std::min(path.size(), base_path.size()));
  std::vector<std::string> seg = SplitPath(path);
  std::string label(base_path);
  for (size_t i = 0; i < seg.size() && i < 4; ++i) {
    const std::string& s = seg[i];
    if (s == "metadata" || s == "_history" || s == "_search" || s.starts_with("$")) {
      StrAppend(&label, "/", s);
    } else {
      // Patient/{id}/Observation (compartment search) is labelled {type} again.
      StrAppend(&label, i == 0 || (i == 2 && StructureModel::R4().IsResourceType(s))
                            ? "/{type}"
                            : (i == 1 ? "/{id}" : "/{vid}"));
    }
  }
  return label;
}

net::HttpResponse ErrorHttpResponse(const absl::Status& status) {
  ErrorResponse err = ErrorResponseFor(status);
  net::HttpResponse resp = FhirJsonResponse(err.http_status, json::Serialize(err.outcome));
  if (err.http_status == 503) resp.SetHeader("Retry-After", "1");
  // RFC 6750 §3: a 401 names the scheme the client must use.
  if (err.http_status == 401) resp.SetHeader("WWW-Authenticate", "Bearer realm=\"rhip\"");
  if (err.http_status == 405) resp.SetHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE");
  return resp;
}

}  // namespace rhip::fhir
