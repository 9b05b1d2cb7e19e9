#include "bench/ingest/raw_sqlite.h"

#include <sqlite3.h>

#include <filesystem>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "db/database.h"
#include "fhir/search/index_extractor.h"

namespace rhip::bench {
namespace {

// The writer pragmas of src/db/sqlite_database.cc (kWriterPragmas; WAL is set on open), with
// the cache size and checkpointing from RawOptions.
std::string WriterPragmas(const RawOptions& o) {
  return absl::StrCat(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
      "PRAGMA cache_size = -", o.cache_kib, ";",
      o.autocheckpoint ? "" : " PRAGMA wal_autocheckpoint = 0;",
      o.temp_store_memory ? " PRAGMA temp_store = MEMORY;" : "");
}

// The statements of fhir/internal/resource_store.cc's WriteVersion for a create.
constexpr const char* kInsertResource =
    "INSERT INTO resource (type, id, version, last_updated, deleted) VALUES (?1, ?2, 1, ?3, 0) "
    "RETURNING rk";
constexpr const char* kInsertResourceNoReturning =
    "INSERT INTO resource (type, id, version, last_updated, deleted) VALUES (?1, ?2, 1, ?3, 0)";
// The statements of fhir/search/index_store.cc, one per index table.
constexpr const char* kInsertIndex[] = {
    "INSERT INTO sp_string (p, norm, rk, exact) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO sp_token (p, code, system, rk) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO sp_date (p, lo, hi, rk) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO sp_number (p, value, code, system, rk) VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO sp_reference (p, ref, rk) VALUES (?1, ?2, ?3)",
    "INSERT INTO sp_uri (p, value, rk) VALUES (?1, ?2, ?3)",
    "INSERT INTO sp_composite (p, c1, c2, lo, hi, s1, s2, rk) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"};
constexpr const char* kInsertVersion =
    "INSERT INTO resource_version (rk, version, type, id, last_updated, method, body) "
    "VALUES (?1, 1, ?2, ?3, ?4, 'POST', ?5)";

absl::Status SqliteError(sqlite3* db, std::string_view what) {
  return absl::InternalError(absl::StrCat("SQLite ", std::string(what), ": ", sqlite3_errmsg(db)));
}

void BindText(sqlite3_stmt* stmt, int i, const std::string& s) {
  sqlite3_bind_text64(stmt, i, s.data(), s.size(), SQLITE_STATIC, SQLITE_UTF8);
}

// Steps stmt to completion (reading the first column of a row into *out when given).
bool StepAll(sqlite3_stmt* stmt, int64_t* out = nullptr) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (out != nullptr) *out = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE;
}

RawResource RawResourceOf(const json::Value& resource, Micros now) {
  RawResource r;
  r.type = *resource.FindString("resourceType");
  r.id = NewResourceId();
  json::Object body;
  body.Set("resourceType", r.type);
  body.Set("id", r.id);
  json::Object meta;
  meta.Set("versionId", "1");
  meta.Set("lastUpdated", FormatInstant(now));
  if (const json::Value* old = resource.Find("meta"); old != nullptr && old->is_object()) {
    for (const auto& [k, v] : old->as_object()) {
      if (k != "versionId" && k != "lastUpdated") meta.Set(k, v);
    }
  }
  body.Set("meta", std::move(meta));
  for (const auto& [k, v] : resource.as_object()) {
    if (k != "resourceType" && k != "id" && k != "meta") body.Set(k, v);
  }
  r.body = json::Serialize(json::Value(std::move(body)));
  r.index = fhir::search::IndexExtractor::Default().Extract(resource);
  return r;
}

}  // namespace

struct RawStore::Statements {
  sqlite3_stmt* resource = nullptr;
  sqlite3_stmt* version = nullptr;
  sqlite3_stmt* index[7] = {};
  ~Statements() {
    sqlite3_finalize(resource);
    sqlite3_finalize(version);
    for (sqlite3_stmt* s : index) sqlite3_finalize(s);
  }
};

RawTransaction RawTransactionOf(const json::Value& bundle) {
  RawTransaction tx;
  const Micros now = Clock::Real().Now();
  const json::Value* entries = bundle.Find("entry");
  if (entries == nullptr || !entries->is_array()) return tx;
  for (const json::Value& e : entries->as_array()) {
    const json::Value* resource = e.Find("resource");
    if (resource == nullptr || resource->FindString("resourceType") == nullptr) continue;
    tx.push_back(RawResourceOf(*resource, now));
  }
  return tx;
}

absl::StatusOr<std::unique_ptr<RawStore>> RawStore::Create(const std::string& dir,
                                                           const RawOptions& options) {
  {
    // The server's own migration code makes the schema: same tables, same indexes.
    ASSIGN_OR_RETURN(auto schema, db::Database::Open({.target = dir}));
  }
  const std::string path = (std::filesystem::path(dir) / "rhip.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    absl::Status error = SqliteError(db, "open");
    sqlite3_close_v2(db);
    return error;
  }
  // From here the store owns db and closes it on every return.
  std::unique_ptr<RawStore> store(new RawStore(db, options, std::make_unique<Statements>()));
  if (sqlite3_exec(db, WriterPragmas(options).c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, "pragmas");
  }
  Statements& s = *store->statements_;
  const char* insert_resource = options.returning ? kInsertResource : kInsertResourceNoReturning;
  std::vector<std::pair<const char*, sqlite3_stmt**>> statements = {
      {insert_resource, &s.resource}, {kInsertVersion, &s.version}};
  for (int i = 0; i < 7; ++i) statements.emplace_back(kInsertIndex[i], &s.index[i]);
  for (auto [sql, stmt] : statements) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
      return SqliteError(db, sql);
    }
  }
  return store;
}

RawStore::RawStore(sqlite3* db, const RawOptions& options, std::unique_ptr<Statements> statements)
    : db_(db), options_(options), statements_(std::move(statements)) {}

RawStore::~RawStore() {
  statements_.reset();
  sqlite3_close_v2(db_);
}

absl::Status RawStore::Insert(const RawResource& r) {
  const Micros now = Clock::Real().Now();
  Statements& s = *statements_;
  BindText(s.resource, 1, r.type);
  BindText(s.resource, 2, r.id);
  sqlite3_bind_int64(s.resource, 3, now);
  int64_t rk = 0;
  if (!StepAll(s.resource, &rk)) return SqliteError(db_, "insert resource");
  if (!options_.returning) rk = sqlite3_last_insert_rowid(db_);
  if (absl::Status st = InsertIndex(r.index, rk); !st.ok()) return st;
  sqlite3_bind_int64(s.version, 1, rk);
  BindText(s.version, 2, r.type);
  BindText(s.version, 3, r.id);
  sqlite3_bind_int64(s.version, 4, now);
  BindText(s.version, 5, r.body);
  if (!StepAll(s.version)) return SqliteError(db_, "insert version");
  return absl::OkStatus();
}

absl::Status RawStore::InsertIndex(const fhir::search::IndexRows& rows, int64_t rk) {
  sqlite3_stmt** ix = statements_->index;
  // Binds the values to ?1, ?2, ... and runs the statement.
  auto insert = [&](sqlite3_stmt* stmt, const auto&... values) -> absl::Status {
    int i = 0;
    auto bind = [&](const auto& v) {
      ++i;
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<T, std::string>) {
        BindText(stmt, i, v);
      } else if constexpr (std::is_same_v<T, double>) {
        sqlite3_bind_double(stmt, i, v);
      } else {
        sqlite3_bind_int64(stmt, i, v);
      }
    };
    (bind(values), ...);
    return StepAll(stmt) ? absl::OkStatus() : SqliteError(db_, "insert index row");
  };
  for (const auto& r : rows.strings) RETURN_IF_ERROR(insert(ix[0], r.key, r.norm, rk, r.exact));
  for (const auto& r : rows.tokens) RETURN_IF_ERROR(insert(ix[1], r.key, r.code, r.system, rk));
  for (const auto& r : rows.dates) RETURN_IF_ERROR(insert(ix[2], r.key, r.lo, r.hi, rk));
  for (const auto& r : rows.numbers) {
    RETURN_IF_ERROR(insert(ix[3], r.key, r.value, r.code, r.system, rk));
  }
  for (const auto& r : rows.references) RETURN_IF_ERROR(insert(ix[4], r.key, r.ref, rk));
  for (const auto& r : rows.uris) RETURN_IF_ERROR(insert(ix[5], r.key, r.value, rk));
  for (const auto& r : rows.composites) {
    RETURN_IF_ERROR(insert(ix[6], r.key, r.c1, r.c2, r.lo, r.hi, r.s1, r.s2, rk));
  }
  return absl::OkStatus();
}

absl::Status RawStore::Commit(const RawTransaction& tx) {
  const char* begin = options_.savepoint ? "BEGIN IMMEDIATE; SAVEPOINT job" : "BEGIN IMMEDIATE";
  if (sqlite3_exec(db_, begin, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db_, "BEGIN");
  }
  for (const RawResource& r : tx) {
    if (absl::Status st = Insert(r); !st.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return st;
    }
  }
  const char* commit = options_.savepoint ? "RELEASE job; COMMIT" : "COMMIT";
  if (sqlite3_exec(db_, commit, nullptr, nullptr, nullptr) != SQLITE_OK) {
    absl::Status error = SqliteError(db_, "COMMIT");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  }
  return absl::OkStatus();
}

absl::Status RawStore::Finish() {
  if (options_.autocheckpoint) return absl::OkStatus();
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, "checkpoint");
}

}  // namespace rhip::bench
