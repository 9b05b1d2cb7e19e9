// A fixed set of threads running jobs from a bounded FIFO queue. Submission never blocks:
// when the queue is full the caller is told at once, so the server can answer 503 instead
// of letting latency grow without bound.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rhip::net::internal {

// Counters shared by every pool in the process (exported as gauges).
struct WorkerPoolStats {
  std::atomic<int64_t> queued{0};
  std::atomic<int64_t> busy{0};
};

class WorkerPool {
 public:
  // A job is called exactly once: with cancelled=false on a worker, or with cancelled=true
  // on the thread calling Shutdown() when it was still queued. Jobs must not throw.
  using Job = std::function<void(bool cancelled)>;

  // stats may be null; otherwise it must outlive the pool.
  WorkerPool(int threads, size_t max_queued, WorkerPoolStats* stats);
  ~WorkerPool();  // Shutdown()

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues job; false (job untouched and not called) when the queue is full or shut down.
  // Thread-safe.
  bool TrySubmit(Job& job);

  // Cancels queued jobs, waits for running ones, joins the threads. Idempotent.
  // REQUIRES: not called from a job.
  void Shutdown();

 private:
  void Run();

  const size_t max_queued_;
  WorkerPoolStats* const stats_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;  // guarded by mu_
  bool shutdown_ = false;  // guarded by mu_
  // Guarded by mu_. A burst of submissions wakes each idle worker once rather than
  // signalling per job: wakeups are the main per-request cost of the pool.
  int idle_workers_ = 0;
  int wakeups_pending_ = 0;  // signalled but not yet running
  std::vector<std::thread> threads_;
};

}  // namespace rhip::net::internal
