#include "app/http_router.h"

#include <chrono>
#include <utility>

#include "app/registration_check.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/personal_data_access.h"
#include "fhir/rest_access.h"
#include "fhir/search_query.h"
#include "security/http_headers.h"
#include "security/identity_store.h"

namespace rhip::app {
namespace {

net::HttpResponse PlainResponse(int status, std::string content_type, std::string body) {
  net::HttpResponse r;
  r.status = status;
  r.SetHeader("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

// The audit action of a FHIR request (security/audit_record.h names).
std::string AuditAction(const net::HttpRequest& req, std::string_view route) {
  const std::string& m = req.method;
  if (route.find("$export") != std::string_view::npos) return security::kAuditExport;
  if (m == "GET" || m == "HEAD") {
    // A route with an {id} and no further type is one resource (read, vread, its history).
    bool one = route.find("/{id}") != std::string_view::npos &&
               route.rfind("/{type}") < route.find("/{id}") && !route.ends_with("$everything");
    return one ? security::kAuditRead : security::kAuditSearch;
  }
  if (m == "DELETE") return security::kAuditDelete;
  if (m == "PUT" || m == "PATCH") return security::kAuditUpdate;
  if (route.ends_with("/_search")) return security::kAuditSearch;
  if (route == "/fhir") return "transaction";
  if (route.find("/$") != std::string_view::npos) return "operation";
  return security::kAuditCreate;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) StrAppend(&out, out.empty() ? "" : ",", p);
  return out;
}

}  // namespace

net::HttpResponse Router::Handle(const net::HttpRequest& req) const {
  auto start = std::chrono::steady_clock::now();
  std::string route;
  net::HttpResponse resp = Dispatch(req, &route);
  security::AddSecurityHeaders(req, &resp);
  std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
  Metrics& m = Metrics::Global();
  m.Increment("rhip_http_requests_total",
              {{"route", route}, {"method", req.method}, {"status", std::to_string(resp.status)}});
  m.Observe("rhip_http_request_duration_seconds", {{"route", route}, {"method", req.method}},
            d.count());
  return resp;
}

net::HttpResponse Router::Dispatch(const net::HttpRequest& req, std::string* route) const {
  const std::string& p = req.path;
  if (p == "/healthz") {
    *route = p;
    return PlainResponse(200, "text/plain; charset=utf-8", "ok\n");
  }
  if (p == "/metrics") {
    *route = p;
    return PlainResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                         Metrics::Global().RenderPrometheus());
  }
  if (p == "/auth/token") {
    *route = p;
    return s_.token->Handle(req);
  }
  if (security::SessionEndpoint::Handles(p)) {
    *route = p;
    return s_.session->Handle(req);
  }
  if (p == "/fhir" || p.starts_with("/fhir/")) return HandleFhir(req, route);
  *route = "other";
  return fhir::ErrorHttpResponse(MakeError(ErrorKind::kNotFound, StrCat("no route for ", req.path)));
}

// Every /fhir request but the CapabilityStatement needs a valid bearer token or session cookie
// (401; unsafe methods with a cookie also the CSRF token, 403) whose
// permissions allow each type and action the request touches (403); residents' data is then
// limited to the principal's org units and their consent (fhir/personal_data_access.h) unless
// a clinician breaks the glass. Each authenticated request leaves an audit record.
net::HttpResponse Router::HandleFhir(const net::HttpRequest& req, std::string* route) const {
  std::string bulk_route = s_.bulk->RouteLabel(req);
  *route = bulk_route.empty() ? fhir::RestHandler::RouteLabel(req, "/fhir") : bulk_route;
  fhir::RequestAccess request_access;
  if (fhir::IsPublicFhirRequest(req, "/fhir")) return s_.fhir->Handle(req, request_access);

  absl::StatusOr<security::Principal> principal =
      security::AuthenticateRequest(*s_.tokens, *s_.sessions, req);
  if (!principal.ok()) return fhir::ErrorHttpResponse(principal.status());
  absl::StatusOr<security::Access> access = s_.policy->Resolve(*principal);
  if (!access.ok()) return fhir::ErrorHttpResponse(access.status());

  security::AuditRecord audit;
  audit.actor = principal->subject;
  audit.role = access->role;
  audit.org_unit = access->org_unit;
  audit.client_address = req.remote_address;
  audit.action = AuditAction(req, *route);
  audit.query = req.query;
  // The record is written before the response leaves: in the journal for ordinary requests,
  // committed to the chain for exports and break-the-glass. If it cannot be written, the
  // response is withheld (fail closed).
  auto finish = [&](net::HttpResponse resp) {
    audit.outcome = std::to_string(resp.status);
    audit.patient = request_access.patient;
    audit.resources = Joined(request_access.resources);
    bool strict = audit.action == security::kAuditBreakGlass || audit.action == security::kAuditExport;
    absl::Status recorded = s_.audit->Record(
        std::move(audit), strict ? security::Durability::kCommit : security::Durability::kJournal);
    if (!recorded.ok()) {
      return fhir::ErrorHttpResponse(MakeError(
          ErrorKind::kBusy, "the audit trail cannot be written; nothing was released (审计记录写入失败)"));
    }
    return resp;
  };
  auto deny = [&](absl::Status status) { return finish(fhir::ErrorHttpResponse(status)); };

  for (const fhir::AccessNeed& need : fhir::RequiredAccess(req, "/fhir")) {
    // The audit trail is written only by the server: nobody writes AuditEvent, also not as an
    // entry of a batch or transaction (which would land in the generic store).
    if (need.resource_type == "AuditEvent" && need.action != 'r' && need.action != 's') {
      return deny(MakeError(ErrorKind::kMethodNotAllowed,
                            "AuditEvent is read-only: the audit trail is written only by the server"));
    }
    // Operation needs (`$mpi`) are role rows, not resource scopes.
    bool allowed = need.resource_type.starts_with("$")
                       ? security::ScopesAllow(access->scopes, "*", need.action) ||
                             security::RoleAllows(access->operations, need.resource_type, need.action)
                       : security::ScopesAllow(access->scopes, need.resource_type, need.action);
    if (!allowed) {
      return deny(MakeError(
          ErrorKind::kForbidden,
          StrCat("your permissions do not allow '", std::string(1, need.action), "' on ",
                 need.resource_type == "*" ? "all resource types" : need.resource_type,
                 " (您的权限不允许此操作)")));
    }
  }
  // Residents registered by people get their ID numbers checked; systems' data is kept as sent
  // (the patient index flags it).
  if (principal->kind == security::Principal::Kind::kUser) {
    if (absl::Status st = CheckRegistration(req, Clock::Real().Now()); !st.ok()) return deny(st);
  }
  request_access.scope = access->scope;
  request_access.actor = principal->subject;
  request_access.mask = !access->may_unmask;
  if (!security::ScopesAllow(access->scopes, "*", 's')) {
    request_access.searchable_types.emplace();
    for (const security::Scope& scope : access->scopes) {
      if (scope.actions.find('s') != std::string::npos) {
        request_access.searchable_types->push_back(scope.resource);
      }
    }
  }
  std::string_view reason_header = req.Header(kBreakGlassHeader);
  bool break_glass = !reason_header.empty() && !access->scope.unrestricted;
  if (break_glass) {
    audit.action = security::kAuditBreakGlass;
    absl::StatusOr<std::string> reason = fhir::PercentDecode(reason_header);
    audit.reason = reason.ok() ? *std::move(reason) : std::string(reason_header);
    if (!access->may_break_glass) {
      return deny(MakeError(ErrorKind::kForbidden,
                            "your roles may not break the glass (您的角色不能紧急调阅)"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
      return deny(MakeError(ErrorKind::kForbidden,
                            "breaking the glass opens records for reading only (紧急调阅仅限查看)"));
    }
    if (audit.reason.size() < 4) {
      return deny(MakeError(ErrorKind::kInvalid,
                            StrCat("breaking the glass needs a stated reason in ", kBreakGlassHeader,
                                   " (紧急调阅须说明理由)")));
    }
  } else {
    request_access.predicate = fhir::PersonalDataPredicate(access->scope);
  }
  if (!bulk_route.empty()) {
    // Bulk export and import work on whole stores: the org-unit predicate does not reach them.
    if (!access->scope.unrestricted) {
      return deny(MakeError(ErrorKind::kForbidden,
                            "bulk data needs region-wide access (批量数据需要全区域权限)"));
    }
    if (std::optional<net::HttpResponse> r = s_.bulk->Handle(req)) return finish(*std::move(r));
  }
  // AuditEvent is a read-only view of the audit chain, not a stored resource type.
  if (std::optional<net::HttpResponse> r = s_.audit_events->Handle(req)) return finish(*std::move(r));
  if (s_.patient_index != nullptr) {
    if (std::optional<net::HttpResponse> r = s_.patient_index->Handle(req, request_access)) {
      return finish(*std::move(r));
    }
  }
  return finish(s_.fhir->Handle(req, request_access));
}

}  // namespace rhip::app
