// The tamper-evident audit trail: records are appended to the hash-chained, append-only
// audit_event table (docs/SECURITY.md, "Audit trail") in batches — one database transaction
// for every record queued while earlier batches were being written; each batch chains its
// hashes on the head it finds inside its transaction. Batches are written by the callers of
// WaitDurable (no thread hand-off on the latency path) and, for records nobody waits for,
// by a background thread shortly after they were appended.
//
// Durability contract ("no response without a durable audit record"):
//   * Append() only queues the record and returns its ticket at once (under a microsecond);
//     it never touches the database.
//   * WaitDurable(ticket) returns OK once that record is committed (fsync'd). A request handler
//     appends as soon as it knows the outcome and waits before it sends the response, so the
//     serialization of the response overlaps the audit commit and concurrent requests share
//     one commit. A response that was sent always has its audit record on disk, for reads as
//     for writes (a write's record is appended after its own transaction committed; a crash
//     between the two leaves the write without a record and unacknowledged to the client).
//   * If the database rejects a batch, its records stay queued in order and are retried (by
//     the next waiter, or the background thread with backoff up to 1 s); WaitDurable returns
//     the error so the caller can fail closed (answer 503, release no data). Only a process that dies holds records in memory that
//     were never acknowledged by WaitDurable — no response was sent for them.
//   * Records nobody waits for are durable within about Options::background_delay plus one
//     commit. The destructor writes everything still queued (retrying a few times).
//   * Cost (docs/PERFORMANCE.md, "Audit trail"): waiting costs about one commit, more than a
//     read by id takes on SQLite; measure before wiring it into every read.
//
// Chain linearity: every batch transaction locks the one audit_chain_head row,
// so several processes on one PostgreSQL database append one chain, never a fork.
//
// Thread-safe. The database and clock must outlive the log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/audit_record.h"

namespace rhip::security {

class AuditLog {
 public:
  struct Options {
    size_t max_batch = 1024;  // records per transaction
    // Batches in flight at once. With one, records appended while a batch commits wait for
    // it and then for their own; with two, the next batch forms and enters the database's
    // queue while the first commits (on SQLite both share one group commit; on PostgreSQL
    // the second waits on the chain-head lock).
    int max_in_flight = 2;
    // Records nobody waits for are written by the background thread this long after the
    // first of them was appended (or as soon as max_batch are queued).
    std::chrono::microseconds background_delay{1000};
  };
  AuditLog(db::Database* database, const Clock* clock, Options options);
  AuditLog(db::Database* database, const Clock* clock) : AuditLog(database, clock, Options()) {}
  // Writes everything still queued (see the contract above), then stops the writer thread.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues record (stamping time with the clock when it is 0) and returns its ticket.
  uint64_t Append(AuditRecord record);
  // Blocks until the record with this ticket is durable. When a batch slot is free the
  // caller writes the queued records itself (its own among them): no hand-off to another
  // thread on the way to the database. An error means a batch failed to commit while the
  // record was waiting (the record stays queued and is retried); the caller fails closed.
  // REQUIRES: ticket came from Append on this log.
  absl::Status WaitDurable(uint64_t ticket);
  // Blocks until everything appended so far is durable; errors as WaitDurable.
  absl::Status Flush();

 private:
  struct Queued {
    uint64_t ticket;
    AuditRecord record;
  };
  void BackgroundLoop();
  // Writes until done() holds, or returns the error of a batch that failed meanwhile.
  absl::Status DriveUntil(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);
  // Takes up to max_batch queued records, writes them with mu_ released, and settles the
  // outcome. REQUIRES: mu_ held, queue_ not empty, in_flight_ < max_in_flight.
  absl::Status RunOneBatch(std::unique_lock<std::mutex>& lock);
  absl::Status WriteBatch(const std::vector<Queued>& batch);

  db::Database* const database_;
  const Clock* const clock_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable work_;     // the background thread waits for records or stop_
  std::condition_variable written_;  // waiters wait for a batch to finish
  // Not yet taken by a writer, in ticket order (chain order is commit order, close to it).
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> pending_ ABSL_GUARDED_BY(mu_);  // tickets queued or in flight
  uint64_t appended_ ABSL_GUARDED_BY(mu_) = 0;       // the newest ticket handed out
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;           // batches being written
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;       // failed batch attempts so far
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread background_;  // last: starts once the fields above are ready
};

}  // namespace rhip::security
