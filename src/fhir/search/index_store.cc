#include "fhir/search/index_store.h"

#include <string>
#include <vector>

#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir::search {
namespace {

// Rows go in multi-row INSERTs: one statement per chunk instead of one per row matters most on
// PostgreSQL, where each statement is a network round trip. Chunks are powers of two so each
// table needs few distinct statement texts (they are prepared once and cached).
constexpr size_t kMaxChunk = 32;
constexpr size_t kMaxColumns = 8;

using Row = std::vector<db::Value>;

const std::vector<std::string>& ParamNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (size_t i = 0; i < kMaxChunk * kMaxColumns; ++i) n.push_back(StrCat("v", i));
    return n;
  }();
  return names;
}

absl::Status InsertRows(db::Session& s, std::string_view table, std::string_view columns,
                        size_t width, const std::vector<Row>& rows) {
  const std::vector<std::string>& names = ParamNames();
  size_t done = 0;
  while (done < rows.size()) {
    size_t n = kMaxChunk;
    while (n > rows.size() - done) n /= 2;
    std::string sql = StrCat("INSERT INTO ", table, " (", columns, ") VALUES ");
    db::Params params;
    params.reserve(n * width);
    for (size_t r = 0; r < n; ++r) {
      sql.append(r ? ",(" : "(");
      for (size_t c = 0; c < width; ++c) {
        const std::string& name = names[r * width + c];
        StrAppend(&sql, c ? ",:" : ":", name);
        params.emplace_back(name, rows[done + r][c]);
      }
      sql.push_back(')');
    }
    RETURN_IF_ERROR(s.Execute(sql, params).status());
    done += n;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InsertIndexRows(db::Session& s, int64_t rk, const IndexRows& rows) {
  std::vector<Row> batch;
  auto flush = [&](std::string_view table, std::string_view columns, size_t width) {
    absl::Status st = InsertRows(s, table, columns, width, batch);
    batch.clear();
    return st;
  };
  for (const StringRow& r : rows.strings) batch.push_back({r.key, r.norm, rk, r.exact});
  RETURN_IF_ERROR(flush("sp_string", "p, norm, rk, exact", 4));
  for (const TokenRow& r : rows.tokens) batch.push_back({r.key, r.code, r.system, rk});
  RETURN_IF_ERROR(flush("sp_token", "p, code, system, rk", 4));
  for (const DateRow& r : rows.dates) batch.push_back({r.key, r.lo, r.hi, rk});
  RETURN_IF_ERROR(flush("sp_date", "p, lo, hi, rk", 4));
  for (const NumberRow& r : rows.numbers) batch.push_back({r.key, r.value, r.code, r.system, rk});
  RETURN_IF_ERROR(flush("sp_number", "p, value, code, system, rk", 5));
  for (const ReferenceRow& r : rows.references) batch.push_back({r.key, r.ref, rk});
  RETURN_IF_ERROR(flush("sp_reference", "p, ref, rk", 3));
  for (const UriRow& r : rows.uris) batch.push_back({r.key, r.value, rk});
  RETURN_IF_ERROR(flush("sp_uri", "p, value, rk", 3));
  for (const CompositeRow& r : rows.composites) {
    batch.push_back({r.key, r.c1, r.c2, r.lo, r.hi, r.s1, r.s2, rk});
  }
  return flush("sp_composite", "p, c1, c2, lo, hi, s1, s2, rk", 8);
}

absl::Status DeleteIndexRows(db::Session& s, int64_t rk) {
  for (const char* table : kIndexTables) {
    RETURN_IF_ERROR(s.Execute(StrCat("DELETE FROM ", table, " WHERE rk = :rk"), {{"rk", rk}}).status());
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::search
