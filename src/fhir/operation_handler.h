// Extension point for FHIR operations implemented above fhir/ (terminology's $lookup, $expand,
// ...): app/ hands the RestHandler a list of handlers, and the dispatcher calls the first one
// that serves [type]/$name or [type]/[id]/$name before its own routes.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "fhir/search_query.h"

namespace rhip::fhir {

struct OperationCall {
  std::string_view type;       // the resource type in the path
  std::string_view id;         // instance-level call, or empty
  std::string_view name;       // "$expand"
  const QueryParams& query;    // decoded URL parameters
  const json::Value* body;     // the POSTed resource (normally Parameters); null for GET
};

// One operation a handler serves, for the CapabilityStatement.
struct OperationInfo {
  std::string_view type;        // "ValueSet"
  std::string_view name;        // "expand" (without $)
  std::string_view definition;  // OperationDefinition canonical
};

class OperationHandler {
 public:
  virtual ~OperationHandler() = default;
  // What it serves, listed in GET /fhir/metadata.
  virtual std::vector<OperationInfo> Operations() const = 0;
  // Whether this handler implements `name` on `type`. Thread-safe.
  virtual bool Serves(std::string_view type, std::string_view name) const = 0;
  // The operation's answer (200), or an error that becomes an OperationOutcome.
  // Thread-safe.
  virtual absl::StatusOr<json::Value> Run(const OperationCall& call) const = 0;
};

}  // namespace rhip::fhir
