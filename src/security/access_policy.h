// The access policy: who may do what to which residents' data. A principal (a system client
// or a staff user) resolves to an Access: the permissions of the user's roles (data in
// role_permission, as SMART scopes) and the org units whose residents the user may see — each
// assigned org unit and every organization below it in the org tree. The FHIR layer turns
// the org scope into a predicate inside its SQL (fhir/personal_data_access.h); this module
// knows no FHIR handlers and gets the org tree through the OrgTree interface, which the
// registry implements.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "security/identity_store.h"
#include "security/scopes.h"
#include "security/token_service.h"

namespace rhip::security {

// Org unit in user_role that means "the whole region": no org-unit restriction.
inline constexpr char kWholeRegion[] = "*";

// Operation permissions in role_permission (target column). Stored on disk: do not rename.
inline constexpr char kUnmaskPermission[] = "$unmask";         // see full ID numbers, phones, addresses
inline constexpr char kBreakGlassPermission[] = "$break-glass";  // open a resident outside the org scope

// The organization hierarchy (Organization.partOf), implemented by the registry.
class OrgTree {
 public:
  virtual ~OrgTree() = default;
  // The organization `org_id` and every organization below it, `org_id` first; just
  // {org_id} when nothing is below it or it is unknown. Thread-safe.
  virtual absl::StatusOr<std::vector<std::string>> Subtree(std::string_view org_id) const = 0;
};

// Whose residents a principal may see.
struct OrgScope {
  bool unrestricted = false;      // system clients and whole-region roles
  std::vector<std::string> area;  // Organization ids: residents they manage are in scope
  std::vector<std::string> own;   // the user's assigned org units themselves (consent: a
                                  // resident who refuses sharing is still seen by these)
};

// What one authenticated principal may do.
struct Access {
  Principal principal;
  std::string role;      // the role recorded in the audit trail ("client" for systems)
  std::string org_unit;  // the org unit recorded in the audit trail
  std::vector<Scope> scopes;  // resource permissions
  // The roles' operation rows (`$mpi`, ...; RoleAllows), which `scopes` leaves out. Empty for
  // system clients: their scopes alone decide ('*' covers operations).
  std::vector<Permission> operations;
  OrgScope scope;
  bool may_unmask = false;       // full identifiers in responses
  bool may_break_glass = false;  // may open residents outside `scope` with a stated reason
};

// How long `rhip serve` reuses a user's resolved Access: a change of the user's roles, org
// units or a role's permissions reaches a running server within this bound. Disabling a user
// is not delayed by it: every request's token or session lookup checks the account itself.
inline constexpr Micros kAccessCacheTtl = int64_t{5} * 1000 * 1000;

class AccessPolicy {
 public:
  // REQUIRES: database, identities, org_tree and clock outlive the policy. With cache_ttl > 0
  // (and a clock) a user's Access is kept that long (see kAccessCacheTtl); 0 reads it anew for
  // every request.
  AccessPolicy(db::Database* database, IdentityStore* identities, const OrgTree* org_tree,
               const Clock* clock = nullptr, Micros cache_ttl = 0)
      : db_(database), identities_(identities), org_tree_(org_tree), clock_(clock),
        cache_ttl_(clock == nullptr ? 0 : cache_ttl) {}

  // System clients: their token's scopes, no org restriction, full identifiers. Users: the
  // union of their roles' permissions and org units. kUnauthorized when the user no longer
  // exists or is disabled (and not yet cached). Thread-safe.
  absl::StatusOr<Access> Resolve(const Principal& principal) const;

 private:
  absl::StatusOr<Access> ResolveUser(const Principal& principal) const;

  struct Cached {
    Access access;
    Micros until = 0;
  };
  static constexpr size_t kMaxCached = 10000;  // users; beyond it the cache starts over

  db::Database* db_;
  IdentityStore* identities_;
  const OrgTree* org_tree_;
  const Clock* clock_;
  Micros cache_ttl_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached, std::less<>> cache_ ABSL_GUARDED_BY(mu_);  // by login
};

// The permissions of every role in `roles` (each role once); kNotFound for an unknown role.
absl::StatusOr<std::vector<Permission>> PermissionsOfRoles(IdentityStore& identities,
                                                           const std::vector<RoleAssignment>& roles);

// Resource permissions as scopes ("user/Patient.crus", '*' for every type); operation rows
// (`$unmask`, ...) are left out: they are not resource types.
std::vector<Scope> PermissionScopes(const std::vector<Permission>& permissions);

// An org unit as assigned ("Organization/123" or "123") as an Organization id.
std::string_view OrgUnitId(std::string_view org_unit);

}  // namespace rhip::security
