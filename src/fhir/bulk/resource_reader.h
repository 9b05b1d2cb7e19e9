// Streams resources out of an import file without loading it: NDJSON (one resource per
// line) or a Bundle JSON file whose `entry` array is split into entries by a small
// incremental scanner over a read buffer. Each item is raw JSON text; parsing is the
// caller's (worker threads').
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace rhip::fhir::bulk {

enum class FileFormat { kNdjson, kBundle };

struct ReadItem {
  std::string text;        // one NDJSON line (without newline) or one Bundle.entry object
  int64_t number = 0;      // 1-based line number (NDJSON) or entry number (Bundle)
  int64_t end_offset = 0;  // byte offset just past the item in the file
};

class ResourceReader {
 public:
  virtual ~ResourceReader() = default;

  // Format from the name: *.ndjson is NDJSON, *.json a Bundle.
  static absl::StatusOr<FileFormat> FormatOf(const std::string& path);

  // Opens path and skips every item with number <= skip_number; for NDJSON it seeks to
  // skip_offset first (the end_offset of item skip_number from an earlier run).
  // max_item_bytes bounds one item (a longer one is an error, not an allocation).
  static absl::StatusOr<std::unique_ptr<ResourceReader>> Open(const std::string& path,
                                                              int64_t skip_number = 0,
                                                              int64_t skip_offset = 0,
                                                              size_t max_item_bytes = 64 << 20);

  // Next item; false at the end. A malformed file is an error (kInvalid) naming the offset.
  virtual absl::StatusOr<bool> Next(ReadItem* item) = 0;
  // Bytes consumed so far (for progress).
  virtual int64_t offset() const = 0;
};

}  // namespace rhip::fhir::bulk
