// A progress line on stderr for long CLI jobs: redrawn in place on a terminal (at most 5 times
// a second), a plain line every 5 seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rhip::app {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);

  // done of total units (total 0: unknown), with a rate per second since construction and
  // extra text appended. final: always printed, ends the line.
  void Update(int64_t done, int64_t total, const std::string& extra, bool final = false);

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace rhip::app
