#include "fhir/search/index_store.h"

#include <string>
#include <vector>

#include "core/status_macros.h"
#include "core/strings.h"
#include "db/multi_row_insert.h"

namespace rhip::fhir::search {
namespace {

constexpr size_t kMaxChunk = 64;

// Row values follow the table's columns in kIndexTables.
absl::Status Insert(db::Session& s, IndexTables tables, const IndexTable& table,
                    std::vector<db::RowValues>* rows) {
  if (rows->empty()) return absl::OkStatus();
  std::string name = tables == IndexTables::kStaged ? StrCat(table.name, "_staged") : table.name;
  absl::Status st =
      db::InsertRows(s, {.table = name, .columns = table.columns, .max_chunk = kMaxChunk},
                                   std::move(*rows))
                        .status();
  rows->clear();
  return st;
}

}  // namespace

absl::Status InsertIndexRows(db::Session& s, std::span<const ResourceIndexRows> resources,
                             IndexTables tables) {
  std::vector<db::RowValues> batch;
  for (const auto& [rk, rows] : resources) {
    for (const StringRow& r : rows->strings) batch.push_back({r.key, r.norm, rk, r.exact});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[0], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const TokenRow& r : rows->tokens) batch.push_back({r.key, r.code, r.system, rk});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[1], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const DateRow& r : rows->dates) batch.push_back({r.key, r.lo, r.hi, rk});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[2], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const NumberRow& r : rows->numbers) batch.push_back({r.key, r.value, r.code, r.system, rk});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[3], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const ReferenceRow& r : rows->references) batch.push_back({r.key, r.ref, rk});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[4], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const UriRow& r : rows->uris) batch.push_back({r.key, r.value, rk});
  }
  RETURN_IF_ERROR(Insert(s, tables, kIndexTables[5], &batch));
  for (const auto& [rk, rows] : resources) {
    for (const CompositeRow& r : rows->composites) {
      batch.push_back({r.key, r.c1, r.c2, r.lo, r.hi, r.s1, r.s2, rk});
    }
  }
  return Insert(s, tables, kIndexTables[6], &batch);
}

absl::Status DeleteIndexRows(db::Session& s, int64_t rk) {
  for (const IndexTable& table : kIndexTables) {
    RETURN_IF_ERROR(s.Execute(StrCat("DELETE FROM ", table.name, "_staged WHERE rk = :rk"),
                              {{"rk", rk}})
                        .status());
    RETURN_IF_ERROR(
        s.Execute(StrCat("DELETE FROM ", table.name, " WHERE rk = :rk"), {{"rk", rk}}).status());
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::search
