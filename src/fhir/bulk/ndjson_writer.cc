#include "fhir/bulk/ndjson_writer.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir::bulk {

NdjsonWriter::NdjsonWriter(std::string dir, std::string type, int64_t max_file_bytes)
    : dir_(std::move(dir)), type_(std::move(type)), max_file_bytes_(max_file_bytes) {}

NdjsonWriter::~NdjsonWriter() {
  if (out_ != nullptr) std::fclose(out_);
}

absl::Status NdjsonWriter::OpenNext() {
  if (out_ != nullptr) RETURN_IF_ERROR(Close());
  OutputFile f;
  f.type = type_;
  f.name = StrCat(type_, "-", files_.size() + 1, ".ndjson");
  std::string path = StrCat(dir_, "/", f.name);
  out_ = std::fopen(path.c_str(), "wb");
  if (out_ == nullptr) {
    return MakeError(ErrorKind::kInternal, StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  files_.push_back(std::move(f));
  return absl::OkStatus();
}

absl::Status NdjsonWriter::Write(std::string_view json) {
  int64_t line = static_cast<int64_t>(json.size()) + 1;
  if (out_ == nullptr || (files_.back().count > 0 && files_.back().bytes + line > max_file_bytes_)) {
    RETURN_IF_ERROR(OpenNext());
  }
  if (std::fwrite(json.data(), 1, json.size(), out_) != json.size() || std::fputc('\n', out_) == EOF) {
    return MakeError(ErrorKind::kInternal, StrCat("cannot write ", dir_, "/", files_.back().name,
                                                  ": ", std::strerror(errno)));
  }
  files_.back().count++;
  files_.back().bytes += line;
  return absl::OkStatus();
}

absl::Status NdjsonWriter::Close() {
  if (out_ == nullptr) return absl::OkStatus();
  // fclose flushes; the job is only reported complete after every file closed cleanly.
  int rc = std::fclose(out_);
  out_ = nullptr;
  if (rc != 0) {
    return MakeError(ErrorKind::kInternal, StrCat("cannot write ", dir_, "/", files_.back().name));
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::bulk
