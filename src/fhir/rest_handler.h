// FHIR R4 REST over HTTP (http://hl7.org/fhir/R4/http.html): maps requests under /fhir to
// the Repository and results to responses. Every error leaves through ErrorResponseFor.
#pragma once

#include <string>
#include <vector>

#include "fhir/operation_handler.h"
#include "fhir/repository.h"
#include "fhir/request_access.h"
#include "net/http_message.h"

namespace rhip::fhir {

struct RestOptions {
  std::string base_path = "/fhir";
  // Absolute base URL for fullUrl and Location; empty derives it from the Host header.
  std::string public_base_url;
  std::string software_version;
  // Operations served by other modules (terminology's $expand, ...), asked in order before
  // the built-in routes. REQUIRES: each outlives the handler.
  std::vector<const OperationHandler*> operations;
};

class RestHandler {
 public:
  // REQUIRES: repository outlives the handler.
  RestHandler(Repository* repository, RestOptions options);

  // Applies `access` to everything the request reads and writes, and records in it what was
  // touched. Thread-safe.
  net::HttpResponse Handle(const net::HttpRequest& request, RequestAccess& access) const;

  // A low-cardinality label for metrics: "/fhir/{type}/{id}", "/fhir/metadata", ...
  static std::string RouteLabel(const net::HttpRequest& request, std::string_view base_path);

 private:
  Repository* repository_;
  RestOptions options_;
  std::string capability_statement_;  // built once
};

// An HTTP error response with an OperationOutcome body, for any layer that must answer
// with one (the server's transport errors, unknown routes).
net::HttpResponse ErrorHttpResponse(const absl::Status& status);

}  // namespace rhip::fhir
