// An in-memory sliding-window limit on events per key (login attempts per client address and
// per account). Thread-safe. Memory is bounded by Options::max_keys.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "core/clock.h"

namespace rhip::security {

class RateLimiter {
 public:
  struct Options {
    int max_events = 10;                           // allowed per window and key; 0: no limit
    Micros window = int64_t{60} * 1000 * 1000;     // the sliding window
    size_t max_keys = 100000;                      // keys tracked at most
  };
  explicit RateLimiter(Options options) : options_(options) {}

  // Records an event for key at now and returns 0 when it is within the limit; otherwise
  // records nothing and returns how long (> 0) until the next event would be allowed. When
  // max_keys keys have events in the window, a new key is refused for a whole window: under
  // a flood of distinct keys the limiter fails closed, not open.
  Micros Acquire(std::string_view key, Micros now);

 private:
  // Drops events older than the window; removes keys left without events.
  void SweepLocked(Micros now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Micros>> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rhip::security
