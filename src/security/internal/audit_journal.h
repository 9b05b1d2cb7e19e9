// The audit journal file (security/audit_log.h): records appended with one write() each, so
// a killed process leaves them in the kernel's page cache and the next start finds them.
//
// Format (stored on disk: bump the version byte for another layout):
//   journal := frame*            (a torn or corrupt frame ends the readable part)
//   frame   := length:u32le crc:u32le payload[length]   crc = CRC-32 (IEEE) of payload
//   payload := 0x01 field{12}     field := size:u32le bytes[size]
//   fields in order: record_id, time (decimal µs), actor, role, org_unit, client_address,
//                    action, patient, resources, query, outcome, reason
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "security/audit_record.h"

namespace rhip::security::internal {

uint32_t Crc32(std::string_view bytes);

std::string EncodeJournalFrame(std::string_view record_id, const AuditRecord& record);

struct JournalEntry {
  std::string record_id;
  AuditRecord record;
};
// The records of the readable prefix of a journal's bytes.
std::vector<JournalEntry> DecodeJournal(std::string_view bytes);

// One open journal file, locked (flock) for the life of this object so that another process
// never recovers it while this one writes. Not thread-safe except Sync().
class JournalFile {
 public:
  // Creates path (which must not exist), opened O_APPEND and locked.
  static absl::StatusOr<std::shared_ptr<JournalFile>> Create(std::string path);
  // Opens an existing journal if no living process holds it; nullptr when one does.
  static absl::StatusOr<std::shared_ptr<JournalFile>> OpenOrphan(std::string path);
  ~JournalFile();  // closes (and so unlocks); does not delete
  JournalFile(const JournalFile&) = delete;
  JournalFile& operator=(const JournalFile&) = delete;

  // One write() of frame. On failure the file is left unusable (a partial frame may end it).
  absl::Status Append(std::string_view frame);
  absl::StatusOr<std::string> ReadAll() const;
  absl::Status Truncate();
  // fdatasync when bytes were written since the last Sync (and, the first time, fsync of the
  // directory, so the file itself survives power loss). Thread-safe.
  absl::Status Sync();
  absl::Status Delete();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_; }
  bool broken() const { return broken_; }
  uint64_t last_ticket = 0;  // the newest ticket written to this file (set by the log)

 private:
  JournalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  const int fd_;
  const std::string path_;
  int64_t size_ = 0;
  bool broken_ = false;
  std::atomic<uint64_t> writes_ = 0;  // Append calls so far
  std::atomic<uint64_t> synced_ = 0;  // writes_ at the last Sync
  std::atomic<bool> directory_synced_ = false;  // the file's directory entry
};

}  // namespace rhip::security::internal
