#include "fhir/search_query.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir {
namespace {

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits on sep, honouring the FHIR search escape "\sep".
std::vector<std::string> SplitEscaped(std::string_view s, char sep) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == sep || s[i + 1] == '\\' ||
                                             s[i + 1] == '|' || s[i + 1] == '$' || s[i + 1] == ',')) {
      parts.back().push_back(s[++i]);
    } else if (s[i] == sep) {
      parts.emplace_back();
    } else {
      parts.back().push_back(s[i]);
    }
  }
  return parts;
}

// Finds the first unescaped '|'.
size_t FindBar(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '|') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      int hi = i + 2 < s.size() ? Hex(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? Hex(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return MakeError(ErrorKind::kInvalid, "invalid percent-encoding in query");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<QueryParams> ParseQueryParams(std::string_view query) {
  QueryParams out;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, eq)));
    ASSIGN_OR_RETURN(std::string value, PercentDecode(eq == std::string_view::npos
                                                          ? std::string_view()
                                                          : pair.substr(eq + 1)));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

absl::StatusOr<SearchQuery> ParseSearchQuery(std::string_view query) {
  SearchQuery q;
  ASSIGN_OR_RETURN(QueryParams params, ParseQueryParams(query));
  for (const auto& [name, value] : params) {
    if (name == "_count") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 0) {
        return MakeError(ErrorKind::kInvalid, "_count must be a non-negative integer");
      }
      q.count = std::min(n, 1000);
      continue;
    }
    if (name == "_format" || name == "_pretty") continue;
    if (name != "_id" && name != "identifier") {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("unsupported search parameter '", name,
                                    "' (this server supports _id and identifier here)"));
    }
    if (value.empty()) {
      return MakeError(ErrorKind::kInvalid, StrCat("empty value for search parameter '", name, "'"));
    }
    SearchCondition cond;
    cond.param = name;
    for (const std::string& alt : SplitEscaped(value, ',')) {
      TokenValue t;
      size_t bar = name == "identifier" ? FindBar(alt) : std::string_view::npos;
      if (bar == std::string_view::npos) {
        t.value = Unescape(alt);
      } else {
        t.has_system = true;
        t.system = Unescape(std::string_view(alt).substr(0, bar));
        t.value = Unescape(std::string_view(alt).substr(bar + 1));
      }
      cond.any_of.push_back(std::move(t));
    }
    q.all_of.push_back(std::move(cond));
  }
  return q;
}

}  // namespace rhip::fhir
