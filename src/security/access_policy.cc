#include "security/access_policy.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::security {

std::vector<Scope> PermissionScopes(const std::vector<Permission>& permissions) {
  std::vector<Scope> out;
  for (const Permission& p : permissions) {
    if (p.target.starts_with("$")) continue;
    Scope scope{"user", p.target, p.actions};
    if (std::none_of(out.begin(), out.end(), [&](const Scope& have) { return have.Covers(scope); })) {
      out.push_back(std::move(scope));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Permission>> PermissionsOfRoles(IdentityStore& identities,
                                                           const std::vector<RoleAssignment>& roles) {
  std::vector<Permission> permissions;
  std::set<std::string> seen;
  for (const RoleAssignment& a : roles) {
    if (!seen.insert(a.role).second) continue;
    ASSIGN_OR_RETURN(std::vector<Permission> granted, identities.RolePermissions(a.role));
    permissions.insert(permissions.end(), granted.begin(), granted.end());
  }
  return permissions;
}

std::string_view OrgUnitId(std::string_view org_unit) {
  constexpr std::string_view kPrefix = "Organization/";
  if (org_unit.starts_with(kPrefix)) org_unit.remove_prefix(kPrefix.size());
  return org_unit;
}

absl::StatusOr<Access> AccessPolicy::Resolve(const Principal& principal) const {
  Access access;
  access.principal = principal;
  if (principal.kind == Principal::Kind::kClient) {
    access.role = "client";
    access.scopes = principal.scopes;
    access.scope.unrestricted = true;
    access.may_unmask = true;
    return access;
  }
  if (cache_ttl_ <= 0) return ResolveUser(principal);
  const Micros now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(principal.subject);
    if (it != cache_.end() && now < it->second.until) {
      access = it->second.access;
      access.principal = principal;
      return access;
    }
  }
  ASSIGN_OR_RETURN(access, ResolveUser(principal));
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[principal.subject] = {access, now + cache_ttl_};
  return access;
}

absl::StatusOr<Access> AccessPolicy::ResolveUser(const Principal& principal) const {
  Access access;
  access.principal = principal;
  std::vector<RoleAssignment> assignments;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows user, s.Query("SELECT id FROM users WHERE login = :login AND "
                                            "status = 'active'",
                                            {{"login", principal.subject}}));
    if (user.empty()) return InvalidCredentials();
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT role, org_unit FROM user_role WHERE "
                                            "user_id = :id ORDER BY role, org_unit",
                                            {{"id", user[0].Int(0)}}));
    for (const db::Row& r : rows) assignments.push_back({r.Text(0), r.Text(1)});
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(std::vector<Permission> permissions,
                   PermissionsOfRoles(*identities_, assignments));
  access.scopes = PermissionScopes(permissions);
  for (const Permission& p : permissions) {
    if (p.target.starts_with("$")) access.operations.push_back(p);
  }
  access.may_unmask = RoleAllows(permissions, kUnmaskPermission, 'r');
  access.may_break_glass = RoleAllows(permissions, kBreakGlassPermission, 'r');
  std::set<std::string> area;
  for (const RoleAssignment& a : assignments) {
    if (a.org_unit == kWholeRegion) access.scope.unrestricted = true;
    std::string id(OrgUnitId(a.org_unit));
    if (std::find(access.scope.own.begin(), access.scope.own.end(), id) == access.scope.own.end()) {
      access.scope.own.push_back(id);
    }
  }
  if (!access.scope.unrestricted) {
    for (const std::string& org : access.scope.own) {
      ASSIGN_OR_RETURN(std::vector<std::string> below, org_tree_->Subtree(org));
      area.insert(below.begin(), below.end());
    }
    access.scope.area.assign(area.begin(), area.end());
  }
  if (!assignments.empty()) {
    access.role = assignments.front().role;
    access.org_unit = assignments.front().org_unit;
  }
  // Several roles: the audit names them all, as the access is their union.
  for (size_t i = 1; i < assignments.size(); ++i) {
    StrAppend(&access.role, ",", assignments[i].role);
    StrAppend(&access.org_unit, ",", assignments[i].org_unit);
  }
  return access;
}

}  // namespace rhip::security
