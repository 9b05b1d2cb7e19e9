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
      writer_([this] { WriterLoop(); }) {}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  writer_.join();
}

uint64_t AuditLog::Append(AuditRecord record) {
  if (record.time == 0) record.time = clock_->Now();
  uint64_t ticket;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(record));
    ticket = ++appended_;
  }
  work_.notify_one();
  return ticket;
}

absl::Status AuditLog::WaitDurable(uint64_t ticket) {
  std::unique_lock lock(mu_);
  const uint64_t failures_before = failures_;
  written_.wait(lock, [&] {
    return durable_ >= ticket || (failures_ != failures_before && failed_through_ >= ticket);
  });
  if (durable_ >= ticket) return absl::OkStatus();
  return last_error_;
}

absl::Status AuditLog::Flush() {
  uint64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = appended_;
  }
  return WaitDurable(ticket);
}

void AuditLog::WriterLoop() {
  std::chrono::milliseconds backoff{0};
  int shutdown_failures = 0;
  std::unique_lock lock(mu_);
  while (true) {
    if (backoff.count() > 0) {
      work_.wait_for(lock, backoff, [&] { return stop_; });
    }
    work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and everything is written
    std::deque<AuditRecord> batch;
    const size_t n = std::min(queue_.size(), options_.max_batch);
    std::move(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n), std::back_inserter(batch));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    lock.unlock();
    absl::Status written = WriteBatch(batch);
    lock.lock();
    if (written.ok()) {
      durable_ += n;
      backoff = std::chrono::milliseconds{0};
      written_.notify_all();
      continue;
    }
    // Keep the records, in order, for the next attempt.
    std::move(batch.rbegin(), batch.rend(), std::front_inserter(queue_));
    ++failures_;
    failed_through_ = durable_ + n;
    last_error_ = written;
    written_.notify_all();
    backoff = std::min(kMaxBackoff, std::max(kFirstBackoff, backoff * 2));
    if (stop_ && ++shutdown_failures >= kShutdownAttempts) {
      std::cerr << "rhip: " << queue_.size() << " audit records could not be written: "
                << written.message() << "\n";
      break;
    }
  }
}

absl::Status AuditLog::WriteBatch(const std::deque<AuditRecord>& batch) {
  return database_->Write([&](db::Session& s) -> absl::Status {
    // Locks the chain head until commit: another process's writer waits here and then reads
    // the head this transaction leaves, so the chain stays linear.
    RETURN_IF_ERROR(s.Execute("UPDATE audit_chain_head SET seq = seq WHERE id = 1").status());
    ASSIGN_OR_RETURN(db::Rows head, s.Query("SELECT seq, hash FROM audit_chain_head WHERE id = 1"));
    if (head.size() != 1) return absl::InternalError("audit_chain_head has no row");
    int64_t seq = head[0].Int(0);
    std::string prev = head[0].Text(1);
    std::vector<db::RowValues> rows;
    rows.reserve(batch.size());
    for (const AuditRecord& record : batch) {
      internal::AuditRow row{++seq, record, prev, ""};
      row.hash = internal::AuditHash(prev, seq, record);
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
