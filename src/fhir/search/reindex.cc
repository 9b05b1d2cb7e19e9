#include "fhir/search/reindex.h"

#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/search/index_extractor.h"
#include "fhir/search/index_store.h"

namespace rhip::fhir::search {
namespace {

constexpr int kBatch = 2000;

absl::StatusOr<std::optional<std::string>> Meta(db::Session& s, std::string_view name) {
  ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT value FROM search_meta WHERE name = :n",
                                          {{"n", std::string(name)}}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows[0].Text(0));
}

absl::Status SetMeta(db::Session& s, std::string_view name, std::string_view value) {
  RETURN_IF_ERROR(s.Execute("DELETE FROM search_meta WHERE name = :n", {{"n", std::string(name)}}).status());
  return s.Execute("INSERT INTO search_meta (name, value) VALUES (:n, :v)",
                   {{"n", std::string(name)}, {"v", std::string(value)}})
      .status();
}

struct Item {
  int64_t rk;
  IndexRows rows;
};

}  // namespace

absl::StatusOr<IndexState> CheckIndexState(db::Database& db) {
  const std::string& digest = SearchParamRegistry::Default().digest();
  IndexState state = IndexState::kCurrent;
  RETURN_IF_ERROR(db.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto reindexing, Meta(s, "reindex_after_rk"));
    if (reindexing) {
      state = IndexState::kReindexing;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(auto stored, Meta(s, "digest"));
    if (stored && *stored == digest) {
      state = IndexState::kCurrent;
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(db::Rows any, s.Query("SELECT rk FROM resource LIMIT 1"));
    if (any.empty()) {
      state = IndexState::kCurrent;
      return SetMeta(s, "digest", digest);
    }
    state = IndexState::kStale;
    return absl::OkStatus();
  }));
  return state;
}

absl::Status Reindex(db::Database& db, const std::function<void(const ReindexProgress&)>& progress) {
  ReindexProgress p;
  int64_t after = 0;
  RETURN_IF_ERROR(db.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto resume, Meta(s, "reindex_after_rk"));
    ASSIGN_OR_RETURN(db::Rows total, s.Query("SELECT COUNT(*) FROM resource WHERE deleted = 0"));
    p.total = total[0].Int(0);
    if (resume) {
      if (!absl::SimpleAtoi(ToAbsl(*resume), &after)) after = 0;
      ASSIGN_OR_RETURN(db::Rows done, s.Query("SELECT COUNT(*) FROM resource WHERE deleted = 0 AND rk <= :a",
                                              {{"a", after}}));
      p.done = done[0].Int(0);
      return absl::OkStatus();
    }
    // A fresh start: the old rows go in the same transaction that records the start.
    for (const IndexTable& table : kIndexTables) {
      RETURN_IF_ERROR(s.Execute(StrCat("DELETE FROM ", table.name)).status());
      RETURN_IF_ERROR(s.Execute(StrCat("DELETE FROM ", table.name, "_staged")).status());
    }
    after = 0;
    return SetMeta(s, "reindex_after_rk", "0");
  }));
  IndexExtractor extractor = IndexExtractor::Default();
  unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  while (true) {
    std::vector<std::pair<int64_t, std::string>> bodies;
    RETURN_IF_ERROR(db.Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows,
                       s.Query("SELECT r.rk, v.body FROM resource r JOIN resource_version v "
                               "ON v.rk = r.rk AND v.version = r.version "
                               "WHERE r.rk > :after AND r.deleted = 0 ORDER BY r.rk LIMIT :n",
                               {{"after", after}, {"n", int64_t{kBatch}}}));
      for (const db::Row& r : rows) bodies.emplace_back(r.Int(0), r.Text(1));
      return absl::OkStatus();
    }));
    if (bodies.empty()) break;
    // Extraction is CPU work: spread it over the cores, then write in one transaction.
    std::vector<Item> items(bodies.size());
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t i = t; i < bodies.size(); i += threads) {
          items[i].rk = bodies[i].first;
          auto parsed = json::Parse(bodies[i].second);
          if (parsed.ok()) items[i].rows = extractor.Extract(*parsed);
        }
      });
    }
    for (std::thread& th : pool) th.join();
    int64_t last = bodies.back().first;
    RETURN_IF_ERROR(db.Write([&](db::Session& s) -> absl::Status {
      std::vector<ResourceIndexRows> all;
      all.reserve(items.size());
      for (const Item& it : items) {
        // A server running meanwhile may have indexed a resource already.
        RETURN_IF_ERROR(DeleteIndexRows(s, it.rk));
        all.push_back({it.rk, &it.rows});
      }
      RETURN_IF_ERROR(InsertIndexRows(s, all));
      return SetMeta(s, "reindex_after_rk", std::to_string(last));
    }));
    after = last;
    p.done += static_cast<int64_t>(bodies.size());
    if (progress) progress(p);
  }
  return db.Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("DELETE FROM search_meta WHERE name = 'reindex_after_rk'").status());
    return SetMeta(s, "digest", SearchParamRegistry::Default().digest());
  });
}

}  // namespace rhip::fhir::search
