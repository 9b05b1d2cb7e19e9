// Multi-row INSERT statements: one statement per chunk of rows instead of one per row matters
// most on PostgreSQL, where each statement is a network round trip, and on SQLite it saves the
// per-statement step overhead. Chunk sizes are powers of two, so each table needs only a few
// distinct statement texts (prepared once and cached by the engine).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::db {

using RowValues = std::vector<Value>;

struct MultiRowInsert {
  std::string_view table;
  std::string_view columns;  // "a, b, c": one value per column in each row
  // Appended to each statement, e.g. "ON CONFLICT (type, id) DO NOTHING RETURNING rk, id".
  std::string_view suffix;
  size_t max_chunk = 32;  // rows per statement; a power of two
};

// Inserts rows (all of the same width as columns; their values are moved into the statements)
// and returns the rows the statements returned (only when suffix has a RETURNING clause).
// REQUIRES: insert.max_chunk * width <= 1024 (the bind-name table).
absl::StatusOr<Rows> InsertRows(Session& s, const MultiRowInsert& insert,
                                std::vector<RowValues> rows);

}  // namespace rhip::db
