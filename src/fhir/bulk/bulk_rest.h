// HTTP for FHIR Bulk Data (http://hl7.org/fhir/uv/bulkdata/): the $export kick-offs
// (system, Patient, Group), the status URL, the file URL and $import. The server's router
// asks this handler first; it answers only its own routes.
#pragma once

#include <optional>
#include <string>

#include "fhir/bulk/bulk_service.h"
#include "net/http_message.h"

namespace rhip::fhir::bulk {

struct BulkRestOptions {
  std::string base_path = "/fhir";
  // Absolute base URL for links; empty derives it from the Host header.
  std::string public_base_url;
};

class BulkRestHandler {
 public:
  // REQUIRES: service and repository outlive the handler.
  BulkRestHandler(BulkService* service, Repository* repository, BulkRestOptions options);

  // nullopt when the request is not a bulk route. Thread-safe.
  std::optional<net::HttpResponse> Handle(const net::HttpRequest& request) const;

  // A metrics label for a bulk route ("/fhir/$export", "/fhir/$bulk-status/{id}", ...),
  // empty for other requests.
  std::string RouteLabel(const net::HttpRequest& request) const;

 private:
  BulkService* service_;
  Repository* repository_;
  BulkRestOptions options_;
};

}  // namespace rhip::fhir::bulk
