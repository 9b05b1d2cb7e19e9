#include "net/internal/mllp_framer.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rhip::net::internal {
namespace {

std::vector<std::string> FeedAll(MllpFramer& framer, const std::string& data, bool* ok = nullptr) {
  std::vector<std::string> messages;
  const bool fed = framer.Feed(data, &messages);
  if (ok != nullptr) *ok = fed;
  return messages;
}

TEST(MllpFramerTest, OneFrame) {
  MllpFramer framer(1024);
  EXPECT_EQ(FeedAll(framer, MllpFrame("MSH|^~\\&|A\rPID|1")),
            std::vector<std::string>{"MSH|^~\\&|A\rPID|1"});
  EXPECT_TRUE(framer.between_messages());
  EXPECT_EQ(framer.framing_errors(), 0u);
}

TEST(MllpFramerTest, FrameSplitAtEveryByte) {
  const std::string wire = MllpFrame("first") + MllpFrame("second");
  MllpFramer framer(1024);
  std::vector<std::string> messages;
  for (char c : wire) ASSERT_TRUE(framer.Feed(std::string(1, c), &messages));
  EXPECT_EQ(messages, (std::vector<std::string>{"first", "second"}));
}

TEST(MllpFramerTest, GarbageBeforeStartIsSkippedAndCountedOnce) {
  MllpFramer framer(1024);
  EXPECT_EQ(FeedAll(framer, "noise\r\n"), std::vector<std::string>{});
  EXPECT_FALSE(framer.between_messages());
  EXPECT_EQ(FeedAll(framer, "more" + MllpFrame("m")), std::vector<std::string>{"m"});
  EXPECT_EQ(framer.framing_errors(), 1u);
  EXPECT_TRUE(framer.between_messages());
}

TEST(MllpFramerTest, BrokenFramesAreDropped) {
  MllpFramer framer(1024);
  // A restart inside a frame, an end block without CR, then a good frame.
  const std::string wire = std::string("\x0B" "lost\x0B" "kept\x1C\x0D") + "\x0B" "bad\x1Cx" +
                           MllpFrame("good");
  EXPECT_EQ(FeedAll(framer, wire), (std::vector<std::string>{"kept", "good"}));
  EXPECT_EQ(framer.framing_errors(), 2u);
}

TEST(MllpFramerTest, EndBlockFollowedByStartBlockStartsTheNextFrame) {
  MllpFramer framer(1024);
  EXPECT_EQ(FeedAll(framer, std::string("\x0B" "x\x1C") + MllpFrame("y")),
            std::vector<std::string>{"y"});
  EXPECT_EQ(framer.framing_errors(), 1u);
}

TEST(MllpFramerTest, PartialFrameIsPending) {
  MllpFramer framer(1024);
  EXPECT_TRUE(FeedAll(framer, "\x0Bpart").empty());
  EXPECT_FALSE(framer.between_messages());
}

TEST(MllpFramerTest, OversizedMessageStopsTheFramer) {
  MllpFramer framer(10);
  bool ok = true;
  EXPECT_EQ(FeedAll(framer, MllpFrame("0123456789"), &ok), std::vector<std::string>{"0123456789"});
  EXPECT_TRUE(ok);
  EXPECT_TRUE(FeedAll(framer, "\x0B" "01234", &ok).empty());
  EXPECT_TRUE(ok);
  EXPECT_TRUE(FeedAll(framer, "567890", &ok).empty());
  EXPECT_FALSE(ok);
}

// Bounded mutation fuzzing: valid streams with random damage (flipped bytes, inserted control
// bytes, cut points), fed whole and in random pieces. The framer must not crash, must give
// the same messages however the bytes are split, and no message may exceed the limit or
// contain a control byte.
TEST(MllpFramerFuzzTest, RandomDamageAndSplits) {
  std::mt19937 rng(20260101);
  const char alphabet[] = {'\x0B', '\x1C', '\x0D', 'M', 'S', 'H', '|', '^', '\n', '\0'};
  constexpr size_t kMax = 64;
  for (int round = 0; round < 3000; ++round) {
    std::string wire;
    const int frames = static_cast<int>(rng() % 5);
    for (int f = 0; f < frames; ++f) {
      std::string payload(rng() % 80, 'a');
      for (char& c : payload) c = static_cast<char>('A' + rng() % 26);
      wire += MllpFrame(payload);
    }
    const int mutations = static_cast<int>(rng() % 6);
    for (int m = 0; m < mutations && !wire.empty(); ++m) {
      const size_t at = rng() % wire.size();
      switch (rng() % 3) {
        case 0: wire[at] = alphabet[rng() % sizeof alphabet]; break;
        case 1: wire.insert(at, 1, alphabet[rng() % sizeof alphabet]); break;
        default: wire.erase(at, 1); break;
      }
    }
    MllpFramer whole(kMax);
    std::vector<std::string> expected;
    const bool whole_ok = whole.Feed(wire, &expected);

    MllpFramer pieces(kMax);
    std::vector<std::string> got;
    bool pieces_ok = true;
    for (size_t i = 0; i < wire.size() && pieces_ok;) {
      const size_t n = 1 + rng() % 7;
      pieces_ok = pieces.Feed(std::string_view(wire).substr(i, n), &got);
      i += n;
    }
    ASSERT_EQ(whole_ok, pieces_ok) << "round " << round;
    ASSERT_EQ(expected, got) << "round " << round;
    if (whole_ok) {
      ASSERT_EQ(whole.framing_errors(), pieces.framing_errors()) << "round " << round;
    }
    for (const std::string& message : got) {
      ASSERT_LE(message.size(), kMax);
      ASSERT_EQ(message.find_first_of(std::string("\x0B\x1C", 2)), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace rhip::net::internal
