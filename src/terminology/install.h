// The terminology every store holds from its creation: the official R4 CodeSystems and
// ValueSets of the required bindings (fhir/model/r4_terminology.h) and rhip's Chinese code
// systems (src/terminology/data/*.json, each with a ValueSet of all its codes). Installed once
// per content version: the table terminology_package remembers the version, and a binary
// with other content writes it again (new resource versions with the same ids).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "db/database.h"
#include "fhir/repository.h"

namespace rhip::terminology {

struct InstallResult {
  std::string version;  // content version now in the store
  bool written = false;  // false: the store had this version already
  int resources = 0;     // resources written
};

// The version of the built-in content: a hash of its text.
std::string BuiltinTerminologyVersion();

// Installs or updates the built-in content when the store does not hold this version. One
// transaction for the resources. REQUIRES: database migrated (0011).
absl::StatusOr<InstallResult> InstallBuiltinTerminology(db::Database* database,
                                                        fhir::Repository* repository);

}  // namespace rhip::terminology
