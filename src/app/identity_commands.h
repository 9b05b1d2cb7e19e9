// `rhip client add|list|revoke`, `rhip user add|list|disable|reset|roles` and
// `rhip role list|show|grant|revoke|add`: accounts for system clients and staff, and the roles'
// permissions, run against the store directly (the server may be running).
#pragma once

#include <optional>
#include <string>

#include "CLI/CLI.hpp"

namespace rhip::app {

struct IdentityConfig {
  std::string data_dir;
  std::string db_url;
  std::string name;          // client id or user login
  std::string scope;         // client add: space- or comma-separated scopes
  std::string role;          // user add
  std::string org_unit;      // user add
  std::string display_name;  // user add; role add: the English name
  std::string name_zh;       // role add
  std::string target;        // role grant|revoke: a resource type, $operation or *
  std::string actions;       // role grant: letters of cruds
  bool password_stdin = false;
  // The subcommands, to see which one was parsed.
  CLI::App* client_add = nullptr;
  CLI::App* client_list = nullptr;
  CLI::App* client_revoke = nullptr;
  CLI::App* user_add = nullptr;
  CLI::App* user_list = nullptr;
  CLI::App* user_disable = nullptr;
  CLI::App* user_reset = nullptr;
  CLI::App* user_roles = nullptr;
  CLI::App* role_list = nullptr;
  CLI::App* role_show = nullptr;
  CLI::App* role_grant = nullptr;
  CLI::App* role_revoke = nullptr;
  CLI::App* role_add = nullptr;
};

void AddIdentityCommands(CLI::App& app, IdentityConfig* config);

// The exit code (0 ok, 1 failure, 2 usage) when a client, user or role command was parsed,
// nullopt otherwise.
std::optional<int> RunIdentityCommands(const IdentityConfig& config);

}  // namespace rhip::app
