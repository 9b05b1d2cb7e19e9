// FHIR operations that modules above fhir/ implement (DESIGN.md layering: the registry's
// Organization/{id}/$descendants, terminology's ValueSet/$expand, ...). app/ registers each
// handler in RestOptions::operations; the REST handler routes [type]/$name and
// [type]/[id]/$name to it after authorization, and answers with the returned resource.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "fhir/search/search_request.h"
#include "net/http_message.h"

namespace rhip::fhir {

struct OperationCall {
  std::string_view type;              // resource type of the route
  std::string_view id;                // empty for a type-level call
  std::string_view name;              // with the '$'
  const search::QueryParams& params;  // decoded query parameters
  const net::HttpRequest& http;       // method and body
};

class OperationHandler {
 public:
  virtual ~OperationHandler() = default;
  // The response resource (Parameters, Bundle, ...), sent with 200. Errors map to
  // OperationOutcome as everywhere (core/error.h kinds). Thread-safe.
  virtual absl::StatusOr<json::Value> Invoke(const OperationCall& call) const = 0;
};

// Handlers by "Type/$name", e.g. "Organization/$descendants". Not owned.
using OperationHandlers = std::map<std::string, const OperationHandler*, std::less<>>;

}  // namespace rhip::fhir
