#include "security/identity_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "security/password.h"

namespace rhip::security {
namespace {

absl::Status CheckName(std::string_view what, std::string_view name) {
  if (IsValidAccountName(name)) return absl::OkStatus();
  return MakeError(ErrorKind::kInvalid,
                   StrCat(what, " must be 1-64 letters, digits or . _ - @, got '", name, "'"));
}

absl::Status NotFound(std::string_view what, std::string_view name) {
  return MakeError(ErrorKind::kNotFound, StrCat("no ", what, " '", name, "'"));
}

absl::Status CheckRoleExists(db::Session& s, std::string_view role) {
  ASSIGN_OR_RETURN(db::Rows known, s.Query("SELECT 1 FROM roles WHERE code = :code",
                                           {{"code", std::string(role)}}));
  if (known.empty()) return NotFound("role", role);
  return absl::OkStatus();
}

std::optional<int64_t> OptionalInt(const db::Row& row, size_t i) {
  if (row.IsNull(i)) return std::nullopt;
  return row.Int(i);
}

// Inserts the client when absent; *added says whether it did.
absl::Status InsertClient(db::Session& s, std::string_view client_id, const std::string& hash,
                          const std::vector<Scope>& scopes, Micros now, bool* added) {
  ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT 1 FROM clients WHERE client_id = :id",
                                          {{"id", std::string(client_id)}}));
  *added = rows.empty();
  if (!*added) return absl::OkStatus();
  return s
      .Execute(
          "INSERT INTO clients (client_id, secret_hash, scopes, status, created) "
          "VALUES (:id, :hash, :scopes, 'active', :now)",
          {{"id", std::string(client_id)}, {"hash", hash}, {"scopes", FormatScopes(scopes)},
           {"now", now}})
      .status();
}

// Users (all, or those matching `where`), with their roles; password hashes into *hashes
// when given, in the same order.
absl::StatusOr<std::vector<UserInfo>> ReadUsers(db::Session& s, std::string_view where,
                                                const db::Params& params,
                                                std::vector<std::string>* hashes) {
  ASSIGN_OR_RETURN(db::Rows users,
                   s.Query(StrCat("SELECT id, login, display_name, status, failed_attempts, "
                                  "locked_until, created, password_hash, password_changed, "
                                  "must_change FROM users ",
                                  where, " ORDER BY login"),
                           params));
  ASSIGN_OR_RETURN(db::Rows roles, s.Query("SELECT user_id, role, org_unit FROM user_role "
                                           "ORDER BY user_id, role, org_unit"));
  std::map<int64_t, std::vector<RoleAssignment>> by_user;
  for (const db::Row& r : roles) by_user[r.Int(0)].push_back({r.Text(1), r.Text(2)});
  std::vector<UserInfo> out;
  for (const db::Row& r : users) {
    out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Text(3), static_cast<int>(r.Int(4)),
                   OptionalInt(r, 5), r.Int(6), by_user[r.Int(0)], r.Int(8), r.Int(9) != 0});
    if (hashes != nullptr) hashes->push_back(r.Text(7));
  }
  return out;
}

// Adds hash to the user's password history and drops all but the newest kPasswordHistory.
absl::Status RecordPassword(db::Session& s, std::string_view login, const std::string& hash,
                            Micros now) {
  RETURN_IF_ERROR(s.Execute("INSERT INTO password_history (user_id, password_hash, changed) "
                            "SELECT id, :hash, :now FROM users WHERE login = :login",
                            {{"login", std::string(login)}, {"hash", hash}, {"now", now}})
                      .status());
  return s
      .Execute("DELETE FROM password_history WHERE user_id = (SELECT id FROM users WHERE login = "
               ":login) AND changed < (SELECT MIN(changed) FROM (SELECT changed FROM "
               "password_history WHERE user_id = (SELECT id FROM users WHERE login = :login) "
               "ORDER BY changed DESC LIMIT :keep) newest)",
               {{"login", std::string(login)}, {"keep", int64_t{IdentityStore::kPasswordHistory}}})
      .status();
}

absl::Status EndSessions(db::Session& s, std::string_view login) {
  return s
      .Execute("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE login = :login)",
               {{"login", std::string(login)}})
      .status();
}

}  // namespace

absl::Status InvalidCredentials() {
  return MakeError(ErrorKind::kUnauthorized, "invalid credentials");
}

bool IsValidAccountName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == '@';
  });
}

absl::Status IdentityStore::AddClient(std::string_view client_id, std::string_view secret,
                                      const std::vector<Scope>& scopes) {
  ASSIGN_OR_RETURN(bool added, EnsureClient(client_id, secret, scopes));
  if (!added) return MakeError(ErrorKind::kConflict, StrCat("client '", client_id, "' exists"));
  return absl::OkStatus();
}

absl::StatusOr<bool> IdentityStore::EnsureClient(std::string_view client_id,
                                                 std::string_view secret,
                                                 const std::vector<Scope>& scopes) {
  RETURN_IF_ERROR(CheckName("a client id", client_id));
  if (scopes.empty()) return MakeError(ErrorKind::kInvalid, "a client needs at least one scope");
  if (secret.empty()) return MakeError(ErrorKind::kInvalid, "a client secret must not be empty");
  // Hash outside the transaction: it is slow, and the write callback may run twice.
  ASSIGN_OR_RETURN(std::string hash, HashSecret(secret));
  Micros now = clock_->Now();
  bool added = false;
  RETURN_IF_ERROR(db_->Write([&](db::Session& s) {
    return InsertClient(s, client_id, hash, scopes, now, &added);
  }));
  return added;
}

absl::StatusOr<std::vector<ClientInfo>> IdentityStore::ListClients() {
  std::vector<ClientInfo> out;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query("SELECT client_id, scopes, status, created FROM clients "
                             "ORDER BY client_id"));
    out.clear();
    for (const db::Row& r : rows) {
      ASSIGN_OR_RETURN(std::vector<Scope> scopes, ParseScopes(r.Text(1)));
      out.push_back({r.Text(0), std::move(scopes), r.Text(2), r.Int(3)});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status IdentityStore::RevokeClient(std::string_view client_id) {
  return db_->Write([&](db::Session& s) -> absl::Status {
    db::Params id = {{"id", std::string(client_id)}};
    ASSIGN_OR_RETURN(int64_t n,
                     s.Execute("UPDATE clients SET status = 'revoked' WHERE client_id = :id", id));
    if (n == 0) return NotFound("client", client_id);
    return s.Execute("UPDATE tokens SET revoked = 1 WHERE client_id = :id", id).status();
  });
}

absl::StatusOr<ClientInfo> IdentityStore::AuthenticateClient(std::string_view client_id,
                                                             std::string_view secret) {
  std::optional<std::string> hash;
  ClientInfo info;
  if (IsValidAccountName(client_id)) {
    RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       s.Query("SELECT secret_hash, scopes, status, created FROM clients "
                               "WHERE client_id = :id",
                               {{"id", std::string(client_id)}}));
      if (rows.empty()) return absl::OkStatus();
      hash = rows[0].Text(0);
      ASSIGN_OR_RETURN(info.scopes, ParseScopes(rows[0].Text(1)));
      info.client_id = std::string(client_id);
      info.status = rows[0].Text(2);
      info.created = rows[0].Int(3);
      return absl::OkStatus();
    }));
  }
  if (!hash) {
    VerifyAgainstDummy(secret);
    return InvalidCredentials();
  }
  if (!VerifySecret(*hash, secret) || info.status != "active") return InvalidCredentials();
  return info;
}

absl::Status IdentityStore::AddUser(std::string_view login, std::string_view display_name,
                                    std::string_view password,
                                    const std::vector<RoleAssignment>& roles) {
  RETURN_IF_ERROR(CheckName("a login", login));
  RETURN_IF_ERROR(CheckPasswordPolicy(password));
  if (roles.empty()) return MakeError(ErrorKind::kInvalid, "a user needs at least one role");
  for (const RoleAssignment& r : roles) {
    if (r.org_unit.empty()) {
      return MakeError(ErrorKind::kInvalid, StrCat("role ", r.role, " needs an org unit"));
    }
  }
  ASSIGN_OR_RETURN(std::string hash, HashSecret(password));
  Micros now = clock_->Now();
  return db_->Write([&](db::Session& s) -> absl::Status {
    for (const RoleAssignment& r : roles) {
      ASSIGN_OR_RETURN(db::Rows known, s.Query("SELECT 1 FROM roles WHERE code = :code",
                                               {{"code", r.role}}));
      if (known.empty()) {
        return MakeError(ErrorKind::kInvalid,
                         StrCat("unknown role '", r.role, "' (see `rhip user roles`)"));
      }
    }
    ASSIGN_OR_RETURN(db::Rows existing, s.Query("SELECT 1 FROM users WHERE login = :login",
                                                {{"login", std::string(login)}}));
    if (!existing.empty()) {
      return MakeError(ErrorKind::kConflict, StrCat("user '", login, "' exists"));
    }
    RETURN_IF_ERROR(s.Execute("INSERT INTO users (login, display_name, password_hash, status, "
                              "password_changed, created, must_change) "
                              "VALUES (:login, :name, :hash, 'active', :now, :now, 1)",
                              {{"login", std::string(login)},
                               {"name", std::string(display_name)},
                               {"hash", hash},
                               {"now", now}})
                        .status());
    for (const RoleAssignment& r : roles) {
      RETURN_IF_ERROR(s.Execute("INSERT INTO user_role (user_id, role, org_unit) "
                                "SELECT id, :role, :org FROM users WHERE login = :login",
                                {{"role", r.role}, {"org", r.org_unit}, {"login", std::string(login)}})
                          .status());
    }
    return RecordPassword(s, login, hash, now);
  });
}

absl::StatusOr<std::vector<UserInfo>> IdentityStore::ListUsers() {
  std::vector<UserInfo> out;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(out, ReadUsers(s, "", {}, nullptr));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status IdentityStore::DisableUser(std::string_view login) {
  return db_->Write([&](db::Session& s) -> absl::Status {
    db::Params p = {{"login", std::string(login)}};
    ASSIGN_OR_RETURN(int64_t n,
                     s.Execute("UPDATE users SET status = 'disabled' WHERE login = :login", p));
    if (n == 0) return NotFound("user", login);
    RETURN_IF_ERROR(s.Execute("UPDATE tokens SET revoked = 1 "
                              "WHERE user_id = (SELECT id FROM users WHERE login = :login)",
                              p)
                        .status());
    return EndSessions(s, login);
  });
}

absl::Status IdentityStore::ResetPassword(std::string_view login, std::string_view password) {
  RETURN_IF_ERROR(CheckPasswordPolicy(password));
  ASSIGN_OR_RETURN(std::string hash, HashSecret(password));
  Micros now = clock_->Now();
  return db_->Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n, s.Execute("UPDATE users SET password_hash = :hash, "
                                          "failed_attempts = 0, locked_until = NULL, "
                                          "password_changed = :now, must_change = 1 "
                                          "WHERE login = :login",
                                          {{"hash", hash}, {"now", now}, {"login", std::string(login)}}));
    if (n == 0) return NotFound("user", login);
    RETURN_IF_ERROR(EndSessions(s, login));
    return RecordPassword(s, login, hash, now);
  });
}

absl::Status IdentityStore::ChangePassword(std::string_view login, std::string_view old_password,
                                           std::string_view new_password) {
  ASSIGN_OR_RETURN(UserInfo user, AuthenticateUser(login, old_password));
  RETURN_IF_ERROR(CheckPasswordPolicy(new_password));
  std::vector<std::string> recent;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query("SELECT password_hash FROM users WHERE id = :id UNION ALL "
                "SELECT password_hash FROM (SELECT password_hash FROM password_history "
                "WHERE user_id = :id ORDER BY changed DESC LIMIT :keep) newest",
                {{"id", user.id}, {"keep", int64_t{kPasswordHistory}}}));
    recent.clear();
    for (const db::Row& r : rows) recent.push_back(r.Text(0));
    return absl::OkStatus();
  }));
  for (const std::string& old_hash : recent) {
    if (VerifySecret(old_hash, new_password)) {
      return MakeError(ErrorKind::kConflict,
                       StrCat("the new password must differ from the last ", kPasswordHistory,
                              " passwords"));
    }
  }
  ASSIGN_OR_RETURN(std::string hash, HashSecret(new_password));
  Micros now = clock_->Now();
  return db_->Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("UPDATE users SET password_hash = :hash, password_changed = :now, "
                              "must_change = 0 WHERE id = :id",
                              {{"hash", hash}, {"now", now}, {"id", user.id}})
                        .status());
    return RecordPassword(s, login, hash, now);
  });
}

absl::StatusOr<UserInfo> IdentityStore::AuthenticateUser(std::string_view login,
                                                         std::string_view password) {
  std::optional<UserInfo> user;
  std::string hash;
  if (IsValidAccountName(login)) {
    RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
      std::vector<std::string> hashes;
      ASSIGN_OR_RETURN(std::vector<UserInfo> found,
                       ReadUsers(s, "WHERE login = :login", {{"login", std::string(login)}},
                                 &hashes));
      if (!found.empty()) {
        user = std::move(found[0]);
        hash = hashes[0];
      }
      return absl::OkStatus();
    }));
  }
  if (!user) {
    VerifyAgainstDummy(password);
    return InvalidCredentials();
  }
  Micros now = clock_->Now();
  // A locked account is not even checked, so guessing on during the lockout gains nothing.
  if (user->locked_until && *user->locked_until > now) {
    VerifyAgainstDummy(password);
    return InvalidCredentials();
  }
  bool ok = VerifySecret(hash, password);
  const int64_t id = user->id;
  RETURN_IF_ERROR(db_->Write([&](db::Session& s) -> absl::Status {
    if (ok) {
      return s
          .Execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = :id",
                   {{"id", id}})
          .status();
    }
    // Counted in SQL so concurrent failures are not lost; the last one of a run locks.
    RETURN_IF_ERROR(
        s.Execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = :id",
                  {{"id", id}})
            .status());
    return s
        .Execute("UPDATE users SET failed_attempts = 0, locked_until = :until "
                 "WHERE id = :id AND failed_attempts >= :max",
                 {{"id", id}, {"until", now + kLockout}, {"max", int64_t{kMaxFailedAttempts}}})
        .status();
  }));
  if (!ok || user->status != "active") return InvalidCredentials();
  user->failed_attempts = 0;
  user->locked_until.reset();
  return *user;
}

bool RoleAllows(const std::vector<Permission>& permissions, std::string_view target,
                char action) {
  return std::any_of(permissions.begin(), permissions.end(), [&](const Permission& p) {
    return (p.target == "*" || p.target == target) &&
           p.actions.find(action) != std::string::npos;
  });
}

bool IsValidPermissionTarget(std::string_view target) {
  if (target == "*") return true;
  if (target.size() < 2 || target.size() > 64) return false;
  if (target[0] == '$') {
    std::string_view name = target.substr(1);
    return name[0] >= 'a' && name[0] <= 'z' && std::all_of(name.begin(), name.end(), [](char c) {
             return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
           });
  }
  return target[0] >= 'A' && target[0] <= 'Z' &&
         std::all_of(target.begin(), target.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

absl::StatusOr<std::vector<RoleInfo>> IdentityStore::ListRoles() {
  std::vector<RoleInfo> out;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT code, name, name_zh FROM roles ORDER BY code"));
    out.clear();
    for (const db::Row& r : rows) out.push_back({r.Text(0), r.Text(1), r.Text(2)});
    return absl::OkStatus();
  }));
  return out;
}

absl::Status IdentityStore::AddRole(std::string_view code, std::string_view name,
                                    std::string_view name_zh) {
  bool code_ok = !code.empty() && code.size() <= 64 && code[0] >= 'a' && code[0] <= 'z' &&
                 std::all_of(code.begin(), code.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                 });
  if (!code_ok) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("a role code must be 1-64 of a-z 0-9 _ - starting with a letter, got '",
                            code, "'"));
  }
  if (name.empty() || name_zh.empty()) {
    return MakeError(ErrorKind::kInvalid, "a role needs an English and a Chinese name");
  }
  return db_->Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows existing, s.Query("SELECT 1 FROM roles WHERE code = :code",
                                                {{"code", std::string(code)}}));
    if (!existing.empty()) return MakeError(ErrorKind::kConflict, StrCat("role '", code, "' exists"));
    return s
        .Execute("INSERT INTO roles (code, name, name_zh) VALUES (:code, :name, :name_zh)",
                 {{"code", std::string(code)},
                  {"name", std::string(name)},
                  {"name_zh", std::string(name_zh)}})
        .status();
  });
}

absl::StatusOr<std::vector<Permission>> IdentityStore::RolePermissions(std::string_view role) {
  std::vector<Permission> out;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(CheckRoleExists(s, role));
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT target, actions FROM role_permission "
                                            "WHERE role = :role",
                                            {{"role", std::string(role)}}));
    out.clear();
    for (const db::Row& r : rows) out.push_back({r.Text(0), r.Text(1)});
    // Byte order, the same on both engines (a PostgreSQL locale collation skips the '$').
    std::sort(out.begin(), out.end(),
              [](const Permission& a, const Permission& b) { return a.target < b.target; });
    return absl::OkStatus();
  }));
  return out;
}

absl::Status IdentityStore::SetPermission(std::string_view role, std::string_view target,
                                          std::string_view actions) {
  if (!IsValidPermissionTarget(target)) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("a permission target must be a resource type, $operation or *, got '",
                            target, "'"));
  }
  if (!IsValidActions(actions)) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("actions must be letters of cruds in that order, got '", actions, "'"));
  }
  return db_->Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(CheckRoleExists(s, role));
    db::Params p = {{"role", std::string(role)},
                    {"target", std::string(target)},
                    {"actions", std::string(actions)}};
    ASSIGN_OR_RETURN(int64_t n, s.Execute("UPDATE role_permission SET actions = :actions "
                                          "WHERE role = :role AND target = :target",
                                          p));
    if (n > 0) return absl::OkStatus();
    return s
        .Execute("INSERT INTO role_permission (role, target, actions) "
                 "VALUES (:role, :target, :actions)",
                 p)
        .status();
  });
}

absl::Status IdentityStore::RemovePermission(std::string_view role, std::string_view target) {
  return db_->Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(CheckRoleExists(s, role));
    ASSIGN_OR_RETURN(int64_t n, s.Execute("DELETE FROM role_permission "
                                          "WHERE role = :role AND target = :target",
                                          {{"role", std::string(role)},
                                           {"target", std::string(target)}}));
    if (n == 0) {
      return MakeError(ErrorKind::kNotFound,
                       StrCat("role '", role, "' has no permission on '", target, "'"));
    }
    return absl::OkStatus();
  });
}

}  // namespace rhip::security
