#include "net/internal/worker_pool.h"

#include <atomic>
#include <future>
#include <thread>

#include "gtest/gtest.h"

namespace rhip::net::internal {
namespace {

// Occupies a worker until Release().
class Blocker {
 public:
  explicit Blocker(WorkerPool& pool) {
    WorkerPool::Job job = [this](bool) {
      started_.set_value();
      released_.wait();
    };
    EXPECT_TRUE(pool.TrySubmit(job));
    started_.get_future().wait();
  }
  void Release() { release_.set_value(); }

 private:
  std::promise<void> started_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
};

TEST(WorkerPoolTest, RunsJobsAndRejectsWhenQueueIsFull) {
  WorkerPoolStats stats;
  WorkerPool pool(1, 1, &stats);
  Blocker blocker(pool);
  EXPECT_EQ(stats.busy.load(), 1);

  std::atomic<int> ran{0};
  WorkerPool::Job queued = [&](bool cancelled) { ran += cancelled ? 100 : 1; };
  ASSERT_TRUE(pool.TrySubmit(queued));
  EXPECT_EQ(stats.queued.load(), 1);
  WorkerPool::Job extra = [&](bool) { ran += 1000; };
  EXPECT_FALSE(pool.TrySubmit(extra));
  EXPECT_TRUE(extra) << "a rejected job is left with the caller";

  blocker.Release();
  while (ran.load() == 0) std::this_thread::yield();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(stats.queued.load(), 0);
  EXPECT_EQ(stats.busy.load(), 0);
}

TEST(WorkerPoolTest, ShutdownCancelsQueuedJobs) {
  WorkerPool pool(1, 4, nullptr);
  Blocker blocker(pool);
  std::atomic<int> cancelled{0};
  for (int i = 0; i < 3; ++i) {
    WorkerPool::Job job = [&](bool c) { cancelled += c ? 1 : 0; };
    ASSERT_TRUE(pool.TrySubmit(job));
  }
  std::thread shutdown([&] { pool.Shutdown(); });
  // Queued jobs are cancelled at once, before the running one finishes.
  while (cancelled.load() < 3) std::this_thread::yield();
  blocker.Release();
  shutdown.join();
  WorkerPool::Job late = [](bool) {};
  EXPECT_FALSE(pool.TrySubmit(late));
}

}  // namespace
}  // namespace rhip::net::internal
