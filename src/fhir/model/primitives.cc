// Lexical checks of the FHIR R4 primitive types, hand-written after the regexes in the R4
// datatypes page (https://hl7.org/fhir/R4/datatypes.html): they run on every primitive of every
// write, so they scan once and never allocate.
#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/text_scan.h"
#include "fhir/model/structure_model.h"

namespace rhip::fhir {
namespace {

constexpr std::array<std::string_view, 21> kNames = {
    "",        "boolean", "integer",   "decimal", "string",       "code",     "id",
    "uri",     "url",     "canonical", "oid",     "uuid",         "date",     "dateTime",
    "instant", "time",    "base64Binary", "markdown", "positiveInt", "unsignedInt", "xhtml",
};
static_assert(kNames.size() == static_cast<size_t>(PrimitiveKind::kXhtml) + 1,
              "kNames follows PrimitiveKind");

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }


bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD; `parts` gets how many were present. Year 0000 is not allowed.
bool ParseDate(std::string_view s, size_t* pos, int* parts) {
  int year, month, day;
  if (!ReadDigits(s, pos, 4, &year) || year == 0) return false;
  *parts = 1;
  if (*pos == s.size() || s[*pos] != '-') return true;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &month) || month < 1 || month > 12) return false;
  *parts = 2;
  if (*pos == s.size() || s[*pos] != '-') return true;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &day) || day < 1 || day > DaysIn(year, month)) return false;
  *parts = 3;
  return true;
}

// hh:mm:ss(.fraction)? with 60 allowed for leap seconds.
bool ParseTime(std::string_view s, size_t* pos) {
  int h, m, sec;
  if (!ReadDigits(s, pos, 2, &h) || h > 23 || !AcceptChar(s, pos, ':') || !ReadDigits(s, pos, 2, &m) ||
      m > 59 || !AcceptChar(s, pos, ':') || !ReadDigits(s, pos, 2, &sec) || sec > 60) {
    return false;
  }
  if (*pos < s.size() && s[*pos] == '.') {
    ++*pos;
    size_t start = *pos;
    while (*pos < s.size() && IsAsciiDigit(s[*pos])) ++*pos;
    if (*pos == start) return false;
  }
  return true;
}

// Z or +hh:mm / -hh:mm with hours up to 14:00.
bool ParseZone(std::string_view s, size_t* pos) {
  if (AcceptChar(s, pos, 'Z')) return true;
  if (*pos >= s.size() || (s[*pos] != '+' && s[*pos] != '-')) return false;
  ++*pos;
  int h, m;
  if (!ReadDigits(s, pos, 2, &h) || !AcceptChar(s, pos, ':') || !ReadDigits(s, pos, 2, &m) || m > 59) {
    return false;
  }
  return h < 14 || (h == 14 && m == 0);
}

// A date with an optional time part; the time needs seconds and a zone. `require_time` makes
// it an instant.
bool IsDateTime(std::string_view s, bool require_time) {
  size_t pos = 0;
  int parts = 0;
  if (!ParseDate(s, &pos, &parts)) return false;
  if (pos == s.size()) return !require_time;
  return parts == 3 && AcceptChar(s, &pos, 'T') && ParseTime(s, &pos) && ParseZone(s, &pos) &&
         pos == s.size();
}

// Optional '-', then 0 or [1-9][0-9]*; the value must fit in 32 bits (R4 integer range).
bool IsInteger(std::string_view s, int64_t min) {
  size_t pos = 0;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) pos = 1;
  if (pos >= s.size() || (s[pos] == '0' && s.size() > pos + 1)) return false;
  int64_t v = 0;
  for (; pos < s.size(); ++pos) {
    if (!IsAsciiDigit(s[pos])) return false;
    v = v * 10 + (s[pos] - '0');
    if (v > 2147483648LL) return false;  // stop before overflow; the range check follows
  }
  if (negative) v = -v;
  return v >= min && v <= 2147483647LL;
}

bool IsDecimal(std::string_view s) {
  size_t pos = 0;
  if (pos < s.size() && s[pos] == '-') ++pos;
  if (pos >= s.size()) return false;
  if (s[pos] == '0') {
    ++pos;
  } else {
    size_t start = pos;
    while (pos < s.size() && IsAsciiDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && IsAsciiDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
    size_t start = pos;
    while (pos < s.size() && IsAsciiDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  return pos == s.size();
}

bool IsBadStringByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// Non-empty; no control characters other than tab, CR and LF. Narratives make strings the bulk
// of a resource's bytes, so eight bytes are screened at once for any byte below 0x20 (the
// "hasless" bit trick) and only such words are looked at byte by byte.
bool IsString(std::string_view s) {
  if (s.empty()) return false;
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if (((word - kOnes * 0x20) & ~word & (kOnes * 0x80)) == 0) continue;
    for (size_t k = i; k < i + 8; ++k) {
      if (IsBadStringByte(s[k])) return false;
    }
  }
  for (; i < s.size(); ++i) {
    if (IsBadStringByte(s[i])) return false;
  }
  return true;
}

// [^\s]+(\s[^\s]+)*: tokens separated by single whitespace characters.
bool IsCode(std::string_view s) {
  if (s.empty() || IsSpace(s.front()) || IsSpace(s.back())) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (IsSpace(s[i]) && IsSpace(s[i - 1])) return false;
  }
  return IsString(s);
}

bool IsId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = IsAsciiDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// \S*, and non-empty (FHIR JSON has no empty strings).
bool IsUri(std::string_view s) {
  if (s.empty()) return false;
  bool bad = false;
  for (char c : s) bad |= static_cast<unsigned char>(c) <= 0x20;  // whitespace or control
  return !bad;
}

// urn:oid:[0-2](\.(0|[1-9][0-9]*))+
bool IsOid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  if (s.size() < 3 || s[0] < '0' || s[0] > '2') return false;
  size_t pos = 1;
  while (pos < s.size()) {
    if (s[pos] != '.') return false;
    ++pos;
    if (pos >= s.size() || !IsAsciiDigit(s[pos])) return false;
    bool leading_zero = s[pos] == '0';
    size_t start = pos;
    while (pos < s.size() && IsAsciiDigit(s[pos])) ++pos;
    if (leading_zero && pos - start > 1) return false;
  }
  return true;
}

// urn:uuid: followed by lower-case 8-4-4-4-12 hex.
bool IsUuid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (s.size() != kPrefix.size() + 36 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !(IsAsciiDigit(c) || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsTime(std::string_view s) {
  size_t pos = 0;
  return ParseTime(s, &pos) && pos == s.size();
}

// Base64 with whitespace allowed between characters; padding only at the end.
bool IsBase64(std::string_view s) {
  size_t count = 0, padding = 0;
  for (char c : s) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++padding;
    } else if (padding > 0) {
      return false;
    } else if (!(IsAsciiDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' ||
                 c == '/')) {
      return false;
    }
    ++count;
  }
  return count > 0 && count % 4 == 0 && padding <= 2;
}

// The narrative is a <div> in the XHTML namespace; its content is not parsed here.
bool IsXhtml(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  return s.substr(pos, 4) == "<div" && IsString(s);
}

}  // namespace

std::string_view PrimitiveName(PrimitiveKind kind) { return kNames[static_cast<size_t>(kind)]; }

PrimitiveKind PrimitiveFromName(std::string_view type_name) {
  for (size_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i] == type_name) return static_cast<PrimitiveKind>(i);
  }
  return PrimitiveKind::kNone;
}

bool IsValidPrimitive(PrimitiveKind kind, std::string_view text) {
  switch (kind) {
    case PrimitiveKind::kNone: return false;
    case PrimitiveKind::kBoolean: return text == "true" || text == "false";
    case PrimitiveKind::kInteger: return IsInteger(text, -2147483648LL);
    case PrimitiveKind::kPositiveInt: return IsInteger(text, 1);
    case PrimitiveKind::kUnsignedInt: return IsInteger(text, 0);
    case PrimitiveKind::kDecimal: return IsDecimal(text);
    case PrimitiveKind::kString:
    case PrimitiveKind::kMarkdown: return IsString(text);
    case PrimitiveKind::kCode: return IsCode(text);
    case PrimitiveKind::kId: return IsId(text);
    case PrimitiveKind::kUri:
    case PrimitiveKind::kUrl:
    case PrimitiveKind::kCanonical: return IsUri(text);
    case PrimitiveKind::kOid: return IsOid(text);
    case PrimitiveKind::kUuid: return IsUuid(text);
    case PrimitiveKind::kDate: {
      size_t pos = 0;
      int parts = 0;
      return ParseDate(text, &pos, &parts) && pos == text.size();
    }
    case PrimitiveKind::kDateTime: return IsDateTime(text, false);
    case PrimitiveKind::kInstant: return IsDateTime(text, true);
    case PrimitiveKind::kTime: return IsTime(text);
    case PrimitiveKind::kBase64Binary: return IsBase64(text);
    case PrimitiveKind::kXhtml: return IsXhtml(text);
  }
  return false;
}

bool IsValidPrimitive(std::string_view type_name, std::string_view text) {
  return IsValidPrimitive(PrimitiveFromName(type_name), text);
}

}  // namespace rhip::fhir
