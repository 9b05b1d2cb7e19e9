#include "app/http_services.h"

#include <filesystem>
#include <utility>

#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::app {

absl::StatusOr<std::unique_ptr<HttpServices>> HttpServices::Open(db::Database* database,
                                                                fhir::Repository* repository,
                                                                registry::PatientIndex* patient_index,
                                                                const HttpServicesOptions& options) {
  security::AuditLog::Options audit_options;
  audit_options.journal_dir = (std::filesystem::path(options.data_dir) / "audit").string();
  ASSIGN_OR_RETURN(std::unique_ptr<security::AuditLog> audit,
                   security::AuditLog::Open(database, &Clock::Real(), audit_options));
  return std::unique_ptr<HttpServices>(
      new HttpServices(database, repository, patient_index, options, std::move(audit)));
}

HttpServices::HttpServices(db::Database* database, fhir::Repository* repository,
                           registry::PatientIndex* patient_index, const HttpServicesOptions& options,
                           std::unique_ptr<security::AuditLog> audit)
    : audit_(std::move(audit)),
      identities_(database, &Clock::Real()),
      tokens_(database, &Clock::Real(), &identities_),
      token_endpoint_(&tokens_),
      org_tree_(repository),
      org_operations_(&org_tree_),
      terminology_(repository),
      terminology_operations_(&terminology_),
      rest_(repository, {.public_base_url = options.public_url,
                         .software_version = options.software_version,
                         .operations = {&org_operations_, &terminology_operations_}}),
      bulk_(database, repository, &Clock::Real(),
            {.data_dir = options.data_dir, .max_file_bytes = options.bulk_max_file_bytes}),
      bulk_rest_(&bulk_, repository, {"/fhir", options.public_url}),
      audit_events_(database, {"/fhir", options.public_url}),
      patient_index_rest_(patient_index, repository),
      sessions_(database, &Clock::Real(), &identities_, options.sessions),
      session_endpoint_(&sessions_, &Clock::Real(), audit_.get(), options.login),
      policy_(database, &identities_, &org_tree_, &Clock::Real(), options.access_cache_ttl),
      router_({.fhir = &rest_,
               .bulk = &bulk_rest_,
               .token = &token_endpoint_,
               .tokens = &tokens_,
               .policy = &policy_,
               .audit = audit_.get(),
               .session = &session_endpoint_,
               .sessions = &sessions_,
               .audit_events = &audit_events_,
               .patient_index = patient_index != nullptr ? &patient_index_rest_ : nullptr}) {}

}  // namespace rhip::app
