// The embedded validation rules (generated rules_data.cc; format in README.md, "Rules file").
#pragma once

#include <cstddef>

namespace rhip::fhir::internal {

// Concatenated in order, the chunks are the rules text; each chunk ends at a line break.
extern const char* const kRulesChunks[];
extern const size_t kRulesChunkCount;

}  // namespace rhip::fhir::internal
