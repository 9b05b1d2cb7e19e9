// A bounded pool of connections with blocking checkout, shared by both engines.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::db::internal {

// T needs `bool ReadyForReuse()`: ends any transaction left open and reports whether the
// connection still works. Connections are created on demand, at most `size` at a time;
// one that is not ready for reuse is dropped and a new one made when next needed.
// Thread-safe. REQUIRES: the pool outlives every Lease.
template <typename T>
class Pool {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<T>>()>;

  Pool(size_t size, Factory factory) : size_(size), factory_(std::move(factory)) {}

  // Exclusive use of one connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<T> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Return(std::move(conn_));
    }
    T& operator*() const { return *conn_; }
    T* operator->() const { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<T> conn_;
  };

  // Blocks until a connection is free or may be created.
  absl::StatusOr<Lease> Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      std::unique_ptr<T> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    absl::StatusOr<std::unique_ptr<T>> conn = factory_();
    if (!conn.ok()) {
      Forget();
      return conn.status();
    }
    return Lease(this, *std::move(conn));
  }

 private:
  void Return(std::unique_ptr<T> conn) {
    if (!conn->ReadyForReuse()) {
      conn.reset();
      Forget();
      return;
    }
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(conn));
    }
    cv_.notify_one();
  }

  void Forget() {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    cv_.notify_one();
  }

  const size_t size_;
  const Factory factory_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<T>> idle_;  // guarded by mu_
  size_t open_ = 0;                       // guarded by mu_: idle plus leased
};

}  // namespace rhip::db::internal
