// Internals shared by the model loader and the validator.
#pragma once

#include <cstddef>

namespace rhip::fhir::internal {

// The embedded model file (generated model_data.cc): concatenated in order, the chunks are
// its text (README.md). Chunked to stay under compilers' string literal limits.
extern const char* const kModelChunks[];
extern const size_t kModelChunkCount;

// An upper bound on a type's direct elements (the largest R4 type has 54), so the validator
// can track which elements it saw in a fixed array. The loader enforces it.
inline constexpr size_t kMaxElementsPerType = 128;

}  // namespace rhip::fhir::internal
