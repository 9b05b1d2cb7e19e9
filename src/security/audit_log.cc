#include "security/audit_log.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "core/strings.h"
#include "db/multi_row_insert.h"
#include "security/internal/audit_chain.h"

namespace rhip::security {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// Attempts at shutdown before the remaining records are reported lost on stderr.
constexpr int kShutdownAttempts = 5;

}  // namespace

AuditLog::AuditLog(db::Database* database, const Clock* clock, Options options)
    : database_(database),
      clock_(clock),
      options_(options),
      background_([this] { BackgroundLoop(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  background_.join();
}

uint64_t AuditLog::Append(AuditRecord record) {
  if (record.time == 0) record.time = clock_->Now();
  uint64_t ticket;
  bool wake;
  {
    std::lock_guard lock(mu_);
    ticket = ++appended_;
    queue_.push_back({ticket, std::move(record)});
    pending_.insert(pending_.end(), ticket);
    // The background thread sleeps until the queue has something, then waits out its delay.
    wake = queue_.size() == 1 || queue_.size() == options_.max_batch;
  }
  if (wake) work_.notify_one();
  return ticket;
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
  } else {
    // Keep the records for the next attempt, ahead of newer ones.
    std::move(batch.rbegin(), batch.rend(), std::front_inserter(queue_));
    ++failures_;
    last_error_ = written;
    work_.notify_one();  // the background thread retries
  }
  written_.notify_all();
  return written;
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
  return database_->Write([&](db::Session& s) -> absl::Status {
    // Locks the chain head until commit: another process's writer waits here and then reads
    // the head this transaction leaves, so the chain stays linear.
    ASSIGN_OR_RETURN(db::Rows head, s.Query("UPDATE audit_chain_head SET seq = seq WHERE id = 1 "
                                            "RETURNING seq, hash"));
    if (head.size() != 1) return absl::InternalError("audit_chain_head has no row");
    int64_t seq = head[0].Int(0);
    std::string prev = head[0].Text(1);
    std::vector<db::RowValues> rows;
    rows.reserve(batch.size());
    for (const Queued& q : batch) {
      internal::AuditRow row{++seq, q.record, prev, ""};
      row.hash = internal::AuditHash(prev, seq, q.record);
      prev = row.hash;
      rows.push_back(internal::AuditToRow(std::move(row)));
    }
    RETURN_IF_ERROR(db::InsertRows(s,
                                   {.table = "audit_event",
                                    .columns = internal::kAuditColumns,
                                    .max_chunk = 64},
                                   std::move(rows))
                        .status());
    return s
        .Execute("UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1",
                 {{"seq", seq}, {"hash", prev}})
        .status();
  });
}

}  // namespace rhip::security
