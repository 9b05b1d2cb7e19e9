#include "core/json.h"

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/text_scan.h"

namespace rhip::json {

const Value* Object::Find(std::string_view key) const {
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Object::Find(std::string_view key) {
  for (auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value& Object::Set(std::string_view key, Value value) {
  if (Value* existing = Find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  members_.emplace_back(std::string(key), std::move(value));
  return members_.back().second;
}

bool Object::Erase(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->first == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

// Objects compare as sets of members: member order carries no meaning in JSON.
bool Object::operator==(const Object& other) const {
  if (members_.size() != other.members_.size()) return false;
  for (const auto& [k, v] : members_) {
    const Value* o = other.Find(k);
    if (o == nullptr || !(*o == v)) return false;
  }
  return true;
}

const Value* Value::Find(std::string_view key) const {
  return is_object() ? as_object().Find(key) : nullptr;
}

Value* Value::Find(std::string_view key) { return is_object() ? as_object().Find(key) : nullptr; }

const std::string* Value::FindString(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

std::optional<int64_t> Value::AsInt64() const {
  if (!is_number()) return std::nullopt;
  const std::string& t = as_number().text;
  if (t.find_first_of(".eE") != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end != t.c_str() + t.size()) return std::nullopt;
  return static_cast<int64_t>(n);
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : s_(text), options_(options) {}

  absl::StatusOr<Value> ParseDocument() {
    SkipBom();
    Value v;
    if (!ParseValue(&v, 0)) return Error();
    SkipWs();
    if (pos_ != s_.size()) {
      Fail("unexpected data after the JSON value");
      return Error();
    }
    return v;
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON at byte ", err_pos_, ": ", err_));
  }

  bool Fail(std::string_view msg) {
    if (err_.empty()) {
      err_ = std::string(msg);
      err_pos_ = pos_;
    }
    return false;
  }

  void SkipBom() {
    if (s_.size() >= 3 && s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  void SkipWs() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool ParseValue(Value* out, int depth) {
    SkipWs();
    if (pos_ >= s_.size()) return Fail("unexpected end of input");
    char c = s_[pos_];
    switch (c) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string str;
        if (!ParseString(&str)) return false;
        *out = Value(std::move(str));
        return true;
      }
      case 't':
        return ParseLiteral("true", Value(true), out);
      case 'f':
        return ParseLiteral("false", Value(false), out);
      case 'n':
        return ParseLiteral("null", Value(nullptr), out);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Fail("unexpected character");
    }
  }

  bool ParseLiteral(std::string_view word, Value v, Value* out) {
    if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    *out = std::move(v);
    return true;
  }

  bool ParseNumber(Value* out) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return Fail("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && IsAsciiDigit(s_[pos_])) ++pos_;
    } else {
      return Fail("invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || !IsAsciiDigit(s_[pos_])) return Fail("invalid number: digit expected");
      while (pos_ < s_.size() && IsAsciiDigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !IsAsciiDigit(s_[pos_])) return Fail("invalid number: exponent");
      while (pos_ < s_.size() && IsAsciiDigit(s_[pos_])) ++pos_;
    }
    *out = Value(Number{std::string(s_.substr(start, pos_ - start))});
    return true;
  }


  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = HexDigitValue(s_[pos_ + i]);
      if (h < 0) return Fail("invalid \\u escape");
      v = v * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  // Validates one UTF-8 sequence starting at pos_ and copies it.
  bool CopyUtf8(std::string* out) {
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    int len;
    uint32_t min;
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++pos_;
      return true;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    } else {
      return Fail("invalid UTF-8");
    }
    if (pos_ + len > s_.size()) return Fail("truncated UTF-8");
    uint32_t cp = c & (0xFF >> (len + 1));
    for (int i = 1; i < len; ++i) {
      unsigned char cc = static_cast<unsigned char>(s_[pos_ + i]);
      if ((cc & 0xC0) != 0x80) return Fail("invalid UTF-8");
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Fail("invalid UTF-8");
    out->append(s_.data() + pos_, len);
    pos_ += len;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      // Fast path: copy a run of plain ASCII.
      size_t run = pos_;
      while (run < s_.size()) {
        unsigned char c = static_cast<unsigned char>(s_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out->append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in string");
      if (c >= 0x80) {
        if (!CopyUtf8(out)) return false;
        continue;
      }
      // Backslash escape.
      ++pos_;
      if (pos_ >= s_.size()) return Fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") return Fail("unpaired surrogate");
            pos_ += 2;
            uint32_t lo = 0;
            if (!ParseHex4(&lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return Fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail("unpaired surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("invalid escape");
      }
    }
  }

  bool ParseArray(Value* out, int depth) {
    if (depth > options_.max_depth) return Fail("nesting too deep");
    ++pos_;
    Array arr;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      *out = Value(std::move(arr));
      return true;
    }
    while (true) {
      arr.emplace_back();
      if (!ParseValue(&arr.back(), depth)) return false;
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unterminated array");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        *out = Value(std::move(arr));
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool ParseObject(Value* out, int depth) {
    if (depth > options_.max_depth) return Fail("nesting too deep");
    ++pos_;
    Object obj;
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      *out = Value(std::move(obj));
      return true;
    }
    while (true) {
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected member name");
      std::string key;
      if (!ParseString(&key)) return false;
      if (options_.reject_duplicate_keys && obj.Find(key) != nullptr) {
        return Fail(absl::StrCat("duplicate member name '", key, "'"));
      }
      SkipWs();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      auto& member = obj.members().emplace_back(std::move(key), Value());
      if (!ParseValue(&member.second, depth)) return false;
      SkipWs();
      if (pos_ >= s_.size()) return Fail("unterminated object");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        *out = Value(std::move(obj));
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  std::string_view s_;
  const ParseOptions& options_;
  size_t pos_ = 0;
  std::string err_;
  size_t err_pos_ = 0;
};

void Indent(int level, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(level) * 2, ' ');
}

void Write(const Value& v, int indent, std::string* out) {
  bool pretty = indent >= 0;
  switch (v.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      break;
    case Value::Kind::kBool:
      out->append(v.as_bool() ? "true" : "false");
      break;
    case Value::Kind::kNumber:
      out->append(v.as_number().text);
      break;
    case Value::Kind::kString:
      AppendQuoted(v.as_string(), out);
      break;
    case Value::Kind::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) Indent(indent + 1, out);
        Write(e, pretty ? indent + 1 : -1, out);
      }
      if (pretty && !v.as_array().empty()) Indent(indent, out);
      out->push_back(']');
      break;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out->push_back(',');
        first = false;
        if (pretty) Indent(indent + 1, out);
        AppendQuoted(k, out);
        out->append(pretty ? ": " : ":");
        Write(e, pretty ? indent + 1 : -1, out);
      }
      if (pretty && !v.as_object().empty()) Indent(indent, out);
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

absl::StatusOr<Value> Parse(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).ParseDocument();
}

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void SerializeTo(const Value& value, std::string* out) { Write(value, -1, out); }

std::string Serialize(const Value& value) {
  std::string out;
  SerializeTo(value, &out);
  return out;
}

std::string SerializePretty(const Value& value) {
  std::string out;
  Write(value, 0, &out);
  return out;
}

}  // namespace rhip::json
