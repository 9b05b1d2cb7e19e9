// The org-unit tree for the access policy: organizations linked by Organization.partOf
// (health bureau → township health centres → village clinics), read from the FHIR store.
// Subtrees are cached for a short time: org changes are rare, and a stale subtree lasts at
// most `ttl` (a newly added village clinic is seen by its township after that).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "core/clock.h"
#include "fhir/repository.h"
#include "security/access_policy.h"

namespace rhip::registry {

class OrganizationTree : public security::OrgTree {
 public:
  // REQUIRES: repository and clock outlive the tree.
  OrganizationTree(fhir::Repository* repository, const Clock* clock,
                   Micros ttl = int64_t{60} * 1000 * 1000)
      : repository_(repository), clock_(clock), ttl_(ttl) {}

  // Breadth-first over Organization?partof=, each level paged; a cycle in partOf ends at
  // organizations already seen. Thread-safe.
  absl::StatusOr<std::vector<std::string>> Subtree(std::string_view org_id) const override;

 private:
  struct Cached {
    Micros fetched = 0;
    std::vector<std::string> ids;
  };
  fhir::Repository* repository_;
  const Clock* clock_;
  Micros ttl_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Cached, std::less<>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rhip::registry
