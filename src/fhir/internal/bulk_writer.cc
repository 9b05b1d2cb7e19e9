#include "fhir/internal/bulk_writer.h"

#include <unordered_map>

#include "core/status_macros.h"
#include "core/strings.h"
#include "db/multi_row_insert.h"
#include "fhir/internal/resource_store.h"
#include "fhir/search/index_store.h"

namespace rhip::fhir::internal {

absl::Status WriteBulk(db::Session& s, const WriteContext& w, std::vector<BulkItem>& items) {
  const Micros now = w.now;
  // New resources: one row each; ids already stored (or repeated in items) are not inserted
  // and become updates below.
  std::vector<db::RowValues> rows;
  rows.reserve(items.size());
  std::unordered_map<std::string, size_t> first;  // "type/id" -> index of its first item
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].version = 0;
    first.emplace(StrCat(items[i].type, "/", items[i].id), i);
    rows.push_back({items[i].type, items[i].id, int64_t{1}, now, int64_t{0}});
  }
  ASSIGN_OR_RETURN(db::Rows inserted,
                   db::InsertRows(s,
                                  {.table = "resource",
                                   .columns = "type, id, version, last_updated, deleted",
                                   .suffix = "ON CONFLICT (type, id) DO NOTHING RETURNING rk, type, id"},
                                  std::move(rows)));
  std::vector<int64_t> rk(items.size(), 0);
  for (const db::Row& r : inserted) {
    auto it = first.find(StrCat(r.Text(1), "/", r.Text(2)));
    if (it == first.end()) return MakeError(ErrorKind::kInternal, "bulk insert returned an unknown id");
    rk[it->second] = r.Int(0);
  }

  std::vector<db::RowValues> versions;
  std::vector<search::ResourceIndexRows> staged;
  versions.reserve(inserted.size());
  staged.reserve(inserted.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (rk[i] == 0) continue;
    const BulkItem& item = items[i];
    versions.push_back({rk[i], int64_t{1}, item.type, item.id, now, item.method, item.stored});
    staged.push_back({rk[i], &item.rows});
    items[i].version = 1;
  }
  RETURN_IF_ERROR(db::InsertRows(s,
                                 {.table = "resource_version",
                                  .columns = "rk, version, type, id, last_updated, method, body"},
                                 std::move(versions))
                      .status());
  RETURN_IF_ERROR(search::InsertIndexRows(s, staged, search::IndexTables::kStaged));
  if (w.hooks != nullptr) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (rk[i] == 0) continue;
      const BulkItem& item = items[i];
      StoredResource written{.type = item.type, .id = item.id, .version = 1, .last_updated = now,
                             .deleted = false, .method = item.method, .json = item.stored};
      RETURN_IF_ERROR(w.hooks->AfterWrite(s, now, written, *w.options));
    }
  }

  for (size_t i = 0; i < items.size(); ++i) {
    if (rk[i] != 0) continue;
    BulkItem& item = items[i];
    ASSIGN_OR_RETURN(std::optional<CurrentRow> current, LoadCurrent(s, item.type, item.id));
    ASSIGN_OR_RETURN(StoredResource stored, WriteVersion(s, item.type, item.id, current,
                                                         &item.resource, "PUT", w, {}, &item.rows));
    item.version = stored.version;
  }
  return absl::OkStatus();
}

}  // namespace rhip::fhir::internal
