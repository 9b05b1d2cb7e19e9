#include "app/progress_bar.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace rhip::app {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Update(int64_t done, int64_t total, const std::string& extra, bool final) {
  auto now = std::chrono::steady_clock::now();
  auto gap = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  if (!final && now - last_ < gap) return;
  last_ = now;
  double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  char line[300];
  if (tty_) {
    constexpr int kWidth = 30;
    std::string bar(static_cast<size_t>(pct * kWidth / 100), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r%s [%s] %5.1f%%  %lld/%lld  %.0f/s %s", label_.c_str(),
                  bar.c_str(), pct, static_cast<long long>(done), static_cast<long long>(total),
                  rate, extra.c_str());
  } else {
    std::snprintf(line, sizeof line, "%s: %5.1f%%  %lld/%lld  %.0f/s %s\n", label_.c_str(), pct,
                  static_cast<long long>(done), static_cast<long long>(total), rate, extra.c_str());
  }
  std::cerr << line << (final && tty_ ? "\n" : "") << std::flush;
}

}  // namespace rhip::app
