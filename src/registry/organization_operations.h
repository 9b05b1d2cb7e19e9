// Organization/{id}/$ancestors and Organization/{id}/$descendants: the org-unit tree over
// FHIR (docs/REGISTRIES.md). app/ registers the handler in RestOptions::operations.
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

  std::vector<fhir::OperationInfo> Operations() const override;
  bool Serves(std::string_view type, std::string_view name) const override;
  // GET only. A Parameters resource: "count" (valueInteger), then per organization an
  // "organization" parameter with parts "organization" (valueReference with display = name),
  // "partOf" (valueReference, absent for a root) and "depth" (valueInteger, 1 = next to the
  // organization asked about). $descendants takes "depth" (levels, 1..100).
  absl::StatusOr<json::Value> Run(const fhir::OperationCall& call) const override;

 private:
  const OrganizationTree* tree_;
};

}  // namespace rhip::registry
