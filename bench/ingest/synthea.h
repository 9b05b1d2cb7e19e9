// The Synthea sample bundles (/work/shared/data/README.md) as request bodies.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"

namespace rhip::bench {

struct Bundle {
  std::string name;        // file name, for reports
  std::string type;        // Bundle.type: "batch" or "transaction"
  std::string text;        // the file, posted as is
  json::Value doc;         // the parsed file, for the raw SQLite baseline
  size_t resources = 0;    // entries that carry a resource
};

// Loads every *.json Bundle under dir (recursively), batch bundles first: the
// fhir-data-pipes patient bundles reference the hospital and practitioner bundles'
// resources through conditional references, so those must be stored before them.
absl::StatusOr<std::vector<Bundle>> LoadBundles(const std::string& dir);

}  // namespace rhip::bench
