// GET /fhir/metadata: what this server really supports.
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"
#include "fhir/operation_handler.h"

namespace rhip::fhir {

// `operations`: served by plugged-in handlers, listed under their resource types.
json::Value BuildCapabilityStatement(std::string_view software_version, std::string_view base_url,
                                     const std::vector<OperationInfo>& operations = {});

}  // namespace rhip::fhir
