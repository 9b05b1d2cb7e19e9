#include "terminology/icd10_csv.h"

#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::terminology {
namespace {

// One RFC 4180 record from *pos; false at the end of the text.
absl::StatusOr<bool> NextRecord(std::string_view text, size_t* pos, int line,
                                std::vector<std::string>* fields) {
  fields->clear();
  if (*pos >= text.size()) return false;
  std::string field;
  bool quoted = false;
  size_t i = *pos;
  while (true) {
    if (i >= text.size()) {
      if (quoted) return MakeError(ErrorKind::kInvalid, StrCat("line ", line, ": unterminated quoted field"));
      break;
    }
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      field.push_back(c);
      ++i;
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      ++i;
      continue;
    }
    if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') {
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      break;
    }
    field.push_back(c);
    ++i;
  }
  fields->push_back(std::move(field));
  *pos = i;
  return true;
}

struct Row {
  std::string code, display, parent, level;
  int line = 0;
};

}  // namespace

std::string AllCodesValueSetUrl(std::string_view url) {
  size_t at = url.find("/CodeSystem/");
  if (at == std::string_view::npos) return StrCat(url, "?fhir_vs");
  return StrCat(url.substr(0, at), "/ValueSet/", url.substr(at + 12));
}

absl::StatusOr<Icd10Load> Icd10FromCsv(std::string_view csv, const Icd10CsvOptions& options) {
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);
  size_t pos = 0;
  int line = 1;
  std::vector<std::string> fields;
  ASSIGN_OR_RETURN(bool has_header, NextRecord(csv, &pos, line, &fields));
  if (!has_header) return MakeError(ErrorKind::kInvalid, "the file is empty (expected a header: code,name_zh,level,parent)");
  int code_col = -1, name_col = -1, parent_col = -1, level_col = -1;
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& h = fields[i];
    if (h == "code") code_col = int(i);
    if (name_col < 0 && (h == "name_zh" || h == "name" || h == "display")) name_col = int(i);
    if (h == "parent") parent_col = int(i);
    if (h == "level") level_col = int(i);
  }
  if (code_col < 0 || name_col < 0 || parent_col < 0) {
    return MakeError(ErrorKind::kInvalid,
                     "line 1: the header must name the columns code, name_zh (or name, display) and parent");
  }
  std::vector<Row> rows;
  std::unordered_map<std::string, int> by_code;
  while (true) {
    ++line;
    ASSIGN_OR_RETURN(bool more, NextRecord(csv, &pos, line, &fields));
    if (!more) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    auto at = [&](int col) { return col >= 0 && size_t(col) < fields.size() ? fields[col] : std::string(); };
    Row r{at(code_col), at(name_col), at(parent_col), at(level_col), line};
    if (r.code.empty()) return MakeError(ErrorKind::kInvalid, StrCat("line ", line, ": empty code"));
    if (r.display.empty()) return MakeError(ErrorKind::kInvalid, StrCat("line ", line, ": code ", r.code, " has no name"));
    if (!by_code.emplace(r.code, int(rows.size())).second) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("line ", line, ": code ", r.code, " appears twice (first on line ",
                              rows[by_code[r.code]].line, ")"));
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) return MakeError(ErrorKind::kInvalid, "the file has a header but no codes");
  std::vector<std::vector<int>> children(rows.size());
  std::vector<int> roots;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].parent.empty()) {
      roots.push_back(int(i));
      continue;
    }
    auto p = by_code.find(rows[i].parent);
    if (p == by_code.end()) {
      return MakeError(ErrorKind::kInvalid, StrCat("line ", rows[i].line, ": parent ", rows[i].parent,
                                                   " of ", rows[i].code, " is not in the file"));
    }
    children[p->second].push_back(int(i));
  }
  // Nested concepts, built depth first; a row never reached sits on a parent cycle.
  std::vector<char> reached(rows.size(), 0);
  std::function<json::Value(int)> build = [&](int i) {
    reached[i] = 1;
    json::Object c;
    c.Set("code", rows[i].code);
    c.Set("display", rows[i].display);
    if (!rows[i].level.empty()) {
      json::Object level;
      level.Set("code", "level");
      level.Set("valueCode", rows[i].level);
      c.Set("property", json::Array{json::Value(std::move(level))});
    }
    if (!children[i].empty()) {
      json::Array nested;
      for (int k : children[i]) nested.push_back(build(k));
      c.Set("concept", std::move(nested));
    }
    return json::Value(std::move(c));
  };
  json::Array concepts;
  for (int r : roots) concepts.push_back(build(r));
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!reached[i]) {
      return MakeError(ErrorKind::kInvalid, StrCat("line ", rows[i].line, ": ", rows[i].code,
                                                   " is its own ancestor (a parent cycle)"));
    }
  }

  std::string vs_url = AllCodesValueSetUrl(options.url);
  std::string description = StrCat(
      "ICD-10 diagnosis codes loaded with `rhip terminology load --format icd10-csv`",
      options.source.empty() ? "" : StrCat(" from ", options.source),
      ". The content is the file's; check that your region's licence allows its use.");
  json::Object cs;
  cs.Set("resourceType", "CodeSystem");
  cs.Set("url", options.url);
  cs.Set("version", options.version);
  cs.Set("name", options.name);
  cs.Set("title", options.title);
  cs.Set("status", "active");
  cs.Set("description", description);
  cs.Set("caseSensitive", true);
  cs.Set("valueSet", vs_url);
  cs.Set("hierarchyMeaning", "is-a");
  cs.Set("content", "complete");
  cs.Set("count", int64_t(rows.size()));
  if (level_col >= 0) {
    json::Object level;
    level.Set("code", "level");
    level.Set("description", "chapter, block, category, subcategory or extension");
    level.Set("type", "code");
    cs.Set("property", json::Array{json::Value(std::move(level))});
  }
  cs.Set("concept", std::move(concepts));

  json::Object include;
  include.Set("system", options.url);
  include.Set("version", options.version);
  json::Object compose;
  compose.Set("include", json::Array{json::Value(std::move(include))});
  json::Object vs;
  vs.Set("resourceType", "ValueSet");
  vs.Set("url", vs_url);
  vs.Set("version", options.version);
  vs.Set("name", StrCat(options.name, "All"));
  vs.Set("title", options.title);
  vs.Set("status", "active");
  vs.Set("description", StrCat("All codes of ", options.url, "."));
  vs.Set("compose", std::move(compose));
  return Icd10Load{json::Value(std::move(cs)), json::Value(std::move(vs)), int(rows.size())};
}

}  // namespace rhip::terminology
