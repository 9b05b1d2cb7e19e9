#include "db/multi_row_insert.h"

#include <string>
#include <utility>

#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::db {
namespace {

constexpr size_t kMaxBinds = 1024;

const std::vector<std::string>& BindNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (size_t i = 0; i < kMaxBinds; ++i) n.push_back(StrCat("v", i));
    return n;
  }();
  return names;
}

}  // namespace

absl::StatusOr<Rows> InsertRows(Session& s, const MultiRowInsert& insert,
                                std::vector<RowValues> rows) {
  Rows returned;
  if (rows.empty()) return returned;
  const std::vector<std::string>& names = BindNames();
  const size_t width = rows[0].size();
  const bool returning = insert.suffix.find("RETURNING") != std::string_view::npos;
  size_t done = 0;
  while (done < rows.size()) {
    size_t n = insert.max_chunk;
    while (n > rows.size() - done) n /= 2;
    std::string sql = StrCat("INSERT INTO ", insert.table, " (", insert.columns, ") VALUES ");
    Params params;
    params.reserve(n * width);
    for (size_t r = 0; r < n; ++r) {
      sql.append(r ? ",(" : "(");
      RowValues& row = rows[done + r];
      for (size_t c = 0; c < width; ++c) {
        const std::string& name = names[r * width + c];
        StrAppend(&sql, c ? ",:" : ":", name);
        params.emplace_back(name, std::move(row[c]));
      }
      sql.push_back(')');
    }
    if (!insert.suffix.empty()) StrAppend(&sql, " ", insert.suffix);
    if (returning) {
      ASSIGN_OR_RETURN(Rows out, s.Query(sql, params));
      for (Row& r : out) returned.push_back(std::move(r));
    } else {
      RETURN_IF_ERROR(s.Execute(sql, params).status());
    }
    done += n;
  }
  return returned;
}

}  // namespace rhip::db
