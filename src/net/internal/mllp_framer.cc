#include "net/internal/mllp_framer.h"

namespace rhip::net::internal {

std::string MllpFrame(std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 3);
  frame += kMllpStart;
  frame.append(payload);
  frame += kMllpEnd;
  frame += kMllpCarriageReturn;
  return frame;
}

void MllpFramer::StartFrame() {
  state_ = State::kInFrame;
  skipping_ = false;
  current_.clear();
}

bool MllpFramer::Feed(std::string_view data, std::vector<std::string>* messages) {
  size_t i = 0;
  while (i < data.size()) {
    switch (state_) {
      case State::kSeekStart: {
        const size_t start = data.find(kMllpStart, i);
        if (start != i && !skipping_) {
          ++framing_errors_;
          skipping_ = true;
        }
        if (start == std::string_view::npos) return true;
        StartFrame();
        i = start + 1;
        break;
      }
      case State::kInFrame: {
        // Copy the run of payload bytes up to the next control byte in one go.
        size_t stop = data.find_first_of(std::string_view("\x0B\x1C", 2), i);
        if (stop == std::string_view::npos) stop = data.size();
        if (current_.size() + (stop - i) > max_message_bytes_) return false;
        current_.append(data.substr(i, stop - i));
        i = stop;
        if (i == data.size()) return true;
        if (data[i] == kMllpStart) {  // the sender restarted: drop what it sent so far
          ++framing_errors_;
          StartFrame();
        } else {
          state_ = State::kAfterEnd;
        }
        ++i;
        break;
      }
      case State::kAfterEnd:
        if (data[i] == kMllpCarriageReturn) {
          messages->push_back(std::move(current_));
          current_.clear();
          state_ = State::kSeekStart;
          ++i;
        } else {
          // Not an end block after all: drop the frame and look for the next start
          // (this byte may be it).
          ++framing_errors_;
          current_.clear();
          state_ = State::kSeekStart;
          skipping_ = data[i] != kMllpStart;
          if (skipping_) ++i;
        }
        break;
    }
  }
  return true;
}

}  // namespace rhip::net::internal
