// The web app's login API (docs/SECURITY.md, "Web sessions"):
//   POST /auth/login     {"login","password"} -> session JSON + Set-Cookie rhip_session
//   POST /auth/logout    ends the session, clears the cookie
//   GET  /auth/session   who am I, the CSRF token, expiry
//   POST /auth/password  {"old_password","new_password"}
// Answers are JSON; errors {"error": code, "message": English, "message_zh": Chinese}. Every
// failed login gets one identical answer, whether the login is unknown, the password wrong,
// the account disabled or locked, so an answer never tells whether an account exists.
// And AuthenticateRequest for the router: a bearer token or the session cookie (+ CSRF).
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "net/http_message.h"
#include "security/audit_log.h"
#include "security/rate_limiter.h"
#include "security/session_service.h"
#include "security/token_service.h"

namespace rhip::security {

inline constexpr char kSessionCookie[] = "rhip_session";
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

struct SessionEndpointOptions {
  // Login attempts (successful or not) per client address and per login as typed.
  RateLimiter::Options per_address{.max_events = 10, .window = int64_t{60} * 1000 * 1000};
  RateLimiter::Options per_account{.max_events = 5, .window = int64_t{60} * 1000 * 1000};
};

class SessionEndpoint {
 public:
  // REQUIRES: sessions and clock outlive the endpoint, and audit when not null (null: logins
  // are not audited, for unit tests).
  SessionEndpoint(SessionService* sessions, const Clock* clock, AuditLog* audit,
                  SessionEndpointOptions options = {});

  // Whether path is one of the four above.
  static bool Handles(std::string_view path);
  // REQUIRES: Handles(req.path).
  net::HttpResponse Handle(const net::HttpRequest& req) const;

 private:
  net::HttpResponse Login(const net::HttpRequest& req) const;
  net::HttpResponse Logout(const net::HttpRequest& req) const;
  net::HttpResponse Session(const net::HttpRequest& req) const;
  net::HttpResponse ChangePassword(const net::HttpRequest& req) const;
  // Appends the record and waits until it is durable (the audit contract); false when the
  // log failed (the caller answers 503). True without a log.
  bool Audit(const net::HttpRequest& req, std::string_view actor, std::string_view action,
             int status) const;

  SessionService* sessions_;
  const Clock* clock_;
  AuditLog* audit_;
  std::unique_ptr<RateLimiter> per_address_;
  std::unique_ptr<RateLimiter> per_account_;
};

// The value of cookie `name` in a Cookie header (RFC 6265 §4.2.1: "a=b; c=d"); nullopt when
// absent. The first one wins when the name repeats.
std::optional<std::string_view> CookieValue(std::string_view cookie_header, std::string_view name);

// The principal behind a request: the bearer token of an Authorization header when there is
// one, else the rhip_session cookie. kUnauthorized when neither is present and valid. For a
// cookie, kForbidden when the method is unsafe (not GET, HEAD, OPTIONS) and the X-CSRF-Token
// header does not equal the session's token, and when the password must be changed first.
absl::StatusOr<Principal> AuthenticateRequest(const TokenService& tokens,
                                              const SessionService& sessions,
                                              const net::HttpRequest& req);

}  // namespace rhip::security
