// MLLP (HL7 v2 Minimal Lower Layer Protocol, release 1) framing, without I/O:
//   frame = 0x0B payload 0x1C 0x0D
// Bytes outside a frame are skipped; a start block inside a frame drops the partial frame
// and starts a new one; an end block not followed by 0x0D drops the frame. Each of these
// counts as one framing error (a run of stray bytes counts once). Thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rhip::net::internal {

inline constexpr char kMllpStart = 0x0B;
inline constexpr char kMllpEnd = 0x1C;
inline constexpr char kMllpCarriageReturn = 0x0D;

// The bytes that carry payload on the wire.
std::string MllpFrame(std::string_view payload);

class MllpFramer {
 public:
  explicit MllpFramer(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Consumes data and appends each completed payload to *messages, in order. Returns false
  // when a payload grew beyond max_message_bytes: the rest of data is not consumed and the
  // framer must not be fed again (the peer is not speaking MLLP within our limits).
  bool Feed(std::string_view data, std::vector<std::string>* messages);

  // No partial frame and no stray bytes pending: the connection is between messages.
  bool between_messages() const { return state_ == State::kSeekStart && !skipping_; }
  uint64_t framing_errors() const { return framing_errors_; }

 private:
  enum class State { kSeekStart, kInFrame, kAfterEnd };
  void StartFrame();

  const size_t max_message_bytes_;
  State state_ = State::kSeekStart;
  bool skipping_ = false;  // inside a run of bytes outside any frame
  std::string current_;    // the payload so far
  uint64_t framing_errors_ = 0;
};

}  // namespace rhip::net::internal
