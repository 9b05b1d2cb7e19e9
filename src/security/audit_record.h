// One audited access: who did what to whose data, from where, with what outcome.
#pragma once

#include <string>

#include "core/clock.h"

namespace rhip::security {

// Values of AuditRecord::action. Stored on disk: do not rename.
inline constexpr char kAuditRead[] = "read";
inline constexpr char kAuditSearch[] = "search";
inline constexpr char kAuditCreate[] = "create";
inline constexpr char kAuditUpdate[] = "update";
inline constexpr char kAuditDelete[] = "delete";
inline constexpr char kAuditExport[] = "export";
inline constexpr char kAuditLogin[] = "login";
inline constexpr char kAuditLoginFailed[] = "login-failed";
inline constexpr char kAuditLogout[] = "logout";
inline constexpr char kAuditPasswordChange[] = "password-change";
inline constexpr char kAuditBreakGlass[] = "break-glass";

struct AuditRecord {
  Micros time = 0;             // when it happened (UTC); 0: AuditLog::Append stamps "now"
  std::string actor;           // user name or system client id
  std::string role;            // the role the actor acted in
  std::string org_unit;        // the actor's org unit for this access
  std::string client_address;  // remote IP (and port) of the request
  std::string action;          // kAuditRead, ... (free text allowed for new actions)
  std::string patient;         // "Patient/ID" whose data it was, or ""
  std::string resources;       // "Observation/1,Observation/2"
  std::string query;           // search query string or operation parameters
  std::string outcome;         // HTTP status ("200", "403") or "ok" / "denied"
  std::string reason;          // stated reason (break the glass), or ""
};

}  // namespace rhip::security
