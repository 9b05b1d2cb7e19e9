// Staff accounts, their roles per org unit, and system clients (src/db/migrations/0005_identity.sql).
// Secrets are stored as argon2id hashes only. Thread-safe (all state is in the database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/scopes.h"

namespace rhip::security {

struct ClientInfo {
  std::string client_id;
  std::vector<Scope> scopes;
  std::string status;  // active | revoked
  Micros created = 0;
};

struct RoleAssignment {
  std::string role;      // roles.code, e.g. village_doctor
  std::string org_unit;  // the org unit the role applies to
};

struct UserInfo {
  int64_t id = 0;
  std::string login;
  std::string display_name;
  std::string status;  // active | disabled
  int failed_attempts = 0;
  std::optional<Micros> locked_until;
  Micros created = 0;
  std::vector<RoleAssignment> roles;
  Micros password_changed = 0;
  // An administrator set the password (AddUser, ResetPassword): the user must change it
  // before doing anything else.
  bool must_change = false;
};

struct RoleInfo {
  std::string code;
  std::string name;
  std::string name_zh;
};

// One role_permission row: `target` is a resource type, an operation such as `$unmask`, or
// `*` (every resource type and every operation); `actions` letters of cruds in that order.
struct Permission {
  std::string target;
  std::string actions;
  bool operator==(const Permission&) const = default;
};

// Whether the permissions allow `action` (one of c r u d s) on target (a resource type or an
// operation name with its '$'). A '*' row covers every resource type and operation, so
// system_admin ('*' cruds) holds `$unmask` and `$break-glass` without rows of their own.
bool RoleAllows(const std::vector<Permission>& permissions, std::string_view target, char action);

// The shape of a permission target: '*', '$' and a lower-case operation name (`$break-glass`),
// or a resource-type-like name (`Patient`). Whether the type exists is for the caller to check
// (security/ does not know the FHIR model).
bool IsValidPermissionTarget(std::string_view target);
// Actions are checked with IsValidActions (scopes.h), as for scopes.

// The error every failed client or user authentication returns, whatever the reason, so a
// caller cannot tell an unknown account from a wrong secret.
absl::Status InvalidCredentials();

class IdentityStore {
 public:
  // After this many wrong passwords in a row an account is locked for kLockout.
  static constexpr int kMaxFailedAttempts = 5;
  static constexpr Micros kLockout = int64_t{15} * 60 * 1000 * 1000;
  // A new password may not equal any of the user's last kPasswordHistory passwords.
  static constexpr int kPasswordHistory = 5;

  // REQUIRES: database and clock outlive the store.
  IdentityStore(db::Database* database, const Clock* clock) : db_(database), clock_(clock) {}

  // --- system clients
  // kInvalid for a malformed id or no scopes, kConflict when the id exists.
  absl::Status AddClient(std::string_view client_id, std::string_view secret,
                         const std::vector<Scope>& scopes);
  // Adds the client unless one with that id exists (whatever its secret): true when added.
  absl::StatusOr<bool> EnsureClient(std::string_view client_id, std::string_view secret,
                                    const std::vector<Scope>& scopes);
  absl::StatusOr<std::vector<ClientInfo>> ListClients();
  // Marks the client revoked and revokes every token issued to it. kNotFound when absent.
  absl::Status RevokeClient(std::string_view client_id);
  // The active client with that secret, or InvalidCredentials().
  absl::StatusOr<ClientInfo> AuthenticateClient(std::string_view client_id, std::string_view secret);

  // --- staff users
  // kInvalid for a malformed login, an unknown role or a password against the policy;
  // kConflict when the login exists. The user must change the password at first login.
  absl::Status AddUser(std::string_view login, std::string_view display_name,
                       std::string_view password, const std::vector<RoleAssignment>& roles);
  absl::StatusOr<std::vector<UserInfo>> ListUsers();
  // Disables the account and revokes its tokens and sessions. kNotFound when absent.
  absl::Status DisableUser(std::string_view login);
  // Sets a new password, clears the failed-attempt count and any lockout (the unlock path),
  // ends the user's sessions and makes the next login change the password.
  absl::Status ResetPassword(std::string_view login, std::string_view password);
  // The user's own change: InvalidCredentials() when old_password is wrong (counted like a
  // failed login); kInvalid when new_password is against the policy; kConflict when it equals
  // one of the last kPasswordHistory passwords. Clears must_change. Sessions are left alone
  // (SessionService::ChangePassword ends the others).
  absl::Status ChangePassword(std::string_view login, std::string_view old_password,
                              std::string_view new_password);
  // The active, unlocked user with that password, or InvalidCredentials(); counts failures
  // and locks the account after kMaxFailedAttempts.
  absl::StatusOr<UserInfo> AuthenticateUser(std::string_view login, std::string_view password);

  // --- roles and their permissions (data: defaults seeded by the migrations)
  absl::StatusOr<std::vector<RoleInfo>> ListRoles();
  // kInvalid for a malformed code (1-64 of a-z 0-9 _ -, starting with a letter) or an empty name,
  // kConflict when the code exists. The new role has no permissions.
  absl::Status AddRole(std::string_view code, std::string_view name, std::string_view name_zh);
  // The role's permissions in byte order of target; kNotFound for an unknown role.
  absl::StatusOr<std::vector<Permission>> RolePermissions(std::string_view role);
  // Sets (adds or replaces) the role's actions on target. kInvalid for a malformed target or
  // actions, kNotFound for an unknown role.
  absl::Status SetPermission(std::string_view role, std::string_view target,
                             std::string_view actions);
  // Removes the role's row for target. kNotFound for an unknown role or no such row.
  absl::Status RemovePermission(std::string_view role, std::string_view target);

 private:
  db::Database* db_;
  const Clock* clock_;
};

// Client ids and logins: 1-64 characters of letters, digits, '.', '_', '-', '@'.
bool IsValidAccountName(std::string_view name);

}  // namespace rhip::security
