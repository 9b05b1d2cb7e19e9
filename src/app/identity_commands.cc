#include "app/identity_commands.h"

#include <algorithm>
#include <iostream>

#include "app/store.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/model/structure_model.h"
#include "security/identity_store.h"
#include "security/password.h"
#include "security/scopes.h"

namespace rhip::app {
namespace {

void AddStoreOptions(CLI::App* cmd, IdentityConfig* c) {
  cmd->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  cmd->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
}

// Bad input is a usage error (2); anything else a failure (1).
int Fail(std::string_view command, const absl::Status& st) {
  std::cerr << "rhip " << command << ": " << st.message() << "\n";
  return KindOf(st) == ErrorKind::kInvalid ? 2 : 1;
}

int RunClient(const IdentityConfig& c, security::IdentityStore& ids) {
  if (c.client_add->parsed()) {
    std::string scope_text = c.scope;
    std::replace(scope_text.begin(), scope_text.end(), ',', ' ');
    absl::StatusOr<std::vector<security::Scope>> scopes = security::ParseScopes(scope_text);
    if (!scopes.ok()) return Fail("client add", scopes.status());
    std::string secret = security::RandomToken(32);
    if (absl::Status st = ids.AddClient(c.name, secret, *scopes); !st.ok()) {
      return Fail("client add", st);
    }
    // The only time the secret is shown: only its hash is stored.
    std::cout << "client_id: " << c.name << "\nclient_secret: " << secret
              << "\nscope: " << security::FormatScopes(*scopes) << "\n";
    return 0;
  }
  if (c.client_list->parsed()) {
    auto clients = ids.ListClients();
    if (!clients.ok()) return Fail("client list", clients.status());
    std::cout << "client_id\tstatus\tcreated\tscope\n";
    for (const security::ClientInfo& ci : *clients) {
      std::cout << ci.client_id << "\t" << ci.status << "\t" << FormatInstant(ci.created) << "\t"
                << security::FormatScopes(ci.scopes) << "\n";
    }
    return 0;
  }
  if (absl::Status st = ids.RevokeClient(c.name); !st.ok()) return Fail("client revoke", st);
  std::cerr << "rhip client revoke: revoked " << c.name << " and its tokens\n";
  return 0;
}

// The password from the first line of stdin (--password-stdin), or a generated one that is
// printed once.
absl::StatusOr<std::string> NewPassword(const IdentityConfig& c, bool* generated) {
  *generated = !c.password_stdin;
  if (*generated) return security::GeneratePassword();
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  RETURN_IF_ERROR(security::CheckPasswordPolicy(line));
  return line;
}

// `rhip role list` and its older spelling `rhip user roles`: code, Chinese and English name.
int PrintRoles(security::IdentityStore& ids, const char* command) {
  auto roles = ids.ListRoles();
  if (!roles.ok()) return Fail(command, roles.status());
  for (const security::RoleInfo& r : *roles) {
    std::cout << r.code << "\t" << r.name_zh << "\t" << r.name << "\n";
  }
  return 0;
}

int RunUser(const IdentityConfig& c, security::IdentityStore& ids) {
  if (c.user_add->parsed() || c.user_reset->parsed()) {
    const char* command = c.user_add->parsed() ? "user add" : "user reset";
    bool generated = false;
    absl::StatusOr<std::string> password = NewPassword(c, &generated);
    if (!password.ok()) return Fail(command, password.status());
    absl::Status st =
        c.user_add->parsed()
            ? ids.AddUser(c.name, c.display_name.empty() ? c.name : c.display_name, *password,
                          {{c.role, c.org_unit}})
            : ids.ResetPassword(c.name, *password);
    if (!st.ok()) return Fail(command, st);
    if (generated) std::cout << "password: " << *password << "\n";
    return 0;
  }
  if (c.user_list->parsed()) {
    auto users = ids.ListUsers();
    if (!users.ok()) return Fail("user list", users.status());
    std::cout << "login\tname\tstatus\troles\tlocked_until\n";
    for (const security::UserInfo& u : *users) {
      std::string roles;
      for (const security::RoleAssignment& r : u.roles) {
        if (!roles.empty()) roles += ",";
        roles += r.role + "@" + r.org_unit;
      }
      std::cout << u.login << "\t" << u.display_name << "\t" << u.status << "\t" << roles << "\t"
                << (u.locked_until ? FormatInstant(*u.locked_until) : "-") << "\n";
    }
    return 0;
  }
  if (c.user_roles->parsed()) return PrintRoles(ids, "user roles");
  if (absl::Status st = ids.DisableUser(c.name); !st.ok()) return Fail("user disable", st);
  std::cerr << "rhip user disable: disabled " << c.name
            << ", revoked its tokens, ended its sessions\n";
  return 0;
}

// A grant's target must name something that exists: a FHIR R4 resource type (the store only
// checks the shape; security/ does not know the model), an operation, or '*'.
absl::Status CheckGrantTarget(std::string_view target) {
  if (target == "*" || target.starts_with("$") ||
      fhir::StructureModel::R4().IsResourceType(target)) {
    return absl::OkStatus();
  }
  return MakeError(ErrorKind::kInvalid,
                   StrCat("unknown target '", target,
                          "': expected a FHIR R4 resource type (Patient), an operation ($unmask) "
                          "or *"));
}

int RunRole(const IdentityConfig& c, security::IdentityStore& ids) {
  if (c.role_list->parsed()) return PrintRoles(ids, "role list");
  if (c.role_show->parsed()) {
    auto permissions = ids.RolePermissions(c.role);
    if (!permissions.ok()) return Fail("role show", permissions.status());
    std::cout << "target\tactions\n";
    for (const security::Permission& p : *permissions) {
      std::cout << p.target << "\t" << p.actions << "\n";
    }
    return 0;
  }
  if (c.role_grant->parsed()) {
    absl::Status st = CheckGrantTarget(c.target);
    if (st.ok()) st = ids.SetPermission(c.role, c.target, c.actions);
    if (!st.ok()) return Fail("role grant", st);
    std::cerr << "rhip role grant: " << c.role << " now has " << c.target << "." << c.actions << "\n";
    return 0;
  }
  if (c.role_revoke->parsed()) {
    if (absl::Status st = ids.RemovePermission(c.role, c.target); !st.ok()) {
      return Fail("role revoke", st);
    }
    std::cerr << "rhip role revoke: " << c.role << " no longer has " << c.target << "\n";
    return 0;
  }
  if (absl::Status st = ids.AddRole(c.role, c.display_name, c.name_zh); !st.ok()) {
    return Fail("role add", st);
  }
  std::cerr << "rhip role add: added " << c.role << " (no permissions yet; see `rhip role grant`)\n";
  return 0;
}

}  // namespace

void AddIdentityCommands(CLI::App& app, IdentityConfig* c) {
  CLI::App* client = app.add_subcommand("client", "System clients of the OAuth2 token endpoint");
  client->require_subcommand(1);
  c->client_add = client->add_subcommand("add", "Add a client and print its secret once");
  c->client_add->add_option("ID", c->name, "Client id")->required();
  c->client_add
      ->add_option("--scope", c->scope,
                   "SMART scopes, e.g. 'system/Patient.rs system/Observation.cruds'")
      ->required();
  c->client_list = client->add_subcommand("list", "List clients");
  c->client_revoke = client->add_subcommand("revoke", "Revoke a client and all its tokens");
  c->client_revoke->add_option("ID", c->name, "Client id")->required();

  CLI::App* user = app.add_subcommand("user", "Staff accounts");
  user->require_subcommand(1);
  c->user_add = user->add_subcommand("add", "Add a user (prints a generated password once; it must be changed at first login)");
  c->user_add->add_option("LOGIN", c->name, "Login")->required();
  c->user_add->add_option("--role", c->role, "Role code (see `rhip user roles`)")->required();
  c->user_add->add_option("--org", c->org_unit, "Org unit the role applies to")->required();
  c->user_add->add_option("--name", c->display_name, "Display name (default: the login)");
  c->user_list = user->add_subcommand("list", "List users with their roles");
  c->user_disable = user->add_subcommand("disable", "Disable a user, revoke its tokens and end its sessions");
  c->user_disable->add_option("LOGIN", c->name, "Login")->required();
  c->user_reset = user->add_subcommand(
      "reset",
      "Set a new password, unlock, end sessions (prints a generated one once; it must be "
      "changed at the next login)");
  c->user_reset->add_option("LOGIN", c->name, "Login")->required();
  c->user_roles = user->add_subcommand("roles", "List the role codes");
  for (CLI::App* cmd : {c->user_add, c->user_reset}) {
    cmd->add_flag("--password-stdin", c->password_stdin,
                  "Read the password from the first line of stdin instead of generating one");
  }

  CLI::App* role = app.add_subcommand("role", "Roles and their permissions");
  role->require_subcommand(1);
  c->role_list = role->add_subcommand("list", "List the roles");
  c->role_show = role->add_subcommand("show", "List a role's permissions (target, actions)");
  c->role_show->add_option("ROLE", c->role, "Role code")->required();
  c->role_grant = role->add_subcommand(
      "grant", "Set a role's actions on a target (replacing the actions it had there)");
  c->role_grant->add_option("ROLE", c->role, "Role code")->required();
  c->role_grant
      ->add_option("TARGET", c->target,
                   "A FHIR resource type, an operation such as $unmask, or * (everything)")
      ->required();
  c->role_grant->add_option("ACTIONS", c->actions, "Letters of cruds in that order, e.g. rs")
      ->required();
  c->role_revoke = role->add_subcommand("revoke", "Remove a role's permission on a target");
  c->role_revoke->add_option("ROLE", c->role, "Role code")->required();
  c->role_revoke->add_option("TARGET", c->target, "The target to remove")->required();
  c->role_add = role->add_subcommand("add", "Add a custom role (with no permissions)");
  c->role_add->add_option("CODE", c->role, "Role code: a-z 0-9 _ -, e.g. school_doctor")
      ->required();
  c->role_add->add_option("NAME", c->display_name, "English name")->required();
  c->role_add->add_option("NAME_ZH", c->name_zh, "Chinese name")->required();
  for (CLI::App* cmd : {c->client_add, c->client_list, c->client_revoke, c->user_add, c->user_list,
                        c->user_disable, c->user_reset, c->user_roles, c->role_list, c->role_show,
                        c->role_grant, c->role_revoke, c->role_add}) {
    AddStoreOptions(cmd, c);
  }
}

std::optional<int> RunIdentityCommands(const IdentityConfig& c) {
  bool client = c.client_add->parsed() || c.client_list->parsed() || c.client_revoke->parsed();
  bool user = c.user_add->parsed() || c.user_list->parsed() || c.user_disable->parsed() ||
              c.user_reset->parsed() || c.user_roles->parsed();
  bool role = c.role_list->parsed() || c.role_show->parsed() || c.role_grant->parsed() ||
              c.role_revoke->parsed() || c.role_add->parsed();
  if (!client && !user && !role) return std::nullopt;
  const char* command = client ? "client" : user ? "user" : "role";
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip " << command << ": " << store.status().message() << "\n";
    return 1;
  }
  security::IdentityStore ids(store->database.get(), &Clock::Real());
  return client ? RunClient(c, ids) : user ? RunUser(c, ids) : RunRole(c, ids);
}

}  // namespace rhip::app
