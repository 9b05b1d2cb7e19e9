#include "security/audit_log.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/multi_row_insert.h"
#include "security/internal/audit_chain.h"
#include "security/internal/audit_journal.h"

namespace rhip::security {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// Attempts at shutdown before the remaining records are reported lost on stderr.
constexpr int kShutdownAttempts = 5;
// Record ids looked up per query when a batch skips records already in the chain.
constexpr size_t kIdLookupChunk = 128;

constexpr std::string_view kJournalPrefix = "journal-";
constexpr std::string_view kJournalSuffix = ".log";

AuditLog::Options WithoutJournal(AuditLog::Options options) {
  options.journal_dir.clear();
  return options;
}

}  // namespace

AuditLog::AuditLog(db::Database* database, const Clock* clock, Options options)
    : AuditLog(database, clock, WithoutJournal(std::move(options)), Tag{}) {}

AuditLog::AuditLog(db::Database* database, const Clock* clock, Options options, Tag)
    : database_(database),
      clock_(clock),
      options_(std::move(options)),
      background_([this] { BackgroundLoop(); }) {}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(db::Database* database,
                                                         const Clock* clock, Options options) {
  if (options.journal_dir.empty()) {
    return absl::InvalidArgumentError("AuditLog::Open needs a journal directory");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.journal_dir, ec);
  if (ec) {
    return absl::InternalError(
        StrCat("cannot create the audit journal directory ", options.journal_dir, ": ",
               ec.message()));
  }
  std::unique_ptr<AuditLog> log(new AuditLog(database, clock, std::move(options), Tag{}));
  {
    // Our own journal first: it is locked from the start, so a recovery running in another
    // process at the same time never takes it for a dead one.
    std::lock_guard lock(log->mu_);
    RETURN_IF_ERROR(log->StartJournal());
  }
  ASSIGN_OR_RETURN(log->recovered_, log->RecoverJournals());
  if (log->options_.journal_sync_every.count() > 0) {
    log->syncer_ = std::thread([l = log.get()] { l->SyncLoop(); });
  }
  return log;
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  sync_wake_.notify_all();
  background_.join();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard lock(mu_);
  if (journal_ != nullptr && pending_.empty()) {
    // Everything is in the chain: leave nothing for the next start to look at.
    for (const auto& j : retired_) j->Delete().IgnoreError();
    journal_->Delete().IgnoreError();
  }
}

absl::Status AuditLog::StartJournal() {
  if (journal_ != nullptr) retired_.push_back(std::move(journal_));
  // NewResourceId: creation time in ms, then 80 random bits; unique, and sorts by age.
  const std::string name = StrCat(kJournalPrefix, NewResourceId(), "-", ::getpid(), kJournalSuffix);
  ASSIGN_OR_RETURN(journal_, internal::JournalFile::Create(
                                 (std::filesystem::path(options_.journal_dir) / name).string()));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLog::RecoverJournals() {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.journal_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kJournalPrefix) && name.ends_with(kJournalSuffix)) {
      paths.push_back(entry.path().string());
    }
  }
  if (ec) {
    return absl::InternalError(
        StrCat("cannot list the audit journal directory ", options_.journal_dir, ": ",
               ec.message()));
  }
  std::sort(paths.begin(), paths.end());  // oldest first, so the chain keeps their order
  int64_t appended = 0;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(std::shared_ptr<internal::JournalFile> file,
                     internal::JournalFile::OpenOrphan(path));
    if (file == nullptr) continue;  // ours, or a living process's, or already recovered
    ASSIGN_OR_RETURN(std::string bytes, file->ReadAll());
    std::vector<internal::JournalEntry> entries = internal::DecodeJournal(bytes);
    for (size_t i = 0; i < entries.size(); i += options_.max_batch) {
      std::vector<Queued> batch;
      for (size_t k = i; k < std::min(entries.size(), i + options_.max_batch); ++k) {
        batch.push_back({0, std::move(entries[k].record_id), std::move(entries[k].record), true});
      }
      int64_t written = 0;
      RETURN_IF_ERROR(database_->Write([&](db::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(written, WriteBatchIn(s, batch));
        return absl::OkStatus();
      }));
      appended += written;
    }
    RETURN_IF_ERROR(file->Delete());
  }
  return appended;
}

void AuditLog::SyncLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    sync_wake_.wait_for(lock, options_.journal_sync_every, [&] { return stop_; });
    std::vector<std::shared_ptr<internal::JournalFile>> files = retired_;
    if (journal_ != nullptr) files.push_back(journal_);
    lock.unlock();
    for (const auto& f : files) {
      if (absl::Status s = f->Sync(); !s.ok()) std::cerr << "rhip: " << s.message() << "\n";
    }
    lock.lock();
  }
}

absl::StatusOr<uint64_t> AuditLog::Append(AuditRecord record) {
  if (record.time == 0) record.time = clock_->Now();
  std::string record_id = NewResourceId();
  std::string frame;
  if (has_journal()) frame = internal::EncodeJournalFrame(record_id, record);
  uint64_t ticket;
  bool wake;
  {
    std::unique_lock lock(mu_);
    if (queue_.size() >= options_.max_queued) {
      // Back-pressure: the chain is behind by max_queued records (load above what the
      // database commits, or a database that fails); help write it, or wait, or fail closed.
      RETURN_IF_ERROR(DriveUntil(lock, [&] { return queue_.size() < options_.max_queued; }));
    }
    if (has_journal()) {
      if (journal_->broken() || journal_->size() >= options_.journal_rotate_bytes) {
        RETURN_IF_ERROR(StartJournal());
      }
      // Under mu_: one writer at a time, so the file's frames are in ticket order and a
      // failed write leaves at most one torn frame, at the end of a file no one appends to.
      RETURN_IF_ERROR(journal_->Append(frame));
    }
    ticket = ++appended_;
    if (journal_ != nullptr) journal_->last_ticket = ticket;
    queue_.push_back({ticket, std::move(record_id), std::move(record)});
    pending_.insert(pending_.end(), ticket);
    // The background thread sleeps until the queue has something, then waits out its delay.
    wake = queue_.size() == 1 || queue_.size() == options_.max_batch;
  }
  if (wake) work_.notify_one();
  return ticket;
}

absl::Status AuditLog::Record(AuditRecord record, Durability durability) {
  ASSIGN_OR_RETURN(uint64_t ticket, Append(std::move(record)));
  if (durability == Durability::kJournal && has_journal()) return absl::OkStatus();
  return WaitDurable(ticket);
}

absl::Status AuditLog::WaitDurable(uint64_t ticket) {
  std::unique_lock lock(mu_);
  return DriveUntil(lock, [&] { return !pending_.contains(ticket); });
}

absl::Status AuditLog::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t newest = appended_;
  return DriveUntil(lock, [&] { return pending_.empty() || *pending_.begin() > newest; });
}

absl::Status AuditLog::DriveUntil(std::unique_lock<std::mutex>& lock,
                                  const std::function<bool()>& done) {
  const uint64_t failures_before = failures_;
  while (!done()) {
    if (failures_ != failures_before) return last_error_;
    if (!queue_.empty() && in_flight_ < std::max(1, options_.max_in_flight)) {
      RunOneBatch(lock).IgnoreError();  // seen through failures_
      continue;
    }
    written_.wait(lock);
  }
  return absl::OkStatus();
}

absl::Status AuditLog::RunOneBatch(std::unique_lock<std::mutex>& lock) {
  const size_t n = std::min(queue_.size(), options_.max_batch);
  std::vector<Queued> batch(std::make_move_iterator(queue_.begin()),
                            std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(n)));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  ++in_flight_;
  lock.unlock();
  absl::Status written = WriteBatch(batch);
  lock.lock();
  --in_flight_;
  if (written.ok()) {
    for (const Queued& q : batch) pending_.erase(q.ticket);
    ReleaseJournals();
  } else {
    // Keep the records for the next attempt, ahead of newer ones.
    for (Queued& q : batch) q.may_exist = true;
    std::move(batch.rbegin(), batch.rend(), std::front_inserter(queue_));
    ++failures_;
    last_error_ = written;
    work_.notify_one();  // the background thread retries
  }
  written_.notify_all();
  return written;
}

void AuditLog::ReleaseJournals() {
  // The oldest ticket not yet in the chain; every journal whose records are all older is done.
  const uint64_t oldest_pending = pending_.empty() ? appended_ + 1 : *pending_.begin();
  std::erase_if(retired_, [&](const std::shared_ptr<internal::JournalFile>& j) {
    if (j->last_ticket >= oldest_pending) return false;
    if (absl::Status s = j->Delete(); !s.ok()) std::cerr << "rhip: " << s.message() << "\n";
    return true;
  });
  if (journal_ != nullptr && journal_->size() > 0 && journal_->last_ticket < oldest_pending &&
      !journal_->broken()) {
    if (absl::Status s = journal_->Truncate(); !s.ok()) {
      std::cerr << "rhip: " << s.message() << "\n";  // it stays; recovery skips what is in
    }
  }
}

void AuditLog::BackgroundLoop() {
  std::chrono::milliseconds backoff{0};
  int shutdown_failures = 0;
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything is written
    if (backoff.count() > 0) {
      work_.wait_for(lock, backoff, [] { return false; });
    } else {
      // Give waiters the chance to write their own records first, and let a batch gather.
      work_.wait_for(lock, options_.background_delay,
                     [&] { return stop_ || queue_.size() >= options_.max_batch; });
    }
    if (queue_.empty()) continue;
    if (in_flight_ >= std::max(1, options_.max_in_flight)) {
      written_.wait(lock);
      continue;
    }
    absl::Status written = RunOneBatch(lock);
    if (written.ok()) {
      backoff = std::chrono::milliseconds{0};
      continue;
    }
    backoff = std::min(kMaxBackoff, std::max(kFirstBackoff, backoff * 2));
    if (stop_ && ++shutdown_failures >= kShutdownAttempts) {
      std::cerr << "rhip: " << queue_.size() << " audit records could not be written: "
                << written.message() << "\n";
      break;
    }
  }
}

absl::Status AuditLog::WriteBatch(const std::vector<Queued>& batch) {
  return database_->Write(
      [&](db::Session& s) -> absl::Status { return WriteBatchIn(s, batch).status(); });
}

absl::StatusOr<int64_t> AuditLog::WriteBatchIn(db::Session& s, const std::vector<Queued>& batch) {
  // Locks the chain head until commit: another process's writer waits here and then reads
  // the head this transaction leaves, so the chain stays linear.
  ASSIGN_OR_RETURN(db::Rows head, s.Query("UPDATE audit_chain_head SET seq = seq WHERE id = 1 "
                                          "RETURNING seq, hash"));
  if (head.size() != 1) return absl::InternalError("audit_chain_head has no row");
  // Records that may be in the chain already (replayed from a journal, or retried after an
  // attempt whose commit may have succeeded without us hearing so) are skipped: each record
  // joins the chain once (and a duplicate would fail the unique record_id forever). Fresh
  // records skip the lookup: it is a query per 128 records.
  absl::flat_hash_set<std::string> present;
  const bool may_exist =
      std::any_of(batch.begin(), batch.end(), [](const Queued& q) { return q.may_exist; });
  for (size_t i = 0; may_exist && i < batch.size(); i += kIdLookupChunk) {
    const size_t end = std::min(batch.size(), i + kIdLookupChunk);
    std::vector<std::string> names;
    names.reserve(end - i);
    std::string sql = "SELECT record_id FROM audit_event WHERE record_id IN (";
    for (size_t k = i; k < end; ++k) {
      names.push_back(StrCat("id", k - i));
      StrAppend(&sql, k == i ? ":" : ", :", names.back());
    }
    sql += ")";
    db::Params params;
    for (size_t k = i; k < end; ++k) params.emplace_back(names[k - i], batch[k].record_id);
    // Planned with the values: a plan PostgreSQL cached while the table was small scans it
    // (measured 60 ms per lookup at 20,000 records, instead of an index probe).
    ASSIGN_OR_RETURN(db::Rows rows, s.QueryPlannedForValues(sql, params));
    for (const db::Row& r : rows) present.insert(r.Text(0));
  }
  int64_t seq = head[0].Int(0);
  std::string prev = head[0].Text(1);
  std::vector<db::RowValues> rows;
  rows.reserve(batch.size());
  for (const Queued& q : batch) {
    if (!present.insert(q.record_id).second) continue;
    internal::AuditRow row{++seq, q.record, prev, "", q.record_id};
    row.hash = internal::AuditHash(prev, seq, q.record);
    prev = row.hash;
    rows.push_back(internal::AuditToRow(std::move(row)));
  }
  const int64_t added = static_cast<int64_t>(rows.size());
  if (added == 0) return 0;
  RETURN_IF_ERROR(db::InsertRows(s,
                                 {.table = "audit_event",
                                  .columns = internal::kAuditColumns,
                                  .max_chunk = 64},
                                 std::move(rows))
                      .status());
  RETURN_IF_ERROR(s.Execute("UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1",
                            {{"seq", seq}, {"hash", prev}})
                      .status());
  return added;
}

}  // namespace rhip::security
