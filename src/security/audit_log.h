// The tamper-evident audit trail: records are appended to the hash-chained, append-only
// audit_event table (docs/SECURITY.md, "Audit trail") in batches — one database transaction
// for every record queued while earlier batches were being written; each batch chains its
// hashes on the head it finds inside its transaction.
//
// Durability contract ("writing the audit never loses a record"):
//   * With a journal (Open with Options::journal_dir, e.g. DATA/audit), Append() writes the
//     record to this process's journal file with one write() (no fsync) before it returns
//     OK, and queues it. From then on the record survives the process being killed (kill -9,
//     crash): the kernel holds the bytes. It costs a few microseconds, not a commit.
//   * Power loss or a kernel crash can lose journaled records that were neither committed to
//     the chain nor fdatasync'd: with Options::journal_sync_every > 0 a background thread
//     fdatasyncs the journal that often, so at most that window (plus one sync) is lost;
//     with 0 it is the records not yet committed (normally those of the last background_delay
//     plus one commit; under overload up to max_queued records).
//   * WaitDurable(ticket) returns OK once that record is committed (fsync'd) in the chain.
//     Callers that must not go on without that (exports, break the glass) use
//     Record(record, Durability::kCommit), which appends and waits.
//   * The background writer moves queued records into the chain in batches; when every
//     record of a journal file is in the chain, the file is truncated (the current one) or
//     deleted (one retired at journal_rotate_bytes). Every record carries a random id
//     (audit_event.record_id, unique), so replaying a journal is idempotent.
//   * Open() first appends the records of journals left by dead processes (a journal is
//     locked with flock while its process lives) that are not yet in the chain, then deletes
//     those journals: after a crash every journaled record is in the chain exactly once.
//   * Without a journal (the constructor, journal_dir empty) Append() only queues: a record is
//     safe only after WaitDurable, and Record() always waits for the commit.
//   * If the database rejects a batch, its records stay queued in order and are retried (by
//     the next waiter, or the background thread with backoff up to 1 s); WaitDurable returns
//     the error so the caller can fail closed. A journal write that fails makes Append return
//     the error (the record is not queued): the caller fails closed (503, no data released).
//   * Memory is bounded: with Options::max_queued records waiting for the chain, Append waits
//     for (or writes) a batch first — load beyond what the database commits becomes latency.
//   * The destructor writes everything still queued (retrying a few times); journals it
//     could not empty stay for the next Open.
//   * Cost (docs/PERFORMANCE.md, "Audit trail"): Append to the journal a few µs; waiting for
//     the commit about one commit.
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
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/audit_record.h"

namespace rhip::security {

namespace internal {
class JournalFile;
}

// How durable a record is when Record() returns OK.
enum class Durability {
  kJournal,  // in the journal: survives a killed process (power loss: see the contract)
  kCommit,   // committed (fsync'd) in the chain
};

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
    // Where journal files live (journal-*.log); created when missing. Empty: no journal.
    std::string journal_dir;
    // A background thread fdatasyncs written journal bytes this often; 0: never (the
    // chain commit is the only fsync).
    std::chrono::milliseconds journal_sync_every{0};
    // The current journal is retired (and a new one started) beyond this size; retired
    // journals are deleted once all their records are in the chain.
    int64_t journal_rotate_bytes = 8 << 20;
    // Records queued but not yet taken by a writer, at most; beyond, Append writes a batch
    // itself or waits (back-pressure, bounded memory), and fails if a batch fails meanwhile.
    size_t max_queued = 64 * 1024;
    // What Record(record) waits for.
    Durability durability = Durability::kJournal;
  };
  // A log with a journal: recovers the journals dead processes left (see the contract),
  // then starts this process's own. REQUIRES: !options.journal_dir.empty().
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(db::Database* database,
                                                        const Clock* clock, Options options);
  // A log without a journal (options.journal_dir is ignored).
  AuditLog(db::Database* database, const Clock* clock, Options options);
  AuditLog(db::Database* database, const Clock* clock) : AuditLog(database, clock, Options()) {}
  // Writes everything still queued (see the contract above), then stops the writer thread.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Journals (when the log has a journal) and queues record, stamping time with the clock
  // when it is 0; returns its ticket. An error means the journal write failed and the record
  // was not taken.
  absl::StatusOr<uint64_t> Append(AuditRecord record);
  // Append, then WaitDurable when durability is kCommit or the log has no journal.
  absl::Status Record(AuditRecord record, Durability durability);
  absl::Status Record(AuditRecord record) { return Record(std::move(record), options_.durability); }
  // Blocks until the record with this ticket is durable. When a batch slot is free the
  // caller writes the queued records itself (its own among them): no hand-off to another
  // thread on the way to the database. An error means a batch failed to commit while the
  // record was waiting (the record stays queued and is retried); the caller fails closed.
  // REQUIRES: ticket came from Append on this log.
  absl::Status WaitDurable(uint64_t ticket);
  // Blocks until everything appended so far is durable; errors as WaitDurable.
  absl::Status Flush();

  bool has_journal() const { return !options_.journal_dir.empty(); }
  // Records Open found in dead processes' journals and appended to the chain.
  int64_t recovered() const { return recovered_; }

 private:
  struct Tag {};
  AuditLog(db::Database* database, const Clock* clock, Options options, Tag);
  struct Queued {
    uint64_t ticket;
    std::string record_id;
    AuditRecord record;
    bool may_exist = false;  // replayed or retried: WriteBatchIn looks its id up first
  };
  // Appends the journals of dead processes in dir (not yet in the chain) and deletes them.
  absl::StatusOr<int64_t> RecoverJournals();
  absl::Status StartJournal() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BackgroundLoop();
  void SyncLoop();
  // Writes until done() holds, or returns the error of a batch that failed meanwhile.
  absl::Status DriveUntil(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);
  // Takes up to max_batch queued records, writes them with mu_ released, and settles the
  // outcome. REQUIRES: mu_ held, queue_ not empty, in_flight_ < max_in_flight.
  absl::Status RunOneBatch(std::unique_lock<std::mutex>& lock);
  // Truncates or deletes journals whose records are all in the chain.
  void ReleaseJournals() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the records not yet in the chain (by record_id) as one transaction.
  absl::Status WriteBatch(const std::vector<Queued>& batch);
  // WriteBatch's transaction body; returns the number of records added.
  static absl::StatusOr<int64_t> WriteBatchIn(db::Session& s, const std::vector<Queued>& batch);

  db::Database* const database_;
  const Clock* const clock_;
  const Options options_;
  int64_t recovered_ = 0;

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
  // The journal Append writes to, and earlier ones with records not yet in the chain.
  std::shared_ptr<internal::JournalFile> journal_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<internal::JournalFile>> retired_ ABSL_GUARDED_BY(mu_);
  std::condition_variable sync_wake_;           // stop_ for the sync thread
  std::thread syncer_;
  std::thread background_;  // last: starts once the fields above are ready
};

}  // namespace rhip::security
