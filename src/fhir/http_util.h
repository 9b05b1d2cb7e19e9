// Small HTTP facts the FHIR layer needs: version ETags and status lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fhir/repository.h"
#include "net/http_message.h"

namespace rhip::fhir {

// W/"3" or "3" -> 3; empty -> no expectation; anything else is a 400.
absl::StatusOr<ExpectedVersion> ParseETag(std::string_view etag);
// 3 -> W/"3"
std::string FormatETag(int64_t version);
// 201 -> "Created"
std::string_view ReasonPhrase(int status);
// 201 -> "201 Created" (Bundle.entry.response.status)
std::string StatusLine(int status);
// A response with a FHIR JSON body (Content-Type application/fhir+json; charset=utf-8).
net::HttpResponse FhirJsonResponse(int status, std::string body);

}  // namespace rhip::fhir
