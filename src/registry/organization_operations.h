// Organization/{id}/$ancestors and Organization/{id}/$descendants: the org-unit tree over
// FHIR (docs/REGISTRIES.md). app/ registers one handler for both names in RestOptions.
#pragma once

#include "fhir/operation_handler.h"
#include "registry/organization_tree.h"

namespace rhip::registry {

inline constexpr char kAncestorsOperation[] = "$ancestors";
inline constexpr char kDescendantsOperation[] = "$descendants";

class OrganizationTreeOperations : public fhir::OperationHandler {
 public:
  // REQUIRES: tree outlives the handler.
  explicit OrganizationTreeOperations(const OrganizationTree* tree) : tree_(tree) {}

  // GET only. A Parameters resource: "count" (valueInteger), then per organization an
  // "organization" parameter with parts "organization" (valueReference with display = name),
  // "partOf" (valueReference, absent for a root) and "depth" (valueInteger, 1 = next to the
  // organization asked about). $descendants takes "depth" (levels, 1..100).
  absl::StatusOr<json::Value> Invoke(const fhir::OperationCall& call) const override;

 private:
  const OrganizationTree* tree_;
};

}  // namespace rhip::registry
