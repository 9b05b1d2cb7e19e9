#include "security/session_endpoint.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "security/password.h"
#include "security/token_endpoint.h"

namespace rhip::security {
namespace {

constexpr Micros kMicrosPerSecond = 1000 * 1000;

net::HttpResponse JsonResponse(int status, const json::Value& body) {
  net::HttpResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  r.body = json::Serialize(body);
  return r;
}

net::HttpResponse Error(int status, std::string_view code, std::string_view message,
                        std::string_view message_zh) {
  json::Object o;
  o.Set("error", code);
  o.Set("message", message);
  o.Set("message_zh", message_zh);
  return JsonResponse(status, json::Value(std::move(o)));
}

// The one answer for every failed login. It names the lockout and the way out for everyone:
// saying "locked" only to a caller who gave the right password would tell a guesser during
// the lockout that the guess was right, and saying it to anyone would tell that the account
// exists.
net::HttpResponse LoginFailed() {
  return Error(
      401, "invalid_credentials",
      StrCat("Login failed: the login or password is wrong, or the account is disabled or "
             "temporarily locked (",
             IdentityStore::kMaxFailedAttempts, " wrong passwords in a row lock it for ",
             IdentityStore::kLockout / (60 * kMicrosPerSecond),
             " minutes; an administrator can unlock it at once with `rhip user reset`)."),
      StrCat("登录失败：用户名或密码错误，或账号已停用或被临时锁定（连续", IdentityStore::kMaxFailedAttempts,
             "次密码错误将锁定", IdentityStore::kLockout / (60 * kMicrosPerSecond),
             "分钟；管理员可用 `rhip user reset` 立即解锁）。"));
}

net::HttpResponse NotLoggedIn() {
  return Error(401, "not_logged_in", "Not logged in, or the session has ended.",
               "未登录或会话已结束。");
}

net::HttpResponse CsrfRejected() {
  return Error(403, "csrf", "The X-CSRF-Token header is missing or wrong.",
               "缺少 X-CSRF-Token 请求头或其值错误。");
}

net::HttpResponse ServerError() {
  return Error(503, "unavailable", "The server cannot complete the request; try again.",
               "服务器暂时无法完成请求，请稍后重试。");
}

net::HttpResponse MethodNotAllowed(std::string_view allow) {
  net::HttpResponse r = Error(405, "method_not_allowed", StrCat("Use ", allow, "."),
                              StrCat("请使用 ", allow, " 方法。"));
  r.SetHeader("Allow", allow);
  return r;
}

// The string members of a JSON object body, or an error response. Requiring
// application/json also keeps cross-site HTML forms out: a browser sends that type from another
// site only after a CORS preflight, which rhip does not grant.
std::optional<net::HttpResponse> ReadJsonStrings(const net::HttpRequest& req,
                                                 std::initializer_list<std::string_view> names,
                                                 std::vector<std::string>* values) {
  std::string_view type = req.Header("Content-Type");
  type = ToStd(absl::StripAsciiWhitespace(ToAbsl(type.substr(0, type.find(';')))));
  if (!absl::EqualsIgnoreCase(ToAbsl(type), "application/json")) {
    return Error(415, "invalid_request", "The body must be application/json.",
                 "请求体必须是 application/json。");
  }
  absl::StatusOr<json::Value> body = json::Parse(req.body);
  values->clear();
  for (std::string_view name : names) {
    const std::string* v = body.ok() ? body->FindString(name) : nullptr;
    if (v == nullptr) {
      std::string list;
      for (std::string_view n : names) StrAppend(&list, list.empty() ? "" : ", ", "\"", n, "\"");
      return Error(400, "invalid_request", StrCat("The body must be a JSON object with ", list, "."),
                   StrCat("请求体必须是包含 ", list, " 的 JSON 对象。"));
    }
    values->push_back(*v);
  }
  return std::nullopt;
}

std::string SessionCookieHeader(const net::HttpRequest& req, std::string_view value,
                                bool clear) {
  // No Max-Age on a live session: the browser forgets it when closed, the server ends it at
  // the idle or absolute timeout anyway.
  return StrCat(kSessionCookie, "=", value, clear ? "; Max-Age=0" : "",
                "; HttpOnly; SameSite=Strict; Path=/", req.tls ? "; Secure" : "");
}

std::optional<std::string_view> RequestSessionId(const net::HttpRequest& req) {
  return CookieValue(req.Header("Cookie"), kSessionCookie);
}

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

bool CsrfMatches(const net::HttpRequest& req, const SessionInfo& session) {
  return ConstantTimeEquals(req.Header(kCsrfHeader), session.csrf_token);
}

// The request's live session into *session, or the answer to send instead.
std::optional<net::HttpResponse> RequireSession(const SessionService& sessions,
                                                const net::HttpRequest& req,
                                                SessionInfo* session) {
  std::optional<std::string_view> id = RequestSessionId(req);
  if (!id) return NotLoggedIn();
  absl::StatusOr<SessionInfo> found = sessions.Authenticate(*id);
  if (!found.ok()) {
    return KindOf(found.status()) == ErrorKind::kUnauthorized ? NotLoggedIn() : ServerError();
  }
  *session = *std::move(found);
  return std::nullopt;
}

json::Value SessionJson(const SessionInfo& s) {
  json::Object o;
  o.Set("user", s.principal.subject);
  o.Set("display_name", s.display_name);
  json::Array roles;
  for (const RoleAssignment& r : s.principal.roles) {
    json::Object role;
    role.Set("role", r.role);
    role.Set("org_unit", r.org_unit);
    roles.push_back(json::Value(std::move(role)));
  }
  o.Set("roles", json::Value(std::move(roles)));
  o.Set("scope", FormatScopes(s.principal.scopes));
  o.Set("csrf_token", s.csrf_token);
  o.Set("must_change_password", s.must_change_password);
  o.Set("password_expired", s.password_expired);
  o.Set("expires", FormatInstant(s.principal.expires));
  o.Set("idle_expires", FormatInstant(s.idle_expires));
  o.Set("absolute_expires", FormatInstant(s.absolute_expires));
  return json::Value(std::move(o));
}

}  // namespace

SessionEndpoint::SessionEndpoint(SessionService* sessions, const Clock* clock, AuditLog* audit,
                                 SessionEndpointOptions options)
    : sessions_(sessions),
      clock_(clock),
      audit_(audit),
      per_address_(std::make_unique<RateLimiter>(options.per_address)),
      per_account_(std::make_unique<RateLimiter>(options.per_account)) {}

bool SessionEndpoint::Handles(std::string_view path) {
  return path == "/auth/login" || path == "/auth/logout" || path == "/auth/session" ||
         path == "/auth/password";
}

net::HttpResponse SessionEndpoint::Handle(const net::HttpRequest& req) const {
  if (req.path == "/auth/session") {
    return req.method == "GET" ? Session(req) : MethodNotAllowed("GET");
  }
  if (req.method != "POST") return MethodNotAllowed("POST");
  if (req.path == "/auth/login") return Login(req);
  if (req.path == "/auth/logout") return Logout(req);
  return ChangePassword(req);
}

bool SessionEndpoint::Audit(const net::HttpRequest& req, std::string_view actor,
                            std::string_view action, int status) const {
  if (audit_ == nullptr) return true;
  AuditRecord record;
  record.actor = std::string(actor);
  record.client_address = req.remote_address;
  record.action = std::string(action);
  record.outcome = std::to_string(status);
  return audit_->Record(std::move(record), Durability::kCommit).ok();
}

net::HttpResponse SessionEndpoint::Login(const net::HttpRequest& req) const {
  std::vector<std::string> body;
  if (auto bad = ReadJsonStrings(req, {"login", "password"}, &body)) return *std::move(bad);
  const std::string& login = body[0];
  const Micros now = clock_->Now();
  // Keyed on the login as typed, known or not, so a 429 says nothing about existence.
  Micros wait = per_address_->Acquire(req.remote_address, now);
  if (wait == 0) wait = per_account_->Acquire(login, now);
  if (wait > 0) {
    const Micros seconds = (wait + kMicrosPerSecond - 1) / kMicrosPerSecond;
    net::HttpResponse r =
        Error(429, "too_many_attempts",
              StrCat("Too many login attempts; try again in ", seconds, " seconds."),
              StrCat("登录尝试过于频繁，请在 ", seconds, " 秒后重试。"));
    r.SetHeader("Retry-After", std::to_string(seconds));
    return r;
  }
  absl::StatusOr<SessionInfo> session = sessions_->Login(login, body[1]);
  if (!session.ok()) {
    if (KindOf(session.status()) != ErrorKind::kUnauthorized) return ServerError();
    if (!Audit(req, login, kAuditLoginFailed, 401)) return ServerError();
    return LoginFailed();
  }
  if (!Audit(req, login, kAuditLogin, 200)) {
    (void)sessions_->Logout(session->session_id);
    return ServerError();
  }
  // A session the browser already held (perhaps planted) ends: one login, one new id.
  if (std::optional<std::string_view> old = RequestSessionId(req)) (void)sessions_->Logout(*old);
  net::HttpResponse r = JsonResponse(200, SessionJson(*session));
  r.SetHeader("Set-Cookie", SessionCookieHeader(req, session->session_id, false));
  return r;
}

net::HttpResponse SessionEndpoint::Logout(const net::HttpRequest& req) const {
  std::optional<std::string_view> id = RequestSessionId(req);
  if (id) {
    absl::StatusOr<SessionInfo> session = sessions_->Authenticate(*id);
    if (session.ok()) {
      if (!CsrfMatches(req, *session)) return CsrfRejected();
      if (!sessions_->Logout(*id).ok()) return ServerError();
      Audit(req, session->principal.subject, kAuditLogout, 204);
    }
  }
  // Logging out without a live session is not an error: the outcome is the same.
  net::HttpResponse r;
  r.status = 204;
  r.SetHeader("Set-Cookie", SessionCookieHeader(req, "", true));
  return r;
}

net::HttpResponse SessionEndpoint::Session(const net::HttpRequest& req) const {
  SessionInfo session;
  if (auto refused = RequireSession(*sessions_, req, &session)) return *std::move(refused);
  return JsonResponse(200, SessionJson(session));
}

net::HttpResponse SessionEndpoint::ChangePassword(const net::HttpRequest& req) const {
  SessionInfo session;
  if (auto refused = RequireSession(*sessions_, req, &session)) return *std::move(refused);
  if (!CsrfMatches(req, session)) return CsrfRejected();
  const std::string_view id = *RequestSessionId(req);
  std::vector<std::string> body;
  if (auto bad = ReadJsonStrings(req, {"old_password", "new_password"}, &body)) {
    return *std::move(bad);
  }
  absl::Status changed = sessions_->ChangePassword(id, body[0], body[1]);
  const std::string& login = session.principal.subject;
  if (!changed.ok()) {
    switch (KindOf(changed)) {
    case ErrorKind::kUnauthorized:
      Audit(req, login, kAuditPasswordChange, 403);
      return Error(403, "invalid_credentials",
                   "The current password is wrong, or the account is temporarily locked.",
                   "当前密码错误，或账号已被临时锁定。");
    case ErrorKind::kInvalid:
      return Error(400, "weak_password", StrCat("The new password is refused: ", changed.message()),
                   "新密码不符合密码策略：至少10个字符，且包含小写字母、大写字母、数字、其他字符中的至少三类。");
    case ErrorKind::kConflict:
      return Error(409, "password_reused",
                   StrCat("The new password must differ from the last ",
                          IdentityStore::kPasswordHistory, " passwords."),
                   StrCat("新密码不能与最近 ", IdentityStore::kPasswordHistory, " 次使用过的密码相同。"));
    default:
      return ServerError();
    }
  }
  if (!Audit(req, login, kAuditPasswordChange, 200)) return ServerError();
  absl::StatusOr<SessionInfo> updated = sessions_->Authenticate(id);
  if (!updated.ok()) return ServerError();
  return JsonResponse(200, SessionJson(*updated));
}

std::optional<std::string_view> CookieValue(std::string_view cookie_header,
                                            std::string_view name) {
  while (!cookie_header.empty()) {
    size_t semi = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, semi);
    cookie_header = semi == std::string_view::npos ? "" : cookie_header.substr(semi + 1);
    pair = ToStd(absl::StripAsciiWhitespace(ToAbsl(pair)));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Principal> AuthenticateRequest(const TokenService& tokens,
                                              const SessionService& sessions,
                                              const net::HttpRequest& req) {
  if (!req.Header("Authorization").empty()) return AuthenticateRequest(tokens, req);
  std::optional<std::string_view> id = RequestSessionId(req);
  if (!id) {
    return MakeError(ErrorKind::kUnauthorized, "a bearer token or a session cookie is required");
  }
  ASSIGN_OR_RETURN(SessionInfo session, sessions.Authenticate(*id));
  // SameSite=Strict already keeps the cookie off cross-site requests; the token is the second
  // line, for browsers that ignore SameSite.
  if (!IsSafeMethod(req.method) && !CsrfMatches(req, session)) {
    return MakeError(ErrorKind::kForbidden,
                     "a request with the session cookie needs the X-CSRF-Token header of the "
                     "session (GET /auth/session)");
  }
  if (session.must_change_password) {
    return MakeError(ErrorKind::kForbidden,
                     "the password must be changed first (POST /auth/password)");
  }
  return std::move(session.principal);
}

}  // namespace rhip::security
