#include "app/identity_commands.h"

#include <algorithm>
#include <iostream>

#include "app/store.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/status_macros.h"
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
  if (c.user_roles->parsed()) {
    auto roles = ids.ListRoles();
    if (!roles.ok()) return Fail("user roles", roles.status());
    for (const security::RoleInfo& r : *roles) {
      std::cout << r.code << "\t" << r.name_zh << "\t" << r.name << "\n";
    }
    return 0;
  }
  if (absl::Status st = ids.DisableUser(c.name); !st.ok()) return Fail("user disable", st);
  std::cerr << "rhip user disable: disabled " << c.name << " and revoked its tokens\n";
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
  c->user_add = user->add_subcommand("add", "Add a user (prints a generated password once)");
  c->user_add->add_option("LOGIN", c->name, "Login")->required();
  c->user_add->add_option("--role", c->role, "Role code (see `rhip user roles`)")->required();
  c->user_add->add_option("--org", c->org_unit, "Org unit the role applies to")->required();
  c->user_add->add_option("--name", c->display_name, "Display name (default: the login)");
  c->user_list = user->add_subcommand("list", "List users with their roles");
  c->user_disable = user->add_subcommand("disable", "Disable a user and revoke its tokens");
  c->user_disable->add_option("LOGIN", c->name, "Login")->required();
  c->user_reset =
      user->add_subcommand("reset", "Set a new password and unlock (prints a generated one once)");
  c->user_reset->add_option("LOGIN", c->name, "Login")->required();
  c->user_roles = user->add_subcommand("roles", "List the role codes");
  for (CLI::App* cmd : {c->user_add, c->user_reset}) {
    cmd->add_flag("--password-stdin", c->password_stdin,
                  "Read the password from the first line of stdin instead of generating one");
  }
  for (CLI::App* cmd : {c->client_add, c->client_list, c->client_revoke, c->user_add, c->user_list,
                        c->user_disable, c->user_reset, c->user_roles}) {
    AddStoreOptions(cmd, c);
  }
}

std::optional<int> RunIdentityCommands(const IdentityConfig& c) {
  bool client = c.client_add->parsed() || c.client_list->parsed() || c.client_revoke->parsed();
  bool user = c.user_add->parsed() || c.user_list->parsed() || c.user_disable->parsed() ||
              c.user_reset->parsed() || c.user_roles->parsed();
  if (!client && !user) return std::nullopt;
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip " << (client ? "client" : "user") << ": " << store.status().message() << "\n";
    return 1;
  }
  security::IdentityStore ids(store->database.get(), &Clock::Real());
  return client ? RunClient(c, ids) : RunUser(c, ids);
}

}  // namespace rhip::app
