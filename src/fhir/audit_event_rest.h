// The audit trail as FHIR R4 AuditEvent resources (docs/SECURITY.md, "Audit trail", has the
// mapping table): GET /fhir/AuditEvent?date=ge..&agent=LOGIN&patient=Patient/ID
// &subtype=read,break-glass&outcome=0|4|8&_count=N (newest first, a `next` link with a cursor)
// and GET /fhir/AuditEvent/{seq}. The resources are views of security/'s hash-chained table,
// not stored FHIR resources: every write to AuditEvent is refused (405), since only the server
// writes the trail. The server's router asks this handler before the generic REST handler; it
// answers only paths under {base}/AuditEvent.
#pragma once

#include <optional>
#include <string>

#include "core/json.h"
#include "db/database.h"
#include "net/http_message.h"
#include "security/audit_query.h"

namespace rhip::fhir {

struct AuditEventRestOptions {
  std::string base_path = "/fhir";
  // Absolute base URL for links; empty derives it from the Host header.
  std::string public_base_url;
};

class AuditEventRestHandler {
 public:
  // REQUIRES: database outlives the handler.
  AuditEventRestHandler(db::Database* database, AuditEventRestOptions options);

  // nullopt when the path is not under {base}/AuditEvent. Thread-safe.
  std::optional<net::HttpResponse> Handle(const net::HttpRequest& request) const;

 private:
  db::Database* database_;
  AuditEventRestOptions options_;
};

// One audit record as an R4 AuditEvent (id = its chain seq).
json::Value ToAuditEvent(const security::AuditEntry& entry);

}  // namespace rhip::fhir
