// Server-side sessions for staff signing in to the web app with login and password
// (docs/SECURITY.md, "Web sessions"). A session id is 256 random bits, handed out once at
// login (the rhip_session cookie) and stored only as its SHA-256, next to a CSRF token and
// the created / last-seen times (src/db/migrations/0008_sessions.sql). A session ends at
// logout, after the idle timeout, after the absolute timeout, and when the user is disabled or
// an administrator resets the password. Thread-safe (all state is in the database).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/identity_store.h"
#include "security/token_service.h"

namespace rhip::security {

struct SessionOptions {
  Micros idle_timeout = int64_t{30} * 60 * 1000 * 1000;        // since the last request
  Micros absolute_timeout = int64_t{12} * 3600 * 1000 * 1000;  // since login
  // A password older than this many days must be changed before anything else; 0: never.
  int password_max_age_days = 0;
  // last_seen is written at most this often, so a busy session does not cost a database
  // write per request; the idle timeout is exact to within this.
  Micros touch_interval = int64_t{60} * 1000 * 1000;
};

struct SessionInfo {
  std::string session_id;  // the cookie value: set by Login only (only its hash is stored)
  std::string csrf_token;
  Principal principal;  // kUser, subject = login, scopes and roles from the user's roles
  std::string display_name;
  Micros created = 0;
  Micros last_seen = 0;
  Micros idle_expires = 0;      // when the session ends unless used before
  Micros absolute_expires = 0;  // when it ends regardless
  // The password was set by an administrator or is older than password_max_age_days: the
  // session may only change it, read itself and log out.
  bool must_change_password = false;
  bool password_expired = false;
};

class SessionService {
 public:
  // REQUIRES: database, clock and identities outlive the service.
  SessionService(db::Database* database, const Clock* clock, IdentityStore* identities,
                 SessionOptions options = {})
      : db_(database), clock_(clock), identities_(identities), options_(options) {}

  const SessionOptions& options() const { return options_; }

  // A new session for the user with that password (IdentityStore::AuthenticateUser: its
  // InvalidCredentials() for an unknown, wrong, disabled or locked account). The id is always
  // new: a client can never choose it (session fixation). Expired sessions are swept here.
  absl::StatusOr<SessionInfo> Login(std::string_view login, std::string_view password);

  // The live session with that id (session_id empty in the result); kUnauthorized when it is
  // unknown, expired or its user disabled. Refreshes last_seen (see touch_interval).
  absl::StatusOr<SessionInfo> Authenticate(std::string_view session_id) const;

  // Ends the session. OK also when it is unknown.
  absl::Status Logout(std::string_view session_id);

  // The session's user changes the password (IdentityStore::ChangePassword's errors); the
  // user's other sessions end, this one stays and is no longer restricted.
  absl::Status ChangePassword(std::string_view session_id, std::string_view old_password,
                              std::string_view new_password);

 private:
  db::Database* db_;
  const Clock* clock_;
  IdentityStore* identities_;
  SessionOptions options_;
};

}  // namespace rhip::security
