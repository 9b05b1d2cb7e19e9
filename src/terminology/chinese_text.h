// Chinese text folding and pinyin keys for string search and the master patient index.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rhip::terminology {

// Folding for matching: full-width ASCII (U+FF01..U+FF5E) → ASCII, ASCII lowercased, whitespace
// (ASCII, U+3000, U+00A0, U+2000..U+200B, ...) and middle dots (· • ‧ ・ ･, U+00B7 U+2022 U+2027
// U+30FB U+FF65) removed, a '.' or '．' between two Han characters removed (阿依古丽.买买提),
// traditional Chinese → simplified (OpenCC t2s). Malformed UTF-8 becomes U+FFFD.
// Thread-safe. Same input, same output.
std::string FoldForSearch(std::string_view utf8);

// True when utf8 contains at least one CJK unified ideograph (main block, Extensions A to H).
bool ContainsHan(std::string_view utf8);

// Toneless pinyin keys of a text containing Han, after FoldForSearch. full: syllables without
// separators ("zhangsanfeng", ü as v: 吕 "lv"); initials: the first letter of each syllable ("zsf").
// Characters without a reading (non-Han, rare Han) are kept folded in both ("李a1" → "lia1", "la1").
struct PinyinKey {
  std::string full;
  std::string initials;
  bool operator==(const PinyinKey&) const = default;
};

// The first key reads every character with its most common reading; each further key (at most
// 4 in all) changes one polyphonic character to its next reading, the 2nd readings of all
// positions first, then the 3rd, ... Empty when the text has no Han.
// surname_first: the first character, or the first two when they are a compound surname in
// surname_readings.txt (欧阳, 尉迟, 万俟, ...), take only their surname readings (曾 zeng, 单 shan).
// Thread-safe. Short texts (up to 85 bytes) allocate only the result and the folded text.
std::vector<PinyinKey> PinyinKeys(std::string_view utf8, bool surname_first = false);

}  // namespace rhip::terminology
