// GET /fhir/metadata: what this server really supports.
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"

namespace rhip::fhir {

json::Value BuildCapabilityStatement(std::string_view software_version, std::string_view base_url);

}  // namespace rhip::fhir
