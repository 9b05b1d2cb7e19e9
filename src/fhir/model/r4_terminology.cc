#include "fhir/model/r4_terminology.h"

#include "fhir/model/internal/r4_terminology_data.h"

namespace rhip::fhir {

std::string R4TerminologyBundle() {
  std::string text;
  for (size_t i = 0; i < internal::kR4TerminologyChunkCount; ++i) text += internal::kR4TerminologyChunks[i];
  return text;
}

}  // namespace rhip::fhir
