// Runs one $export job: reads the current resources and writes one NDJSON file set per type
// into a directory (http://hl7.org/fhir/uv/bulkdata/export.html).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/bulk/ndjson_writer.h"
#include "fhir/repository.h"

namespace rhip::fhir::bulk {

enum class ExportLevel { kSystem, kPatient, kGroup };

struct ExportParams {
  ExportLevel level = ExportLevel::kSystem;
  std::string group_id;            // kGroup only
  std::vector<std::string> types;  // _type; empty: every type
  std::optional<Micros> since;     // _since: only resources last updated after this

  json::Value ToJson() const;
  static absl::StatusOr<ExportParams> FromJson(const json::Value& v);
};

// Parses the kick-off query (_type, _since, _outputFormat). Unknown formats and malformed
// values are kInvalid (400); unknown parameters are ignored as the specification allows.
absl::StatusOr<ExportParams> ParseExportQuery(ExportLevel level, std::string group_id,
                                              std::string_view query);

struct ExportResult {
  std::vector<OutputFile> files;   // resource output, in type order
  std::vector<OutputFile> errors;  // OperationOutcome files (per-resource problems)
};

struct ExportOptions {
  int64_t max_file_bytes = int64_t{1} << 30;
  int page_size = 1000;
  const std::atomic<bool>* cancel = nullptr;          // when it turns true: stop (Cancelled)
  std::function<void(int64_t exported)> on_progress;  // called now and then
};

// Writes the files into dir (which must exist and be empty). Cancellation returns a
// Cancelled status and leaves partial files for the caller to remove.
absl::StatusOr<ExportResult> RunExport(db::Database& db, Repository& repository,
                                       const ExportParams& params, const std::string& dir,
                                       const ExportOptions& options);

}  // namespace rhip::fhir::bulk
