#include "fhir/bulk/resource_reader.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir::bulk {
namespace {

constexpr size_t kReadBytes = 1 << 20;

// A file read in chunks into buf_; buf_[0] is at file offset base_.
class BufferedFile {
 public:
  BufferedFile(std::FILE* f, std::string path, int64_t base) : f_(f), path_(std::move(path)), base_(base) {}
  ~BufferedFile() { std::fclose(f_); }

  // Drops buf_[0, keep_from) and appends the next chunk. False at end of file.
  absl::StatusOr<bool> Refill(size_t keep_from) {
    buf_.erase(0, keep_from);
    base_ += static_cast<int64_t>(keep_from);
    size_t old = buf_.size();
    buf_.resize(old + kReadBytes);
    size_t n = std::fread(buf_.data() + old, 1, kReadBytes, f_);
    buf_.resize(old + n);
    if (n == 0 && std::ferror(f_)) {
      return MakeError(ErrorKind::kInternal, StrCat("cannot read ", path_, ": ", std::strerror(errno)));
    }
    return n > 0;
  }

  std::string buf_;
  std::FILE* f_;
  std::string path_;
  int64_t base_;
};

class NdjsonReader : public ResourceReader {
 public:
  NdjsonReader(std::FILE* f, std::string path, int64_t base, int64_t line, size_t max)
      : file_(f, std::move(path), base), line_(line), max_(max) {}

  absl::StatusOr<bool> Next(ReadItem* item) override {
    while (true) {
      std::string& buf = file_.buf_;
      size_t nl = buf.find('\n', scan_);
      if (nl == std::string::npos) {
        if (buf.size() - pos_ > max_) {
          return MakeError(ErrorKind::kInvalid, StrCat(file_.path_, " line ", line_ + 1,
                                                       " is longer than ", max_, " bytes"));
        }
        scan_ = buf.size() - pos_;
        ASSIGN_OR_RETURN(bool more, file_.Refill(pos_));
        pos_ = 0;
        if (!more) {
          if (buf.empty()) return false;
          nl = buf.size();  // last line without a newline
        } else {
          continue;
        }
      }
      ++line_;
      std::string_view text(buf.data() + pos_, nl - pos_);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      size_t next = std::min(nl + 1, buf.size());
      int64_t end = file_.base_ + static_cast<int64_t>(next);
      pos_ = next;
      scan_ = pos_;
      if (text.find_first_not_of(" \t") == std::string_view::npos) {
        if (nl == buf.size()) {
          buf.clear();
          pos_ = scan_ = 0;
        }
        continue;  // blank lines are allowed
      }
      item->text.assign(text);
      item->number = line_;
      item->end_offset = end;
      if (nl == buf.size()) {  // consumed the unterminated last line
        buf.clear();
        pos_ = scan_ = 0;
      }
      return true;
    }
  }
  int64_t offset() const override { return file_.base_ + static_cast<int64_t>(pos_); }

 private:
  BufferedFile file_;
  int64_t line_;
  size_t max_;
  size_t pos_ = 0;   // start of the next line in buf_
  size_t scan_ = 0;  // where to resume looking for '\n'
};

// Finds Bundle.entry elements: tracks nesting and strings, remembers the last key at the
// top level, and cuts out each object directly inside the top-level "entry" array.
// A set of bytes with a search loop over a lookup table (std::string::find_first_of calls
// memchr on the set once per byte scanned).
class ByteSet {
 public:
  constexpr explicit ByteSet(std::string_view bytes) {
    for (char c : bytes) in_[static_cast<unsigned char>(c)] = true;
  }
  // The index of the first byte of s at or after pos in the set, or s.size().
  size_t Find(std::string_view s, size_t pos) const {
    while (pos < s.size() && !in_[static_cast<unsigned char>(s[pos])]) ++pos;
    return pos;
  }

 private:
  bool in_[256] = {};
};

class BundleReader : public ResourceReader {
 public:
  BundleReader(std::FILE* f, std::string path, size_t max) : file_(f, std::move(path), 0), max_(max) {}

  absl::StatusOr<bool> Next(ReadItem* item) override {
    std::string& buf = file_.buf_;
    while (true) {
      if (pos_ == buf.size()) {
        size_t keep = start_ == std::string::npos ? pos_ : start_;
        if (start_ != std::string::npos && pos_ - start_ > max_) {
          return Error(StrCat("entry ", entries_ + 1, " is longer than ", max_, " bytes"));
        }
        ASSIGN_OR_RETURN(bool more, file_.Refill(keep));
        pos_ -= keep;
        if (start_ != std::string::npos) start_ -= keep;
        if (!more) {
          if (depth_ != 0 || !seen_root_) return Error("unexpected end of file");
          // A single resource or other JSON would otherwise import nothing, silently.
          if (!seen_entries_) return Error("not a Bundle: no top-level entry array");
          return false;
        }
      }
      if (!escape_ && !(in_string_ && depth_ == 1)) {
        // Jump over the bytes that change nothing: inside strings all but quote and
        // backslash, outside them whitespace, numbers and literals.
        static constexpr ByteSet kStringStops("\"\\");
        static constexpr ByteSet kStructureStops("\"{}[]:");
        pos_ = (in_string_ ? kStringStops : kStructureStops).Find(buf, pos_);
        if (pos_ == buf.size()) continue;
      }
      char c = buf[pos_++];
      if (in_string_) {
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
        } else if (depth_ == 1 && key_.size() < 16) {
          key_.push_back(c);
        }
        continue;
      }
      switch (c) {
        case '"':
          in_string_ = true;
          if (depth_ == 1) key_.clear();
          break;
        case ':':
          if (depth_ == 1) last_key_ = key_;
          break;
        case '{':
        case '[':
          if (depth_ == 0) {
            if (c != '{') return Error("a Bundle file must hold one JSON object");
            seen_root_ = true;
          }
          if (depth_ == 1 && c == '[' && last_key_ == "entry") in_entries_ = seen_entries_ = true;
          if (depth_ == 2 && in_entries_) {
            if (c != '{') return Error("Bundle.entry holds a non-object");
            start_ = pos_ - 1;
          }
          ++depth_;
          break;
        case '}':
        case ']':
          if (depth_ == 0) return Error("unbalanced brackets");
          --depth_;
          if (depth_ == 1) in_entries_ = false;
          if (depth_ == 2 && in_entries_ && start_ != std::string::npos) {
            item->text.assign(buf, start_, pos_ - start_);
            item->number = ++entries_;
            item->end_offset = file_.base_ + static_cast<int64_t>(pos_);
            start_ = std::string::npos;
            if (item->number > skip_) return true;
          }
          break;
        default:
          break;
      }
    }
  }
  int64_t offset() const override { return file_.base_ + static_cast<int64_t>(pos_); }
  void set_skip(int64_t n) { skip_ = n; }

 private:
  absl::Status Error(std::string_view what) const {
    return MakeError(ErrorKind::kInvalid,
                     StrCat(file_.path_, " at byte ", offset(), ": ", what));
  }

  BufferedFile file_;
  size_t max_;
  size_t pos_ = 0;
  size_t start_ = std::string::npos;  // start of the entry being cut out
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool seen_root_ = false;
  bool in_entries_ = false;
  bool seen_entries_ = false;
  std::string key_;       // the string being read at depth 1 (first 16 chars)
  std::string last_key_;  // the last key at depth 1
  int64_t entries_ = 0;
  int64_t skip_ = 0;
};

}  // namespace

absl::StatusOr<FileFormat> ResourceReader::FormatOf(const std::string& path) {
  std::string_view p(path);
  if (p.ends_with(".ndjson")) return FileFormat::kNdjson;
  if (p.ends_with(".json")) return FileFormat::kBundle;
  return MakeError(ErrorKind::kInvalid,
                   StrCat(path, ": unknown file type (expected *.ndjson or a Bundle *.json)"));
}

absl::StatusOr<std::unique_ptr<ResourceReader>> ResourceReader::Open(const std::string& path,
                                                                     int64_t skip_number,
                                                                     int64_t skip_offset,
                                                                     size_t max_item_bytes) {
  ASSIGN_OR_RETURN(FileFormat format, FormatOf(path));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return MakeError(ErrorKind::kNotFound, StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (format == FileFormat::kNdjson) {
    if (skip_offset > 0 && std::fseek(f, skip_offset, SEEK_SET) != 0) {
      std::fclose(f);
      return MakeError(ErrorKind::kInternal, StrCat("cannot seek in ", path));
    }
    return std::unique_ptr<ResourceReader>(
        new NdjsonReader(f, path, skip_offset, skip_offset > 0 ? skip_number : 0, max_item_bytes));
  }
  // A Bundle's scanner state at an offset is not just the offset: rescan and skip entries
  // (scanning costs a small fraction of parsing and writing them).
  auto r = std::make_unique<BundleReader>(f, path, max_item_bytes);
  r->set_skip(skip_number);
  return std::unique_ptr<ResourceReader>(std::move(r));
}

}  // namespace rhip::fhir::bulk
