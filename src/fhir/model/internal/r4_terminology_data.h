// The embedded R4 terminology Bundle (generated r4_terminology_data.cc, see generate_rules.cc).
#pragma once

#include <cstddef>

namespace rhip::fhir::internal {

// Concatenated in order, the chunks are the Bundle's JSON text.
extern const char* const kR4TerminologyChunks[];
extern const size_t kR4TerminologyChunkCount;

}  // namespace rhip::fhir::internal
