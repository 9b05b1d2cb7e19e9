// Repository on db::Database: every operation is one database transaction built from the
// session-level steps in internal/resource_store.h.
#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/internal/bulk_writer.h"
#include "fhir/internal/bundle_processor.h"
#include "fhir/internal/operations.h"
#include "fhir/internal/resource_store.h"
#include "fhir/internal/search_executor.h"
#include "fhir/search/index_extractor.h"
#include "fhir/search/staged_index.h"
#include "fhir/search_query.h"
#include "core/ids.h"
#include "fhir/repository.h"

namespace rhip::fhir {
namespace {

// Times database work for /metrics.
class DbTimer {
 public:
  explicit DbTimer(const char* op) : op_(op), start_(std::chrono::steady_clock::now()) {}
  ~DbTimer() {
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - start_;
    Metrics::Global().Observe("rhip_db_transaction_seconds", {{"op", op_}}, d.count());
  }

 private:
  const char* op_;
  std::chrono::steady_clock::time_point start_;
};

// History cursor: the (last_updated, rk, version) key of the last entry of a page.
struct HistoryKey {
  int64_t last_updated;
  int64_t rk;
  int64_t version;
};

std::string EncodeCursor(const HistoryKey& k) {
  return StrCat(k.last_updated, "-", k.rk, "-", k.version);
}

absl::StatusOr<HistoryKey> DecodeCursor(std::string_view s) {
  std::vector<std::string> parts = absl::StrSplit(ToAbsl(s), '-');
  HistoryKey k;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &k.last_updated) ||
      !absl::SimpleAtoi(parts[1], &k.rk) || !absl::SimpleAtoi(parts[2], &k.version)) {
    return MakeError(ErrorKind::kInvalid, "invalid history page cursor");
  }
  return k;
}

constexpr int kBulkAttempts = 5;

class SqlRepository : public Repository {
 public:
  SqlRepository(db::Database* db, const Clock* clock) : db_(db), clock_(clock) {
    // meta.profile canonical URLs resolve to StructureDefinitions stored here.
    validate_options_.profile_lookup = [this](std::string_view url) {
      return FindStructureDefinition(url);
    };
  }

  absl::StatusOr<StoredResource> Read(std::string_view type, std::string_view id) override {
    return ReadTxn([&](db::Session& s) { return internal::DoRead(s, type, id); });
  }

  absl::StatusOr<StoredResource> VRead(std::string_view type, std::string_view id,
                                       int64_t version) override {
    return ReadTxn([&](db::Session& s) { return internal::DoVRead(s, type, id, version); });
  }

  absl::StatusOr<Visibility> CheckVisible(std::string_view type, std::string_view id,
                                          const search::AccessPredicate& access) override {
    return ReadTxn([&](db::Session& s) { return internal::DoCheckVisible(s, type, id, access); });
  }

  // Validation and index extraction are CPU work: done here, on the caller's thread, not in
  // the transaction (which on SQLite runs on the single writer).
  absl::StatusOr<WriteResult> Create(json::Value resource, std::string_view if_none_exist) override {
    RETURN_IF_ERROR(internal::CheckResource(resource, "", validate_options_));
    search::IndexRows rows = search::IndexExtractor::Default().Extract(resource);
    return WriteTxn([&](db::Session& s, Micros now) {
      return internal::DoCreate(s, Context(now), resource, if_none_exist, {}, {}, &rows);
    });
  }

  absl::StatusOr<WriteResult> Update(std::string_view type, std::string_view id,
                                     json::Value resource, ExpectedVersion expected) override {
    RETURN_IF_ERROR(internal::CheckResource(resource, type, validate_options_));
    search::IndexRows rows = search::IndexExtractor::Default().Extract(resource);
    return WriteTxn([&](db::Session& s, Micros now) {
      return internal::DoUpdate(s, Context(now), type, id, resource, expected, &rows);
    });
  }

  absl::StatusOr<WriteResult> ConditionalUpdate(std::string_view type, std::string_view query,
                                                json::Value resource,
                                                ExpectedVersion expected) override {
    RETURN_IF_ERROR(internal::CheckResource(resource, type, validate_options_));
    search::IndexRows rows = search::IndexExtractor::Default().Extract(resource);
    return WriteTxn([&](db::Session& s, Micros now) -> absl::StatusOr<WriteResult> {
      ASSIGN_OR_RETURN(std::string id,
                       internal::ResolveConditionalUpdateId(s, type, query, resource));
      // Setting the matched (or chosen) id in place is idempotent if the write runs again.
      resource.as_object().Set("id", id);
      return internal::DoUpdate(s, Context(now), type, id, resource, expected, &rows);
    });
  }

  absl::StatusOr<WriteResult> Patch(std::string_view type, std::string_view id, PatchFormat format,
                                    const json::Value& patch, ExpectedVersion expected) override {
    return WriteTxn([&](db::Session& s, Micros now) {
      return internal::DoPatch(s, Context(now), type, id, format, patch, expected);
    });
  }

  absl::StatusOr<WriteResult> Delete(std::string_view type, std::string_view id,
                                     ExpectedVersion expected) override {
    return WriteTxn([&](db::Session& s, Micros now) {
      return internal::DoDelete(s, Context(now), type, id, expected);
    });
  }

  absl::StatusOr<int> ConditionalDelete(std::string_view type, std::string_view query,
                                        int limit) override {
    return WriteTxn([&](db::Session& s, Micros now) {
      return internal::DoConditionalDelete(s, Context(now), type, query, limit);
    });
  }

  absl::StatusOr<HistoryPage> History(const HistoryRequest& req) override {
    DbTimer t("read");
    if (req.count < 1 || req.count > 1000) {
      return MakeError(ErrorKind::kInvalid, "_count must be between 1 and 1000");
    }
    std::string sql =
        "SELECT v.last_updated, v.rk, v.version, v.type, v.id, v.method, v.body "
        "FROM resource_version v WHERE 1 = 1";
    db::Params params;
    std::string type = req.type, id = req.id;
    if (!type.empty()) {
      sql += " AND v.type = :type";
      params.emplace_back("type", type);
    }
    if (!id.empty()) {
      sql += " AND v.id = :id";
      params.emplace_back("id", id);
    }
    if (req.since) {
      sql += " AND v.last_updated >= :since";
      params.emplace_back("since", *req.since);
    }
    if (req.at) {
      // The version current at `at`: written at or before it, and not yet superseded then.
      sql +=
          " AND v.last_updated <= :at AND NOT EXISTS (SELECT 1 FROM resource_version n "
          "WHERE n.rk = v.rk AND n.version = v.version + 1 AND n.last_updated <= :at)";
      params.emplace_back("at", *req.at);
    }
    if (!req.cursor.empty()) {
      ASSIGN_OR_RETURN(HistoryKey k, DecodeCursor(req.cursor));
      sql +=
          " AND (v.last_updated < :ct OR (v.last_updated = :ct AND (v.rk < :crk OR "
          "(v.rk = :crk AND v.version < :cv))))";
      params.emplace_back("ct", k.last_updated);
      params.emplace_back("crk", k.rk);
      params.emplace_back("cv", k.version);
    }
    StrAppend(&sql, " ORDER BY v.last_updated DESC, v.rk DESC, v.version DESC LIMIT ",
                    req.count + 1);
    HistoryPage page;
    RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows, s.Query(sql, params));
      for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(req.count); ++i) {
        const db::Row& r = rows[i];
        StoredResource e;
        e.last_updated = r.Int(0);
        e.version = r.Int(2);
        e.type = r.Text(3);
        e.id = r.Text(4);
        e.method = r.Text(5);
        e.deleted = r.IsNull(6);
        if (!e.deleted) e.json = r.Text(6);
        page.entries.push_back(std::move(e));
        if (i + 1 == static_cast<size_t>(req.count) && rows.size() > i + 1) {
          page.next_cursor = EncodeCursor({r.Int(0), r.Int(1), r.Int(2)});
        }
      }
      return absl::OkStatus();
    }));
    return page;
  }

  absl::StatusOr<SearchResult> Search(const SearchInput& input) override {
    search::ParseOptions options;
    options.lenient = input.lenient;
    ASSIGN_OR_RETURN(search::SearchRequest request,
                     search::ParseSearchRequest(search::SearchParamRegistry::Default(), input.type,
                                                input.params, options));
    if (!input.compartment_id.empty()) {
      if (!IsValidFhirId(input.compartment_id)) {
        return MakeError(ErrorKind::kInvalid, "invalid compartment id");
      }
      request.compartment_id = input.compartment_id;
      request.include_compartment_owner = input.everything;
    }
    Micros now = clock_->Now();
    return ReadTxn([&](db::Session& s) {
      return internal::RunSearch(s, request, search::ActiveTextFolding(), now, input.access);
    });
  }

  absl::StatusOr<std::vector<BulkResult>> WriteBulk(std::vector<json::Value> resources) override {
    Micros now = clock_->Now();
    std::vector<BulkResult> results(resources.size());
    std::vector<internal::BulkItem> items;
    std::vector<size_t> item_of;  // results index of each item
    items.reserve(resources.size());
    ValidateOptions options = internal::WithCachedLookup(validate_options_);
    for (size_t i = 0; i < resources.size(); ++i) {
      json::Value& resource = resources[i];
      BulkResult& result = results[i];
      result.status = internal::CheckResource(resource, "", options);
      if (!result.status.ok()) continue;
      internal::BulkItem item;
      item.type = *resource.FindString("resourceType");
      const std::string* id = resource.FindString("id");
      item.method = id != nullptr ? "PUT" : "POST";
      item.id = id != nullptr ? *id : NewResourceId();
      item.stored = internal::SerializeStored(resource, item.id, 1, now);
      item.rows = search::IndexExtractor::Default().Extract(resource);
      item.resource = std::move(resource);
      result.type = item.type;
      result.id = item.id;
      items.push_back(std::move(item));
      item_of.push_back(i);
    }
    if (!items.empty()) {
      DbTimer t("bulk");
      // With parallel writers (PostgreSQL) two loads may update the same resource at once (a
      // shared Organization in many files): the loser's whole write fails with a conflict and
      // runs again, then seeing the winner's version.
      for (int attempt = 1;; ++attempt) {
        absl::Status st =
            db_->Write([&](db::Session& s) { return internal::WriteBulk(s, Context(now), items); });
        if (st.ok()) break;
        if (KindOf(st) != ErrorKind::kConflict || attempt == kBulkAttempts) return st;
      }
    }
    for (size_t k = 0; k < items.size(); ++k) results[item_of[k]].version = items[k].version;
    return results;
  }

  absl::StatusOr<int64_t> BuildStagedIndex(
      const std::function<void(int64_t, int64_t)>& progress) override {
    return search::BuildStagedIndex(*db_, [&](const search::StagedIndexProgress& p) {
      if (progress) progress(p.rows_done, p.rows_total);
    });
  }

  absl::StatusOr<json::Value> ProcessBundle(json::Value bundle, std::string_view base_url,
                                            const search::AccessPredicate& access) override {
    DbTimer t("bundle");
    return internal::ProcessBundle(*db_, *clock_, validate_options_, hooks_, std::move(bundle),
                                   base_url, access);
  }

 void AddWriteInterceptor(std::string_view type, WriteInterceptor* interceptor) override {
    hooks_.Add(type, interceptor);
  }

  absl::Status WriteTransaction(
      const std::function<absl::Status(TransactionWriter&)>& fn) override {
    DbTimer t("write");
    return db_->Write([&](db::Session& s) {
      internal::SessionWriter writer(s, clock_->Now(), validate_options_);
      return fn(writer);
    });
  }

 private:
  internal::WriteContext Context(Micros now) const {
    return {.now = now, .hooks = &hooks_, .options = &validate_options_};
  }

  // Runs fn on a read snapshot and returns its value.
  template <typename Fn>
  auto ReadTxn(Fn fn) -> decltype(fn(std::declval<db::Session&>())) {
    DbTimer t("read");
    decltype(fn(std::declval<db::Session&>())) result = absl::InternalError("not run");
    RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
      result = fn(s);
      return result.status();
    }));
    return result;
  }

  // Runs fn as one durable transaction; its error rolls the transaction back.
  template <typename Fn>
  auto WriteTxn(Fn fn) -> decltype(fn(std::declval<db::Session&>(), Micros{})) {
    DbTimer t("write");
    decltype(fn(std::declval<db::Session&>(), Micros{})) result = absl::InternalError("not run");
    RETURN_IF_ERROR(db_->Write([&](db::Session& s) -> absl::Status {
      result = fn(s, clock_->Now());
      return result.status();
    }));
    return result;
  }

  db::Database* db_;
  const Clock* clock_;
  ValidateOptions validate_options_;
  internal::WriteHooks hooks_;
};

}  // namespace

absl::StatusOr<std::vector<StoredResource>> Repository::Search(std::string_view type,
                                                               std::string_view query) {
  SearchInput input;
  input.type = std::string(type);
  ASSIGN_OR_RETURN(input.params, ParseQueryParams(query));
  ASSIGN_OR_RETURN(SearchResult result, Search(input));
  return std::move(result.matches);
}

std::optional<json::Value> Repository::FindStructureDefinition(std::string_view canonical_url) {
  SearchInput input;
  input.type = "StructureDefinition";
  input.params = {{"url", std::string(canonical_url.substr(0, canonical_url.find('|')))},
                  {"_count", "1"},
                  {"_total", "none"}};
  auto found = Search(input);
  if (!found.ok() || found->matches.empty()) return std::nullopt;
  auto parsed = json::Parse(found->matches[0].json);
  if (!parsed.ok()) return std::nullopt;
  return *std::move(parsed);
}

std::unique_ptr<Repository> Repository::Create(db::Database* db, const Clock* clock) {
  return std::make_unique<SqlRepository>(db, clock);
}

}  // namespace rhip::fhir
