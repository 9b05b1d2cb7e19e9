// The FHIR operations of TerminologyService, plugged into the REST handler by app/
// (fhir/operation_handler.h): CodeSystem/$lookup, CodeSystem/$validate-code,
// ValueSet/$expand, ValueSet/$validate-code, ConceptMap/$translate, each with GET parameters
// or a POSTed Parameters resource, at type or instance level.
#pragma once

#include <string_view>
#include <vector>

#include "fhir/operation_handler.h"
#include "terminology/terminology_service.h"

namespace rhip::terminology {

class TerminologyOperations : public fhir::OperationHandler {
 public:
  // REQUIRES: service outlives this.
  explicit TerminologyOperations(TerminologyService* service) : service_(service) {}

  std::vector<fhir::OperationInfo> Operations() const override;
  bool Serves(std::string_view type, std::string_view name) const override;
  absl::StatusOr<json::Value> Run(const fhir::OperationCall& call) const override;

 private:
  TerminologyService* service_;
};

}  // namespace rhip::terminology
