#include "security/session_service.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "security/access_policy.h"
#include "security/password.h"

namespace rhip::security {
namespace {

constexpr Micros kMicrosPerDay = int64_t{86400} * 1000 * 1000;
// Ids rhip issues are 43 characters; anything much longer is not worth hashing.
constexpr size_t kMaxSessionIdLength = 256;

absl::Status NoSession() {
  return MakeError(ErrorKind::kUnauthorized, "not logged in, or the session has ended");
}

// The user's part of a session (everything but the id, token and times).
struct SessionUser {
  int64_t id = 0;
  std::string login;
  std::string display_name;
  std::vector<RoleAssignment> roles;
  Micros password_changed = 0;
  bool must_change = false;
};

// Fills the derived fields of info from its user and times.
absl::Status Describe(const SessionOptions& options, IdentityStore& identities,
                      const SessionUser& user, Micros now, SessionInfo* info) {
  info->principal.kind = Principal::Kind::kUser;
  info->principal.subject = user.login;
  info->principal.roles = user.roles;
  ASSIGN_OR_RETURN(std::vector<Permission> permissions, PermissionsOfRoles(identities, user.roles));
  info->principal.scopes = PermissionScopes(permissions);
  info->display_name = user.display_name;
  info->idle_expires = info->last_seen + options.idle_timeout;
  info->absolute_expires = info->created + options.absolute_timeout;
  info->principal.expires = std::min(info->idle_expires, info->absolute_expires);
  info->password_expired = options.password_max_age_days > 0 &&
                           now - user.password_changed >=
                               options.password_max_age_days * kMicrosPerDay;
  info->must_change_password = user.must_change || info->password_expired;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SessionInfo> SessionService::Login(std::string_view login,
                                                  std::string_view password) {
  ASSIGN_OR_RETURN(UserInfo user, identities_->AuthenticateUser(login, password));
  SessionInfo info;
  info.session_id = RandomToken(32);
  info.csrf_token = RandomToken(32);
  const Micros now = clock_->Now();
  info.created = info.last_seen = now;
  RETURN_IF_ERROR(db_->Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("DELETE FROM sessions WHERE last_seen <= :idle OR created <= :abs",
                              {{"idle", now - options_.idle_timeout},
                               {"abs", now - options_.absolute_timeout}})
                        .status());
    return s
        .Execute("INSERT INTO sessions (session_hash, user_id, csrf_token, created, last_seen) "
                 "VALUES (:hash, :user, :csrf, :now, :now)",
                 {{"hash", Sha256Hex(info.session_id)},
                  {"user", user.id},
                  {"csrf", info.csrf_token},
                  {"now", now}})
        .status();
  }));
  SessionUser su{user.id, user.login, user.display_name, user.roles, user.password_changed,
                 user.must_change};
  RETURN_IF_ERROR(Describe(options_, *identities_, su, now, &info));
  return info;
}

absl::StatusOr<SessionInfo> SessionService::Authenticate(std::string_view session_id) const {
  if (session_id.empty() || session_id.size() > kMaxSessionIdLength) return NoSession();
  const std::string hash = Sha256Hex(session_id);
  const Micros now = clock_->Now();
  SessionInfo info;
  SessionUser user;
  bool found = false;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    found = false;
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query("SELECT u.id, u.login, u.display_name, u.status, u.must_change, "
                "u.password_changed, s.csrf_token, s.created, s.last_seen "
                "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.session_hash = :hash",
                {{"hash", hash}}));
    if (rows.empty() || rows[0].Text(3) != "active") return absl::OkStatus();
    const db::Row& r = rows[0];
    user = {r.Int(0), r.Text(1), r.Text(2), {}, r.Int(5), r.Int(4) != 0};
    info.csrf_token = r.Text(6);
    info.created = r.Int(7);
    info.last_seen = r.Int(8);
    ASSIGN_OR_RETURN(db::Rows roles,
                     s.Query("SELECT role, org_unit FROM user_role WHERE user_id = :id "
                             "ORDER BY role, org_unit",
                             {{"id", user.id}}));
    for (const db::Row& role : roles) user.roles.push_back({role.Text(0), role.Text(1)});
    found = true;
    return absl::OkStatus();
  }));
  if (!found) return NoSession();
  const bool expired = now >= info.last_seen + options_.idle_timeout ||
                       now >= info.created + options_.absolute_timeout;
  if (expired || now - info.last_seen >= options_.touch_interval) {
    RETURN_IF_ERROR(db_->Write([&](db::Session& s) {
      if (expired) {
        return s.Execute("DELETE FROM sessions WHERE session_hash = :hash", {{"hash", hash}})
            .status();
      }
      return s
          .Execute("UPDATE sessions SET last_seen = :now WHERE session_hash = :hash",
                   {{"hash", hash}, {"now", now}})
          .status();
    }));
    if (expired) return NoSession();
    info.last_seen = now;
  }
  RETURN_IF_ERROR(Describe(options_, *identities_, user, now, &info));
  return info;
}

absl::Status SessionService::Logout(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > kMaxSessionIdLength) return absl::OkStatus();
  return db_->Write([&](db::Session& s) {
    return s
        .Execute("DELETE FROM sessions WHERE session_hash = :hash",
                 {{"hash", Sha256Hex(session_id)}})
        .status();
  });
}

absl::Status SessionService::ChangePassword(std::string_view session_id,
                                            std::string_view old_password,
                                            std::string_view new_password) {
  ASSIGN_OR_RETURN(SessionInfo session, Authenticate(session_id));
  RETURN_IF_ERROR(
      identities_->ChangePassword(session.principal.subject, old_password, new_password));
  // Whoever else held a session of this user (perhaps with the old password) is out.
  return db_->Write([&](db::Session& s) {
    return s
        .Execute("DELETE FROM sessions WHERE session_hash <> :hash AND user_id = "
                 "(SELECT id FROM users WHERE login = :login)",
                 {{"hash", Sha256Hex(session_id)}, {"login", session.principal.subject}})
        .status();
  });
}

}  // namespace rhip::security
