#include "db/internal/named_params.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/strings.h"

namespace rhip::db::internal {
namespace {

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }
// Placeholder names are plain ASCII identifiers.
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Scans SQL text, copying everything that is not a placeholder to `out`.
class Scanner {
 public:
  explicit Scanner(std::string_view sql) : sql_(sql) {}

  absl::StatusOr<PositionalSql> Run() {
    while (pos_ < sql_.size()) {
      char c = sql_[pos_];
      char next = pos_ + 1 < sql_.size() ? sql_[pos_ + 1] : '\0';
      if (c == '\'') {
        bool escapes = pos_ > 0 && (sql_[pos_ - 1] == 'e' || sql_[pos_ - 1] == 'E') &&
                       (pos_ < 2 || !IsIdentChar(sql_[pos_ - 2]));
        if (!CopyQuoted('\'', escapes)) return Unterminated("string literal");
      } else if (c == '"') {
        if (!CopyQuoted('"', false)) return Unterminated("quoted identifier");
      } else if (c == '-' && next == '-') {
        size_t end = sql_.find('\n', pos_);
        CopyTo(end == std::string_view::npos ? sql_.size() : end);
      } else if (c == '/' && next == '*') {
        if (!CopyBlockComment()) return Unterminated("comment");
      } else if (c == '$' && (pos_ == 0 || !IsIdentChar(sql_[pos_ - 1])) && IsDollarTagStart()) {
        if (!CopyDollarQuoted()) return Unterminated("dollar-quoted string");
      } else if (c == ':' && next == ':') {
        CopyTo(pos_ + 2);
      } else if (c == ':' && IsNameStart(next)) {
        size_t end = pos_ + 1;
        while (end < sql_.size() && IsNameChar(sql_[end])) ++end;
        AddPlaceholder(sql_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end;
      } else {
        out_.sql.push_back(c);
        ++pos_;
      }
    }
    return std::move(out_);
  }

 private:
  void CopyTo(size_t end) {
    out_.sql.append(sql_.substr(pos_, end - pos_));
    pos_ = end;
  }

  // A literal delimited by `quote`, where a doubled quote (and, with escapes, a backslash)
  // does not end it.
  bool CopyQuoted(char quote, bool escapes) {
    for (size_t i = pos_ + 1; i < sql_.size(); ++i) {
      if (escapes && sql_[i] == '\\') {
        ++i;
      } else if (sql_[i] == quote) {
        if (i + 1 < sql_.size() && sql_[i + 1] == quote) {
          ++i;
        } else {
          CopyTo(i + 1);
          return true;
        }
      }
    }
    return false;
  }

  // PostgreSQL block comments nest.
  bool CopyBlockComment() {
    int depth = 0;
    for (size_t i = pos_; i + 1 < sql_.size(); ++i) {
      if (sql_[i] == '/' && sql_[i + 1] == '*') {
        ++depth;
        ++i;
      } else if (sql_[i] == '*' && sql_[i + 1] == '/') {
        ++i;
        if (--depth == 0) {
          CopyTo(i + 1);
          return true;
        }
      }
    }
    return false;
  }

  // $$ or $tag$ with tag an identifier without '$' (so $1 is not a tag).
  bool IsDollarTagStart() const { return DollarTagEnd() != std::string_view::npos; }
  size_t DollarTagEnd() const {
    size_t i = pos_ + 1;
    if (i < sql_.size() && IsIdentStart(sql_[i])) {
      while (i < sql_.size() && IsIdentChar(sql_[i]) && sql_[i] != '$') ++i;
    }
    return i < sql_.size() && sql_[i] == '$' ? i + 1 : std::string_view::npos;
  }
  bool CopyDollarQuoted() {
    std::string_view tag = sql_.substr(pos_, DollarTagEnd() - pos_);
    size_t close = sql_.find(tag, pos_ + tag.size());
    if (close == std::string_view::npos) return false;
    CopyTo(close + tag.size());
    return true;
  }

  void AddPlaceholder(std::string_view name) {
    auto it = std::find(out_.names.begin(), out_.names.end(), name);
    size_t index = it - out_.names.begin();
    if (it == out_.names.end()) out_.names.emplace_back(name);
    absl::StrAppend(&out_.sql, "$", index + 1);
  }

  absl::Status Unterminated(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("unterminated ", ToAbsl(what), " in SQL"));
  }

  std::string_view sql_;
  size_t pos_ = 0;
  PositionalSql out_;
};

}  // namespace

absl::StatusOr<PositionalSql> RewriteToPositional(std::string_view sql) {
  return Scanner(sql).Run();
}

absl::StatusOr<std::vector<const Value*>> MatchParams(const std::vector<std::string>& names,
                                                      const Params& params) {
  std::vector<const Value*> values;
  values.reserve(names.size());
  // Params given in placeholder order (generated multi-row statements with hundreds of them)
  // match in one pass; names are unique, so then the params are too.
  if (params.size() == names.size()) {
    size_t i = 0;
    while (i < names.size() && params[i].first == names[i]) {
      values.push_back(&params[i].second);
      ++i;
    }
    if (i == names.size()) return values;
    values.clear();
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string_view name = params[i].first;
    for (size_t j = 0; j < i; ++j) {
      if (params[j].first == name) {
        return absl::InvalidArgumentError(absl::StrCat("SQL parameter :", ToAbsl(name), " given twice"));
      }
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SQL parameter :", ToAbsl(name), " is not used by the statement"));
    }
  }
  for (const std::string& name : names) {
    auto it = std::find_if(params.begin(), params.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == params.end()) {
      return absl::InvalidArgumentError(absl::StrCat("SQL placeholder :", name, " has no value"));
    }
    values.push_back(&it->second);
  }
  return values;
}

}  // namespace rhip::db::internal
