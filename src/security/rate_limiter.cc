#include "security/rate_limiter.h"

namespace rhip::security {

Micros RateLimiter::Acquire(std::string_view key, Micros now) {
  if (options_.max_events <= 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = events_.find(std::string(key));
  if (it == events_.end()) {
    if (events_.size() >= options_.max_keys) SweepLocked(now);
    if (events_.size() >= options_.max_keys) return options_.window;
    it = events_.emplace(std::string(key), std::deque<Micros>()).first;
  }
  std::deque<Micros>& times = it->second;
  while (!times.empty() && times.front() <= now - options_.window) times.pop_front();
  if (static_cast<int>(times.size()) >= options_.max_events) {
    return times.front() + options_.window - now;
  }
  times.push_back(now);
  return 0;
}

void RateLimiter::SweepLocked(Micros now) {
  for (auto it = events_.begin(); it != events_.end();) {
    std::deque<Micros>& times = it->second;
    while (!times.empty() && times.front() <= now - options_.window) times.pop_front();
    it = times.empty() ? events_.erase(it) : std::next(it);
  }
}

}  // namespace rhip::security
