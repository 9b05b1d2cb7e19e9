#include "registry/patient_index_rest.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/http_util.h"
#include "fhir/personal_data_access.h"
#include "fhir/rest_handler.h"
#include "fhir/search_query.h"
#include "security/masking.h"

namespace rhip::registry {
namespace {

constexpr int kDefaultMatchCount = 10;
constexpr int kMaxCount = 200;

// The named parameter of a Parameters resource, or nullptr.
const json::Value* Param(const json::Value& params, std::string_view name) {
  const json::Value* list = params.Find("parameter");
  if (list == nullptr || !list->is_array()) return nullptr;
  for (const json::Value& p : list->as_array()) {
    const std::string* n = p.is_object() ? p.FindString("name") : nullptr;
    if (n != nullptr && *n == name) return &p;
  }
  return nullptr;
}

absl::StatusOr<json::Value> ParseParameters(const net::HttpRequest& req) {
  absl::StatusOr<json::Value> body = json::Parse(req.body);
  const std::string* type =
      body.ok() && body->is_object() ? body->FindString("resourceType") : nullptr;
  if (type == nullptr || *type != "Parameters") {
    return MakeError(ErrorKind::kInvalid, "the body must be a FHIR Parameters resource");
  }
  return *std::move(body);
}

// A Patient id from a valueReference ("Patient/ID") or valueString parameter.
absl::StatusOr<std::string> PatientParam(const json::Value& params, std::string_view name) {
  const json::Value* p = Param(params, name);
  const json::Value* ref = p != nullptr ? p->Find("valueReference") : nullptr;
  const std::string* text = ref != nullptr && ref->is_object() ? ref->FindString("reference")
                            : p != nullptr                     ? p->FindString("valueString")
                                                               : nullptr;
  if (text == nullptr || text->empty()) {
    return MakeError(ErrorKind::kInvalid, StrCat("parameter '", name, "' (a Patient reference) is required"));
  }
  std::string_view id = *text;
  if (id.starts_with("Patient/")) id.remove_prefix(8);
  if (id.empty() || id.find('/') != std::string_view::npos) {
    return MakeError(ErrorKind::kInvalid, StrCat("parameter '", name, "' must reference a Patient"));
  }
  return std::string(id);
}

std::string StringParam(const json::Value& params, std::string_view name) {
  const json::Value* p = Param(params, name);
  const std::string* s = p != nullptr ? p->FindString("valueString") : nullptr;
  if (s == nullptr && p != nullptr) s = p->FindString("valueCode");
  return s != nullptr ? *s : std::string();
}

// An integer parameter value (valueInteger), or nullopt.
std::optional<int64_t> IntegerOf(const json::Value* p) {
  const json::Value* v = p != nullptr ? p->Find("valueInteger") : nullptr;
  int64_t n = 0;
  if (v == nullptr || !v->is_number() || !absl::SimpleAtoi(v->as_number().text, &n)) return std::nullopt;
  return n;
}

json::Value Decimal(double d) { return json::Value(json::Number{absl::StrFormat("%.6f", d)}); }

json::Value Part(std::string_view name, std::string_view value_type, json::Value value) {
  json::Object part;
  part.Set("name", std::string(name));
  part.Set(value_type, std::move(value));
  return json::Value(std::move(part));
}

json::Value Reference(std::string_view type, std::string_view id) {
  json::Object ref;
  ref.Set("reference", StrCat(type, "/", id));
  return json::Value(std::move(ref));
}

net::HttpResponse Json(int status, const json::Value& body) {
  return fhir::FhirJsonResponse(status, json::Serialize(body));
}

json::Value ParametersOf(json::Array parameters) {
  json::Object out;
  out.Set("resourceType", "Parameters");
  out.Set("parameter", json::Value(std::move(parameters)));
  return json::Value(std::move(out));
}

json::Value EventParameters(const LinkEvent& e) {
  json::Array parts;
  parts.push_back(Part("id", "valueInteger", json::Value(e.id)));
  parts.push_back(Part("time", "valueInstant", json::Value(FormatInstant(e.time))));
  parts.push_back(Part("actor", "valueString", json::Value(e.actor)));
  parts.push_back(Part("action", "valueCode", json::Value(e.action)));
  parts.push_back(Part("patient", "valueReference", Reference("Patient", e.patient_id)));
  if (!e.other_id.empty()) parts.push_back(Part("other", "valueReference", Reference("Patient", e.other_id)));
  if (!e.person_before.empty()) {
    parts.push_back(Part("personBefore", "valueReference", Reference("Person", e.person_before)));
  }
  if (!e.person_after.empty()) {
    parts.push_back(Part("personAfter", "valueReference", Reference("Person", e.person_after)));
  }
  parts.push_back(Part("probability", "valueDecimal", Decimal(e.probability)));
  if (!e.reason.empty()) parts.push_back(Part("reason", "valueString", json::Value(e.reason)));
  if (e.undo_of != 0) parts.push_back(Part("undoes", "valueInteger", json::Value(e.undo_of)));
  json::Object event;
  event.Set("name", "event");
  event.Set("part", json::Value(std::move(parts)));
  return json::Value(std::move(event));
}

json::Value ReviewParameters(const ReviewItem& r) {
  json::Array parts;
  parts.push_back(Part("id", "valueInteger", json::Value(r.id)));
  parts.push_back(Part("patient", "valueReference", Reference("Patient", r.patient_id)));
  parts.push_back(Part("candidate", "valueReference", Reference("Patient", r.candidate_id)));
  parts.push_back(Part("probability", "valueDecimal", Decimal(r.probability)));
  parts.push_back(Part("status", "valueCode", json::Value(r.status)));
  parts.push_back(Part("created", "valueInstant", json::Value(FormatInstant(r.created))));
  if (!r.decided_by.empty()) {
    parts.push_back(Part("decidedBy", "valueString", json::Value(r.decided_by)));
    parts.push_back(Part("decidedAt", "valueInstant", json::Value(FormatInstant(r.decided_at))));
    parts.push_back(Part("reason", "valueString", json::Value(r.reason)));
  }
  json::Object item;
  item.Set("name", "review");
  item.Set("part", json::Value(std::move(parts)));
  return json::Value(std::move(item));
}

std::string_view MatchGrade(mpi::Decision d) {
  return d == mpi::Decision::kLink ? "certain" : d == mpi::Decision::kReview ? "possible" : "certainly-not";
}

class Operation {
 public:
  Operation(PatientIndex* index, fhir::Repository* repo, const net::HttpRequest& req,
            fhir::RequestAccess& access)
      : index_(index), repo_(repo), req_(req), access_(access) {}

  absl::StatusOr<net::HttpResponse> Run(std::string_view op, std::string_view id) {
    const std::string& m = req_.method;
    if (op == "$mpi-history") {
      if (m != "GET") return MethodNotAllowed();
      return History(id);
    }
    if (op == "$match") return m == "POST" ? Match() : MethodNotAllowed();
    if (op == "$ihe-pix") return m == "GET" ? Pix() : MethodNotAllowed();
    if (op == "$mpi-review") {
      if (m == "GET") return ListReviews();
      if (m == "POST") return DecideReview();
      return MethodNotAllowed();
    }
    if (m != "POST") return MethodNotAllowed();
    ASSIGN_OR_RETURN(json::Value params, ParseParameters(req_));
    Steward who{access_.actor, StringParam(params, "reason")};
    if (op == "$mpi-link") {
      ASSIGN_OR_RETURN(std::string a, PatientParam(params, "patient"));
      ASSIGN_OR_RETURN(std::string b, PatientParam(params, "other"));
      RETURN_IF_ERROR(CheckInScope(a));
      RETURN_IF_ERROR(CheckInScope(b));
      return EventResponse(index_->Link(a, b, who));
    }
    if (op == "$mpi-unlink") {
      ASSIGN_OR_RETURN(std::string a, PatientParam(params, "patient"));
      RETURN_IF_ERROR(CheckInScope(a));
      return EventResponse(index_->Unlink(a, who));
    }
    if (op == "$merge") {
      ASSIGN_OR_RETURN(std::string source, PatientParam(params, "source-patient"));
      ASSIGN_OR_RETURN(std::string target, PatientParam(params, "target-patient"));
      RETURN_IF_ERROR(CheckInScope(source));
      RETURN_IF_ERROR(CheckInScope(target));
      return EventResponse(index_->Merge(source, target, who));
    }
    // $unmerge: it changes the merge's target too, so both must be in scope.
    ASSIGN_OR_RETURN(std::string source, PatientParam(params, "source-patient"));
    RETURN_IF_ERROR(CheckInScope(source));
    ASSIGN_OR_RETURN(std::vector<LinkEvent> events, index_->History(source));
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      bool undone = std::any_of(events.begin(), events.end(),
                                [&](const LinkEvent& e) { return e.undo_of == it->id; });
      if (it->action == "merge" && it->patient_id == source && !undone) {
        RETURN_IF_ERROR(CheckInScope(it->other_id));
        break;
      }
    }
    return EventResponse(index_->Unmerge(source, who));
  }

 private:
  absl::Status MethodNotAllowed() {
    return MakeError(ErrorKind::kMethodNotAllowed,
                     StrCat(req_.method, " is not allowed on ", req_.path));
  }

  // A restricted caller acts only on residents it may see (403 otherwise); the audit record
  // names every Patient touched.
  absl::Status CheckInScope(const std::string& patient_id) {
    access_.Touched("Patient", patient_id);
    if (access_.patient.empty()) access_.patient = StrCat("Patient/", patient_id);
    if (!access_.restricted()) return absl::OkStatus();
    ASSIGN_OR_RETURN(fhir::Visibility v, repo_->CheckVisible("Patient", patient_id, access_.predicate));
    if (!v.visible) return fhir::OutsideAccessError("Patient", patient_id);
    return absl::OkStatus();
  }

  bool Visible(const std::string& patient_id) {
    if (!access_.restricted()) return true;
    absl::StatusOr<fhir::Visibility> v = repo_->CheckVisible("Patient", patient_id, access_.predicate);
    return v.ok() && v->visible;
  }

  absl::StatusOr<net::HttpResponse> EventResponse(absl::StatusOr<LinkEvent> event) {
    RETURN_IF_ERROR(event.status());
    json::Array parameters;
    parameters.push_back(EventParameters(*event));
    return Json(200, ParametersOf(std::move(parameters)));
  }

  absl::StatusOr<std::string> ReadMasked(const std::string& patient_id) {
    ASSIGN_OR_RETURN(fhir::StoredResource r, repo_->Read("Patient", patient_id));
    if (access_.mask) RETURN_IF_ERROR(security::MaskResourceJson("Patient", &r.json));
    return r.json;
  }

  absl::StatusOr<net::HttpResponse> Match() {
    ASSIGN_OR_RETURN(json::Value params, ParseParameters(req_));
    const json::Value* resource = Param(params, "resource");
    const json::Value* patient = resource != nullptr ? resource->Find("resource") : nullptr;
    const std::string* type = patient != nullptr && patient->is_object() ? patient->FindString("resourceType") : nullptr;
    if (type == nullptr || *type != "Patient") {
      return MakeError(ErrorKind::kInvalid, "$match needs a 'resource' parameter holding a Patient");
    }
    int count = kDefaultMatchCount;
    if (const json::Value* c = Param(params, "count"); c != nullptr) {
      std::optional<int64_t> n = IntegerOf(c);
      if (!n) return MakeError(ErrorKind::kInvalid, "'count' must be a valueInteger");
      count = static_cast<int>(std::clamp<int64_t>(*n, 1, kMaxCount));
    }
    bool only_certain = false;
    if (const json::Value* c = Param(params, "onlyCertainMatches"); c != nullptr) {
      const json::Value* v = c->Find("valueBoolean");
      only_certain = v != nullptr && v->is_bool() && v->as_bool();
    }
    // A restricted caller's count applies after the scope filter: take every candidate.
    ASSIGN_OR_RETURN(std::vector<MatchCandidate> candidates,
                     index_->Match(*patient, access_.restricted() ? kMaxCount : count, only_certain));
    std::string body = R"({"resourceType":"Bundle","type":"searchset","total":)";
    std::string entries;
    int total = 0;
    for (const MatchCandidate& c : candidates) {
      if (total == count) break;
      if (!Visible(c.patient_id)) continue;
      absl::StatusOr<std::string> json = ReadMasked(c.patient_id);
      if (!json.ok()) continue;  // deleted since it was indexed
      access_.Touched("Patient", c.patient_id);
      if (total++) entries.push_back(',');
      StrAppend(&entries, R"({"fullUrl":"Patient/)", c.patient_id, R"(","resource":)", *json,
                R"(,"search":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/match-grade","valueCode":")",
                MatchGrade(c.decision), R"("}],"mode":"match","score":)", json::Serialize(Decimal(c.probability)), "}}");
    }
    StrAppend(&body, total, R"(,"entry":[)", entries, "]}");
    return fhir::FhirJsonResponse(200, std::move(body));
  }

  absl::StatusOr<net::HttpResponse> Pix() {
    ASSIGN_OR_RETURN(fhir::QueryParams q, fhir::ParseQueryParams(req_.query));
    std::string source;
    std::vector<std::string> target_systems;
    for (const auto& [k, v] : q) {
      if (k == "sourceIdentifier") {
        source = v;
      } else if (k == "targetSystem") {
        for (absl::string_view s : absl::StrSplit(ToAbsl(v), ',', absl::SkipEmpty())) {
          target_systems.emplace_back(ToStd(s));
        }
      } else if (k != "_format") {
        return MakeError(ErrorKind::kInvalid, StrCat("$ihe-pix does not take '", k, "'"));
      }
    }
    size_t bar = source.find('|');
    if (bar == std::string::npos || bar == 0 || bar + 1 == source.size()) {
      return MakeError(ErrorKind::kInvalid, "sourceIdentifier must be system|value");
    }
    fhir::SearchInput input;
    input.type = "Patient";
    input.params = {{"identifier", source}, {"_count", std::to_string(kMaxCount)}};
    input.access = access_.predicate;
    ASSIGN_OR_RETURN(fhir::SearchResult found, repo_->Search(input));
    if (found.matches.empty()) {
      return MakeError(ErrorKind::kNotFound, StrCat("no Patient has identifier ", source, " (未找到该标识)"));
    }
    // A resident ID is on each facility's record of the resident: several Patients are fine
    // while they share one golden record.
    std::set<std::string> persons;
    for (const fhir::StoredResource& m : found.matches) {
      ASSIGN_OR_RETURN(std::string person, index_->PersonOf(m.id));
      persons.insert(std::move(person));
    }
    if (persons.size() > 1) {
      return MakeError(ErrorKind::kConflict,
                       StrCat("Patients of different residents have identifier ", source));
    }
    const std::string& source_id = found.matches[0].id;
    access_.Touched("Patient", source_id);
    access_.patient = StrCat("Patient/", source_id);
    ASSIGN_OR_RETURN(std::vector<std::string> linked, index_->LinkedPatients(source_id));
    json::Array out;
    for (const std::string& id : linked) {
      if (!Visible(id)) continue;
      absl::StatusOr<std::string> text = ReadMasked(id);
      if (!text.ok()) continue;
      ASSIGN_OR_RETURN(json::Value patient, json::Parse(*text));
      access_.Touched("Patient", id);
      if (const json::Value* ids = patient.Find("identifier"); ids != nullptr && ids->is_array()) {
        for (const json::Value& identifier : ids->as_array()) {
          const std::string* system = identifier.is_object() ? identifier.FindString("system") : nullptr;
          if (!target_systems.empty() &&
              (system == nullptr ||
               std::find(target_systems.begin(), target_systems.end(), *system) == target_systems.end())) {
            continue;
          }
          out.push_back(Part("targetIdentifier", "valueIdentifier", identifier));
        }
      }
      out.push_back(Part("targetId", "valueReference", Reference("Patient", id)));
    }
    return Json(200, ParametersOf(std::move(out)));
  }

  absl::StatusOr<int> CountParam(const fhir::QueryParams& q, int fallback) {
    for (const auto& [k, v] : q) {
      int n = 0;
      if (k == "_count") {
        if (!absl::SimpleAtoi(v, &n) || n < 1) return MakeError(ErrorKind::kInvalid, "_count must be a positive integer");
        return std::min(n, kMaxCount);
      }
    }
    return fallback;
  }

  absl::StatusOr<net::HttpResponse> ListReviews() {
    ASSIGN_OR_RETURN(fhir::QueryParams q, fhir::ParseQueryParams(req_.query));
    std::string status = "open";
    for (const auto& [k, v] : q) {
      if (k == "status") status = v;
    }
    ASSIGN_OR_RETURN(int count, CountParam(q, 50));
    // count applies to the items the caller may see: page on past those it may not.
    json::Array out;
    int64_t after = 0;
    for (bool more = true; more && static_cast<int>(out.size()) < count;) {
      int page = access_.restricted() ? kMaxCount : count;
      ASSIGN_OR_RETURN(std::vector<ReviewItem> items, index_->Reviews(status, page, after));
      more = static_cast<int>(items.size()) == page;
      for (const ReviewItem& r : items) {
        after = r.id;
        if (!Visible(r.patient_id) || !Visible(r.candidate_id)) continue;
        access_.Touched("Patient", r.patient_id);
        access_.Touched("Patient", r.candidate_id);
        out.push_back(ReviewParameters(r));
        if (static_cast<int>(out.size()) == count) break;
      }
    }
    return Json(200, ParametersOf(std::move(out)));
  }

  absl::StatusOr<net::HttpResponse> DecideReview() {
    ASSIGN_OR_RETURN(json::Value params, ParseParameters(req_));
    std::optional<int64_t> review = IntegerOf(Param(params, "review"));
    if (!review) return MakeError(ErrorKind::kInvalid, "parameter 'review' (valueInteger) is required");
    int64_t id = *review;
    ASSIGN_OR_RETURN(ReviewItem item, index_->Review(id));
    RETURN_IF_ERROR(CheckInScope(item.patient_id));
    RETURN_IF_ERROR(CheckInScope(item.candidate_id));
    ASSIGN_OR_RETURN(ReviewItem decided,
                     index_->DecideReview(id, StringParam(params, "decision"),
                                          {access_.actor, StringParam(params, "reason")}));
    json::Array out;
    out.push_back(ReviewParameters(decided));
    return Json(200, ParametersOf(std::move(out)));
  }

  absl::StatusOr<net::HttpResponse> History(std::string_view id) {
    std::string patient(id);
    RETURN_IF_ERROR(CheckInScope(patient));
    ASSIGN_OR_RETURN(std::vector<LinkEvent> events, index_->History(patient));
    json::Array out;
    for (LinkEvent& e : events) {
      // The other side of an event is named only when the caller may see it.
      if (!e.other_id.empty() && e.other_id != patient && !Visible(e.other_id)) e.other_id.clear();
      if (e.patient_id != patient && !Visible(e.patient_id)) {
        e.patient_id = patient;
        e.other_id.clear();
      }
      out.push_back(EventParameters(e));
    }
    return Json(200, ParametersOf(std::move(out)));
  }

  PatientIndex* index_;
  fhir::Repository* repo_;
  const net::HttpRequest& req_;
  fhir::RequestAccess& access_;
};

bool IsIndexOperation(std::string_view op) {
  return op == "$match" || op == "$ihe-pix" || op == "$mpi-link" || op == "$mpi-unlink" ||
         op == "$merge" || op == "$unmerge" || op == "$mpi-review";
}

}  // namespace

std::optional<net::HttpResponse> PatientIndexRestHandler::Handle(const net::HttpRequest& request,
                                                                 fhir::RequestAccess& access) const {
  std::string_view path = request.path;
  if (!path.starts_with(base_path_)) return std::nullopt;
  path.remove_prefix(base_path_.size());
  std::vector<std::string> seg;
  for (absl::string_view s : absl::StrSplit(ToAbsl(path), '/', absl::SkipEmpty())) seg.emplace_back(ToStd(s));
  if (seg.empty() || seg[0] != "Patient") return std::nullopt;
  std::string_view op;
  std::string_view id;
  if (seg.size() == 2 && IsIndexOperation(seg[1])) {
    op = seg[1];
  } else if (seg.size() == 3 && seg[2] == "$mpi-history") {
    id = seg[1];
    op = seg[2];
  } else {
    return std::nullopt;
  }
  Operation operation(index_, repository_, request, access);
  absl::StatusOr<net::HttpResponse> resp = operation.Run(op, id);
  if (!resp.ok()) return fhir::ErrorHttpResponse(resp.status());
  return *std::move(resp);
}

}  // namespace rhip::registry
