// The tables generate_tables writes at build time (tables_data.cc in the build tree). Layout is
// private to the library; README.md says where the data comes from.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rhip::terminology::internal {

// A toneless pinyin syllable, ü written v ("lv", "nve"); at most 6 letters ("zhuang").
struct Syllable {
  char text[7];
  uint8_t size;
};
extern const Syllable kSyllables[];
extern const size_t kSyllableCount;

// Readings of code points in [kFlatBegin, kFlatEnd): syllable ids kReadingPool[kFlatStart[i]] ..
// kReadingPool[kFlatStart[i + 1] - 1] for i = cp - kFlatBegin, most common first, without repeats
// once tones are dropped. Empty when the source has no reading.
inline constexpr char32_t kFlatBegin = 0x3000;
inline constexpr char32_t kFlatEnd = 0xA000;
extern const uint32_t kFlatStart[];  // kFlatEnd - kFlatBegin + 1 entries
extern const uint16_t kReadingPool[];

// Code points outside the flat range that have readings (Extensions B+, compatibility ideographs),
// sorted by cp; their readings are kReadingPool[start .. start + count).
struct SparseReadings {
  char32_t cp;
  uint32_t start;
  uint16_t count;
};
extern const SparseReadings kSparseReadings[];
extern const size_t kSparseReadingCount;

// Code points that OpenCC t2s changes when converted alone: one bit per BMP code point, and a
// sorted list for the whole range with the single-character result (the fallback map).
extern const uint64_t kTraditionalBmpBits[0x10000 / 64];
struct TraditionalPair {
  char32_t from;
  char32_t to;
};
extern const TraditionalPair kTraditionalPairs[];
extern const size_t kTraditionalPairCount;

// Surname readings (surname_readings.txt), sorted by first character, a compound surname before
// the single character it starts with. Reading r of an entry is the syllable ids
// kSurnamePool[first + r * length .. first + (r + 1) * length).
struct Surname {
  char32_t chars[2];
  uint8_t length;
  uint8_t reading_count;
  uint16_t first;
};
extern const Surname kSurnames[];
extern const size_t kSurnameCount;
extern const uint16_t kSurnamePool[];

}  // namespace rhip::terminology::internal
