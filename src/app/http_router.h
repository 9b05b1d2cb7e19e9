// The server's HTTP routes: /healthz, /metrics, /auth/*, and /fhir behind authentication,
// authorization (role or client scopes, org-unit scope and consent, break the glass) and the
// audit trail. Records per-route metrics.
#pragma once

#include "fhir/audit_event_rest.h"
#include "fhir/bulk/bulk_rest.h"
#include "fhir/rest_handler.h"
#include "net/http_message.h"
#include "registry/patient_index_rest.h"
#include "security/access_policy.h"
#include "security/audit_log.h"
#include "security/session_endpoint.h"
#include "security/session_service.h"
#include "security/token_endpoint.h"
#include "security/token_service.h"

namespace rhip::app {

// Header of a break-the-glass read: the stated reason, percent-encoded UTF-8.
inline constexpr char kBreakGlassHeader[] = "X-Break-Glass-Reason";

struct RouterServices {
  const fhir::RestHandler* fhir = nullptr;
  const fhir::bulk::BulkRestHandler* bulk = nullptr;
  const security::TokenEndpoint* token = nullptr;
  const security::TokenService* tokens = nullptr;
  const security::AccessPolicy* policy = nullptr;
  security::AuditLog* audit = nullptr;
  const security::SessionEndpoint* session = nullptr;  // /auth/login|logout|session|password
  const security::SessionService* sessions = nullptr;  // the rhip_session cookie on /fhir
  const fhir::AuditEventRestHandler* audit_events = nullptr;  // /fhir/AuditEvent
  const registry::PatientIndexRestHandler* patient_index = nullptr;  // /fhir/Patient/$match ...
};

class Router {
 public:
  // REQUIRES: every service outlives the router.
  explicit Router(RouterServices services) : s_(services) {}

  // Thread-safe.
  net::HttpResponse Handle(const net::HttpRequest& req) const;

 private:
  net::HttpResponse Dispatch(const net::HttpRequest& req, std::string* route) const;
  net::HttpResponse HandleFhir(const net::HttpRequest& req, std::string* route) const;

  RouterServices s_;
};

}  // namespace rhip::app
