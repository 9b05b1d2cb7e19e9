// The tamper-evident audit trail: records are appended to the hash-chained, append-only
// audit_event table (docs/SECURITY.md, "Audit trail") by one background writer thread in
// batches — one database transaction, one fsync, for every record queued while the previous
// batch was being written.
//
// Durability contract ("no response without a durable audit record"):
//   * Append() only queues the record and returns its ticket at once (about a microsecond);
//     it never touches the database.
//   * WaitDurable(ticket) returns OK once that record is committed (fsync'd). A request handler
//     appends as soon as it knows the outcome and waits before it sends the response, so the
//     serialization of the response overlaps the audit commit and concurrent requests share
//     one commit. A response that was sent always has its audit record on disk, for reads as
//     for writes (a write's record is appended after its own transaction committed; a crash
//     between the two leaves the write without a record and unacknowledged to the client).
//   * If the database rejects a batch, its records stay queued in order and are retried
//     (backoff up to 1 s); WaitDurable then returns the error so the caller can fail closed
//     (answer 503, release no data). Only a process that dies holds records in memory that
//     were never acknowledged by WaitDurable — no response was sent for them.
//   * The destructor writes everything still queued (retrying a few times) before it returns.
//
// Chain linearity: the writer locks the one audit_chain_head row in each batch transaction,
// so several processes on one PostgreSQL database append one chain, never a fork.
//
// Thread-safe. The database and clock must outlive the log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/audit_record.h"

namespace rhip::security {

class AuditLog {
 public:
  struct Options {
    size_t max_batch = 1024;  // records per transaction
  };
  AuditLog(db::Database* database, const Clock* clock, Options options);
  AuditLog(db::Database* database, const Clock* clock) : AuditLog(database, clock, Options()) {}
  // Flushes (see the contract above), then stops the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues record (stamping time with the clock when it is 0) and returns its ticket.
  uint64_t Append(AuditRecord record);
  // Blocks until the record with this ticket is durable. An error means the batch holding it
  // failed to commit (it stays queued and is retried).
  absl::Status WaitDurable(uint64_t ticket);
  // WaitDurable for everything appended so far.
  absl::Status Flush();

 private:
  void WriterLoop();
  absl::Status WriteBatch(const std::deque<AuditRecord>& batch);

  db::Database* const database_;
  const Clock* const clock_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable work_;     // the writer waits for records or stop_
  std::condition_variable written_;  // waiters wait for durable_ or a failed attempt
  std::deque<AuditRecord> queue_;    // not yet durable, in ticket order: durable_ + 1, ...
  uint64_t appended_ = 0;            // the newest ticket handed out
  uint64_t durable_ = 0;             // every ticket <= durable_ is committed
  uint64_t failures_ = 0;            // failed batch attempts so far
  uint64_t failed_through_ = 0;      // the newest ticket in the last failed attempt
  absl::Status last_error_;
  bool stop_ = false;
  std::thread writer_;  // last: starts after the fields above are ready
};

}  // namespace rhip::security
