// The org-unit tree: organizations linked by Organization.partOf (province → … → township →
// village org units, facilities below their unit), held in memory for the access policy,
// the indicators and the $ancestors / $descendants operations.
//
// Exact, not cached for a time: every query first reads the newest Organization versions in
// the store's history (one indexed read) and rebuilds the tree when they differ from the ones
// the tree was built after. So a write of an Organization — by this process, another rhip
// process on the same store, a bundle or a bulk load — is seen by the next query, and an org
// unit moved out of a user's area stops granting access at once. Rebuilding reads every
// Organization's id, name and partOf (figures in docs/PERFORMANCE.md "Org-unit tree").
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "fhir/repository.h"
#include "security/access_policy.h"

namespace rhip::registry {

struct OrgUnit {
  std::string id;
  std::string name;
  std::string parent;  // partOf's id, empty for a root
  int depth = 0;       // distance from the organization asked about (1 = parent or child)
};

class OrganizationTree : public security::OrgTree {
 public:
  // REQUIRES: repository outlives the tree.
  explicit OrganizationTree(fhir::Repository* repository) : repository_(repository) {}

  // `org_id` and every organization below it, `org_id` first. Thread-safe.
  absl::StatusOr<std::vector<std::string>> Subtree(std::string_view org_id) const override;

  // The organizations above `org_id`, its parent first, up to the root (a cycle in partOf
  // ends at the first organization seen again). kNotFound for an unknown or deleted id.
  absl::StatusOr<std::vector<OrgUnit>> Ancestors(std::string_view org_id) const;
  // The organizations below `org_id`, breadth first (children before grandchildren), without
  // `org_id` itself; max_depth > 0 stops that many levels down. kNotFound as above.
  absl::StatusOr<std::vector<OrgUnit>> Descendants(std::string_view org_id,
                                                   int max_depth = 0) const;

  // How many times the tree was built (tests, metrics).
  int64_t builds() const;

  struct Snapshot;

 private:
  absl::StatusOr<std::shared_ptr<const Snapshot>> Current() const;

  fhir::Repository* repository_;
  mutable std::mutex build_mu_;  // one rebuild at a time
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  mutable int64_t builds_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rhip::registry
