#include "security/internal/audit_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "core/strings.h"

namespace rhip::security::internal {
namespace {

constexpr char kVersion = 1;
constexpr size_t kFields = 12;
// A frame larger than this is corruption, not a record (records are a few hundred bytes).
constexpr uint32_t kMaxPayload = 64u << 20;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::array<const std::string*, kFields - 2> TextFields(const AuditRecord& r) {
  return {&r.actor,     &r.role,  &r.org_unit, &r.client_address, &r.action,
          &r.patient,   &r.resources, &r.query, &r.outcome,  &r.reason};
}

}  // namespace

uint32_t Crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : bytes) crc = kTable[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string EncodeJournalFrame(std::string_view record_id, const AuditRecord& r) {
  std::string payload(1, kVersion);
  auto field = [&](std::string_view s) {
    PutU32(payload, static_cast<uint32_t>(s.size()));
    payload.append(s);
  };
  field(record_id);
  field(std::to_string(r.time));
  for (const std::string* s : TextFields(r)) field(*s);
  std::string frame;
  frame.reserve(8 + payload.size());
  PutU32(frame, static_cast<uint32_t>(payload.size()));
  PutU32(frame, Crc32(payload));
  frame.append(payload);
  return frame;
}

std::vector<JournalEntry> DecodeJournal(std::string_view bytes) {
  std::vector<JournalEntry> out;
  while (bytes.size() >= 8) {
    const uint32_t length = GetU32(bytes);
    if (length > kMaxPayload || bytes.size() - 8 < length) break;  // torn tail
    std::string_view payload = bytes.substr(8, length);
    if (Crc32(payload) != GetU32(bytes.substr(4)) || payload.empty() || payload[0] != kVersion) {
      break;
    }
    payload.remove_prefix(1);
    std::vector<std::string_view> fields;
    while (payload.size() >= 4 && fields.size() < kFields) {
      const uint32_t size = GetU32(payload);
      if (payload.size() - 4 < size) break;
      fields.push_back(payload.substr(4, size));
      payload.remove_prefix(4 + size);
    }
    JournalEntry e;
    if (fields.size() != kFields || !payload.empty() ||
        !absl::SimpleAtoi(ToAbsl(fields[1]), &e.record.time)) {
      break;  // a frame whose checksum matches but whose layout does not: stop, as for a tear
    }
    e.record_id = std::string(fields[0]);
    std::array<std::string*, kFields - 2> text = {
        &e.record.actor,   &e.record.role,      &e.record.org_unit, &e.record.client_address,
        &e.record.action,  &e.record.patient,   &e.record.resources, &e.record.query,
        &e.record.outcome, &e.record.reason};
    for (size_t i = 0; i < text.size(); ++i) *text[i] = std::string(fields[i + 2]);
    out.push_back(std::move(e));
    bytes.remove_prefix(8 + length);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<JournalFile>> JournalFile::Create(std::string path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create audit journal", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    absl::Status s = Errno("cannot lock audit journal", path);
    ::close(fd);
    return s;
  }
  return std::shared_ptr<JournalFile>(new JournalFile(fd, std::move(path)));
}

absl::StatusOr<std::shared_ptr<JournalFile>> JournalFile::OpenOrphan(std::string path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;  // another process recovered it meanwhile
    return Errno("cannot open audit journal", path);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return nullptr;  // its process is alive
    errno = err;
    return Errno("cannot lock audit journal", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_nlink == 0) {
    ::close(fd);  // deleted by a process that recovered it before we got the lock
    return nullptr;
  }
  auto file = std::shared_ptr<JournalFile>(new JournalFile(fd, std::move(path)));
  file->size_ = st.st_size;
  return file;
}

JournalFile::~JournalFile() { ::close(fd_); }

absl::Status JournalFile::Append(std::string_view frame) {
  const ssize_t n = ::write(fd_, frame.data(), frame.size());
  if (n != static_cast<ssize_t>(frame.size())) {
    broken_ = true;
    if (n >= 0) errno = ENOSPC;  // a short write: the disk is full
    return Errno("cannot write audit journal", path_);
  }
  size_ += n;
  writes_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<std::string> JournalFile::ReadAll() const {
  std::string bytes;
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
    if (n < 0) return Errno("cannot read audit journal", path_);
    if (n == 0) return bytes;
    bytes.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

absl::Status JournalFile::Truncate() {
  if (::ftruncate(fd_, 0) != 0) return Errno("cannot truncate audit journal", path_);
  size_ = 0;
  return absl::OkStatus();
}

absl::Status JournalFile::Sync() {
  const uint64_t writes = writes_.load(std::memory_order_acquire);
  if (writes == synced_.load()) return absl::OkStatus();
  if (!directory_synced_.load()) {
    // A new file's directory entry must be durable too, or power loss loses the whole file.
    const std::string dir = std::filesystem::path(path_).parent_path().string();
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Errno("cannot open the audit journal directory", dir);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Errno("cannot sync the audit journal directory", dir);
    directory_synced_.store(true);
  }
  if (::fdatasync(fd_) != 0) return Errno("cannot sync audit journal", path_);
  synced_.store(writes);
  return absl::OkStatus();
}

absl::Status JournalFile::Delete() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot delete audit journal", path_);
  }
  return absl::OkStatus();
}

}  // namespace rhip::security::internal
