// Wall-clock timing shared by the benchmark phases.
#pragma once

#include <chrono>

namespace rhip::bench {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace rhip::bench
