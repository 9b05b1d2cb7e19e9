#include "net/internal/worker_pool.h"

#include <utility>

namespace rhip::net::internal {

WorkerPool::WorkerPool(int threads, size_t max_queued, WorkerPoolStats* stats)
    : max_queued_(max_queued), stats_(stats) {
  if (threads < 1) threads = 1;
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(Job& job) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(job));
    wake = idle_workers_ > wakeups_pending_;
    if (wake) ++wakeups_pending_;
  }
  if (stats_ != nullptr) stats_->queued.fetch_add(1, std::memory_order_relaxed);
  if (wake) cv_.notify_one();
  return true;
}

void WorkerPool::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (shutdown_) return;
      ++idle_workers_;
      cv_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
      --idle_workers_;
      if (wakeups_pending_ > 0) --wakeups_pending_;
      continue;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (stats_ != nullptr) {
      stats_->queued.fetch_sub(1, std::memory_order_relaxed);
      stats_->busy.fetch_add(1, std::memory_order_relaxed);
    }
    job(false);
    if (stats_ != nullptr) stats_->busy.fetch_sub(1, std::memory_order_relaxed);
    lock.lock();
  }
}

void WorkerPool::Shutdown() {
  std::deque<Job> cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    cancelled.swap(queue_);
  }
  cv_.notify_all();
  if (stats_ != nullptr) {
    stats_->queued.fetch_sub(static_cast<int64_t>(cancelled.size()), std::memory_order_relaxed);
  }
  for (Job& job : cancelled) job(true);
  for (std::thread& t : threads_) t.join();
}

}  // namespace rhip::net::internal
