// The one place where a non-OK absl::Status becomes an HTTP status and a FHIR
// OperationOutcome body (see core/error.h for the table).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/json.h"

namespace rhip::fhir {

struct ErrorResponse {
  int http_status;
  json::Value outcome;  // an OperationOutcome resource
};

ErrorResponse ErrorResponseFor(const absl::Status& status);

// An OperationOutcome with one informational issue (Prefer: return=OperationOutcome).
json::Value InformationOutcome(std::string_view message);

}  // namespace rhip::fhir
