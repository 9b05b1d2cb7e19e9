// What a FHIR REST request needs in SMART v2 scope terms (c r u d s per resource type), so
// the server can check a token's scopes before the request reaches the RestHandler or the
// bulk handler. System-level interactions (system search and history, $export, $import,
// bulk status and files) need the "*" resource type; $everything needs Patient.r and returns
// only the types the principal may search.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/http_message.h"

namespace rhip::fhir {

struct AccessNeed {
  std::string resource_type;  // a resource type, or "*" for system-level access
  char action = 'r';          // one of c r u d s
  bool operator==(const AccessNeed&) const = default;
};

// Whether the request is public (GET/HEAD of the CapabilityStatement).
bool IsPublicFhirRequest(const net::HttpRequest& request, std::string_view base_path);

// Every permission the request needs. A batch/transaction (POST to the base) is checked per
// entry: entry.request.method and the type in entry.request.url; an entry without them needs
// ("*", 'c'). A body that is not a Bundle needs nothing more: the handler rejects it.
std::vector<AccessNeed> RequiredAccess(const net::HttpRequest& request, std::string_view base_path);

}  // namespace rhip::fhir
