// Writes NDJSON output files for one resource type, starting a new file (Type-2.ndjson, ...)
// when the next line would take the current one past max_file_bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace rhip::fhir::bulk {

struct OutputFile {
  std::string type;
  std::string name;  // file name inside the directory, e.g. Observation-1.ndjson
  int64_t count = 0;
  int64_t bytes = 0;
};

class NdjsonWriter {
 public:
  // REQUIRES: dir exists. max_file_bytes > 0.
  NdjsonWriter(std::string dir, std::string type, int64_t max_file_bytes);
  ~NdjsonWriter();
  NdjsonWriter(const NdjsonWriter&) = delete;
  NdjsonWriter& operator=(const NdjsonWriter&) = delete;

  // Appends one resource (a JSON object without newlines) as one line.
  absl::Status Write(std::string_view json);
  // Flushes and closes the current file; further writes are an error.
  absl::Status Close();
  const std::vector<OutputFile>& files() const { return files_; }

 private:
  absl::Status OpenNext();

  std::string dir_;
  std::string type_;
  int64_t max_file_bytes_;
  std::FILE* out_ = nullptr;
  std::vector<OutputFile> files_;
};

}  // namespace rhip::fhir::bulk
