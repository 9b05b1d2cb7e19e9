#include "terminology/chinese_text.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>

#include "SimpleConverter.hpp"
#include "terminology/internal/tables.h"
#include "terminology/internal/utf8.h"

namespace rhip::terminology {
namespace {

using internal::DecodeUtf8;
using internal::IsHan;

constexpr size_t kMaxKeys = 4;

// Output bytes written through a pointer: std::string::push_back is not inlined and dominated the
// profile. Short texts (every name) use the stack; capacity is an upper bound given up front.
class Writer {
 public:
  explicit Writer(size_t capacity) {
    if (capacity > sizeof(stack_)) {
      heap_.resize(capacity);
      data_ = heap_.data();
    }
  }
  void Push(char c) { data_[size_++] = c; }
  void Append(const char* p, size_t n) {
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  void AppendCodePoint(char32_t cp) {
    if (cp < 0x80) {
      Push(static_cast<char>(cp));
    } else {
      char buf[4];
      const size_t n = EncodeUtf8(cp, buf);
      Append(buf, n);
    }
  }
  std::string_view view() const { return {data_, size_}; }
  std::string str() const { return std::string(data_, size_); }

 private:
  static size_t EncodeUtf8(char32_t cp, char* out) {
    if (cp < 0x800) {
      out[0] = static_cast<char>(0xC0 | (cp >> 6));
      out[1] = static_cast<char>(0x80 | (cp & 0x3F));
      return 2;
    }
    if (cp < 0x10000) {
      out[0] = static_cast<char>(0xE0 | (cp >> 12));
      out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out[2] = static_cast<char>(0x80 | (cp & 0x3F));
      return 3;
    }
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
  }

  char stack_[256];
  std::string heap_;
  char* data_ = stack_;
  size_t size_ = 0;
};

bool IsRemovedSpace(char32_t cp) {
  switch (cp) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200B;
  }
}

bool IsMiddleDot(char32_t cp) {
  return cp == 0xB7 || cp == 0x2022 || cp == 0x2027 || cp == 0x30FB || cp == 0xFF65;
}

bool IsTraditional(char32_t cp) {
  if (cp < 0x10000) {
    return (internal::kTraditionalBmpBits[cp / 64] >> (cp % 64)) & 1;
  }
  const auto* end = internal::kTraditionalPairs + internal::kTraditionalPairCount;
  const auto* it = std::lower_bound(internal::kTraditionalPairs, end, cp,
                                    [](const internal::TraditionalPair& p, char32_t c) { return p.from < c; });
  return it != end && it->from == cp;
}

// OpenCC t2s over the whole text, so that its phrase table applies. Whether SimpleConverter::Convert
// may run concurrently is not documented by OpenCC, so calls are serialised; only text holding a
// traditional character gets here. If the OpenCC data cannot be loaded (exceptions stay in here),
// the build-time single-character map from the same t2s data is used instead.
class T2s {
 public:
  T2s() {
    try {
      converter_ = std::make_unique<opencc::SimpleConverter>(RHIP_OPENCC_T2S_CONFIG);
    } catch (const std::exception&) {
      converter_.reset();
    }
  }

  std::string Convert(const std::string& text) const {
    if (converter_ != nullptr) {
      try {
        std::lock_guard<std::mutex> lock(mu_);
        return converter_->Convert(text);
      } catch (const std::exception&) {
        // Fall through to the character map.
      }
    }
    Writer out(2 * text.size());  // a 3-byte character may map to a 4-byte one
    for (size_t pos = 0; pos < text.size();) {
      char32_t cp = DecodeUtf8(text, &pos);
      const auto* end = internal::kTraditionalPairs + internal::kTraditionalPairCount;
      const auto* it = std::lower_bound(internal::kTraditionalPairs, end, cp,
                                        [](const internal::TraditionalPair& p, char32_t c) { return p.from < c; });
      if (it != end && it->from == cp) cp = it->to;
      out.AppendCodePoint(cp);
    }
    return out.str();
  }

 private:
  mutable std::mutex mu_;
  std::unique_ptr<opencc::SimpleConverter> converter_;
};

const T2s& T2sConverter() {
  static const T2s converter;
  return converter;
}

// One unit of a text for pinyin: a character with readings, a compound surname (length 2), or a
// character kept as it is (count 0, literal set).
struct Unit {
  const uint16_t* syllables = nullptr;  // reading r is syllables[r * length .. (r + 1) * length)
  uint16_t count = 0;
  uint8_t length = 1;
  std::string_view literal;
};

bool LookupReadings(char32_t cp, Unit* unit) {
  if (cp < internal::kFlatBegin) return false;  // the data starts at U+3007 〇
  if (cp >= internal::kFlatBegin && cp < internal::kFlatEnd) {
    const size_t i = cp - internal::kFlatBegin;
    const uint32_t start = internal::kFlatStart[i];
    unit->syllables = internal::kReadingPool + start;
    unit->count = static_cast<uint16_t>(internal::kFlatStart[i + 1] - start);
    return unit->count > 0;
  }
  const auto* end = internal::kSparseReadings + internal::kSparseReadingCount;
  const auto* it = std::lower_bound(internal::kSparseReadings, end, cp,
                                    [](const internal::SparseReadings& s, char32_t c) { return s.cp < c; });
  if (it == end || it->cp != cp) return false;
  unit->syllables = internal::kReadingPool + it->start;
  unit->count = it->count;
  return true;
}

// The surname entry for a text starting with first, second (second may be 0), or null.
const internal::Surname* LookupSurname(char32_t first, char32_t second) {
  const auto* end = internal::kSurnames + internal::kSurnameCount;
  auto it = std::lower_bound(internal::kSurnames, end, first,
                             [](const internal::Surname& s, char32_t c) { return s.chars[0] < c; });
  for (; it != end && it->chars[0] == first; ++it) {
    if (it->length == 1 || it->chars[1] == second) return it;
  }
  return nullptr;
}

// Calls fn(const Unit&) for each unit of folded text, left to right.
template <typename Fn>
void ForEachUnit(std::string_view folded, bool surname_first, Fn fn) {
  size_t pos = 0;
  if (surname_first && !folded.empty()) {
    size_t next = pos;
    const char32_t first = DecodeUtf8(folded, &next);
    size_t after_second = next;
    const char32_t second = next < folded.size() ? DecodeUtf8(folded, &after_second) : 0;
    if (const internal::Surname* s = LookupSurname(first, second)) {
      Unit unit;
      unit.syllables = internal::kSurnamePool + s->first;
      unit.count = s->reading_count;
      unit.length = s->length;
      fn(unit);
      pos = s->length == 2 ? after_second : next;
    }
  }
  while (pos < folded.size()) {
    const size_t begin = pos;
    const char32_t cp = DecodeUtf8(folded, &pos);
    Unit unit;
    if (!LookupReadings(cp, &unit)) {
      unit.count = 0;
      unit.literal = folded.substr(begin, pos - begin);
    }
    fn(unit);
  }
}

void AppendUnit(const Unit& unit, size_t reading, Writer* full, Writer* initials) {
  if (unit.count == 0) {
    full->Append(unit.literal.data(), unit.literal.size());
    initials->Append(unit.literal.data(), unit.literal.size());
    return;
  }
  for (size_t j = 0; j < unit.length; ++j) {
    const internal::Syllable& s = internal::kSyllables[unit.syllables[reading * unit.length + j]];
    full->Append(s.text, s.size);
    initials->Push(s.text[0]);
  }
}

// The key reading unit `changed` with reading `rank` and every other unit with its first reading.
PinyinKey BuildKey(std::string_view folded, bool surname_first, size_t changed, size_t rank) {
  // A syllable has at most 6 letters and its character at least 3 bytes; a compound surname's two
  // syllables come from at least 6 bytes; a kept character is copied as it is.
  Writer full(2 * folded.size());
  Writer initials(folded.size());
  size_t index = 0;
  ForEachUnit(folded, surname_first, [&](const Unit& unit) {
    AppendUnit(unit, index == changed ? rank : 0, &full, &initials);
    ++index;
  });
  return PinyinKey{full.str(), initials.str()};
}

}  // namespace

std::string FoldForSearch(std::string_view utf8) {
  // Folding never grows a character except a malformed byte, which becomes 3-byte U+FFFD.
  Writer out(3 * utf8.size());
  bool previous_han = false;
  bool pending_dot = false;  // a '.' after a Han character, dropped if a Han character follows
  bool traditional = false;
  for (size_t pos = 0; pos < utf8.size();) {
    char32_t cp = DecodeUtf8(utf8, &pos);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (IsRemovedSpace(cp) || IsMiddleDot(cp)) continue;
    if (cp == '.' && previous_han && !pending_dot) {
      pending_dot = true;
      continue;
    }
    const bool han = IsHan(cp);
    if (pending_dot && !han) out.Push('.');
    pending_dot = false;
    if (han && IsTraditional(cp)) traditional = true;
    out.AppendCodePoint(cp);
    previous_han = han;
  }
  if (pending_dot) out.Push('.');
  if (traditional) return T2sConverter().Convert(out.str());
  return out.str();
}

bool ContainsHan(std::string_view utf8) {
  for (size_t pos = 0; pos < utf8.size();) {
    // Han is three or four bytes in UTF-8: skip ASCII quickly.
    if (static_cast<unsigned char>(utf8[pos]) < 0xE0) {
      ++pos;
      continue;
    }
    if (IsHan(DecodeUtf8(utf8, &pos))) return true;
  }
  return false;
}

std::vector<PinyinKey> PinyinKeys(std::string_view utf8, bool surname_first) {
  std::vector<PinyinKey> keys;
  const std::string folded = FoldForSearch(utf8);
  if (!ContainsHan(folded)) return keys;
  keys.reserve(kMaxKeys);
  keys.push_back(BuildKey(folded, surname_first, SIZE_MAX, 0));
  size_t max_count = 0;
  ForEachUnit(folded, surname_first, [&](const Unit& unit) { max_count = std::max<size_t>(max_count, unit.count); });
  for (size_t rank = 1; rank < max_count && keys.size() < kMaxKeys; ++rank) {
    size_t index = 0;
    ForEachUnit(folded, surname_first, [&](const Unit& unit) {
      if (keys.size() < kMaxKeys && unit.count > rank) {
        PinyinKey key = BuildKey(folded, surname_first, index, rank);
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
      }
      ++index;
    });
  }
  return keys;
}

}  // namespace rhip::terminology
