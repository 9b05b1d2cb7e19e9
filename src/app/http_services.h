// The services behind the HTTP router — identities and tokens, web sessions, the access
// policy with its org tree, the audit trail, the FHIR, bulk and AuditEvent handlers — built
// one way for `rhip serve` and for bench/auth, which measures the same request path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "app/http_router.h"
#include "core/clock.h"
#include "db/database.h"
#include "fhir/audit_event_rest.h"
#include "fhir/bulk/bulk_rest.h"
#include "fhir/bulk/bulk_service.h"
#include "fhir/repository.h"
#include "fhir/rest_handler.h"
#include "registry/organization_operations.h"
#include "registry/organization_tree.h"
#include "registry/patient_index.h"
#include "registry/patient_index_rest.h"
#include "security/access_policy.h"
#include "security/audit_log.h"
#include "security/identity_store.h"
#include "security/session_endpoint.h"
#include "security/session_service.h"
#include "security/token_endpoint.h"
#include "security/token_service.h"
#include "terminology/terminology_operations.h"
#include "terminology/terminology_service.h"

namespace rhip::app {

struct HttpServicesOptions {
  std::string data_dir;    // bulk export files and the audit journal (DATA/audit)
  std::string public_url;  // absolute base of /fhir for links; empty: from the Host header
  std::string software_version;
  int64_t bulk_max_file_bytes = int64_t{1} << 30;
  security::SessionOptions sessions;
  security::SessionEndpointOptions login;
  Micros access_cache_ttl = security::kAccessCacheTtl;  // 0: resolve every request anew
};

class HttpServices {
 public:
  // Opens the audit trail (appending the journals of killed processes); its error is returned.
  // The bulk job runner is not started (BulkService::Start). REQUIRES: database and
  // repository (and patient_index, which answers the MPI operations; null: none) outlive the
  // services.
  static absl::StatusOr<std::unique_ptr<HttpServices>> Open(db::Database* database,
                                                           fhir::Repository* repository,
                                                           registry::PatientIndex* patient_index,
                                                           const HttpServicesOptions& options);

  security::IdentityStore& identities() { return identities_; }
  security::TokenService& tokens() { return tokens_; }
  security::SessionService& sessions() { return sessions_; }
  security::AuditLog& audit() { return *audit_; }
  const security::AccessPolicy& policy() const { return policy_; }
  const fhir::RestHandler& rest() const { return rest_; }
  fhir::bulk::BulkService& bulk() { return bulk_; }
  const Router& router() const { return router_; }

 private:
  HttpServices(db::Database* database, fhir::Repository* repository,
               registry::PatientIndex* patient_index, const HttpServicesOptions& options,
               std::unique_ptr<security::AuditLog> audit);

  std::unique_ptr<security::AuditLog> audit_;
  security::IdentityStore identities_;
  security::TokenService tokens_;
  security::TokenEndpoint token_endpoint_;
  registry::OrganizationTree org_tree_;
  // Organization/{id}/$ancestors and $descendants.
  registry::OrganizationTreeOperations org_operations_;
  terminology::TerminologyService terminology_;
  terminology::TerminologyOperations terminology_operations_;
  fhir::RestHandler rest_;
  fhir::bulk::BulkService bulk_;
  fhir::bulk::BulkRestHandler bulk_rest_;
  fhir::AuditEventRestHandler audit_events_;
  registry::PatientIndexRestHandler patient_index_rest_;
  security::SessionService sessions_;
  security::SessionEndpoint session_endpoint_;
  security::AccessPolicy policy_;
  Router router_;  // last: refers to the members above
};

}  // namespace rhip::app
