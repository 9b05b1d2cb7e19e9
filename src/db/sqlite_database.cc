// SQLite engine: WAL, one writer thread with group commit, a pool of read-only connections.
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <span>
#include <thread>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/internal/connection.h"
#include "db/internal/engines.h"
#include "db/internal/migrations.h"
#include "db/internal/named_params.h"
#include "core/metrics.h"
#include "db/internal/pool.h"

namespace rhip::db::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Bounds memory when callers build SQL text dynamically; the cache starts over when full.
constexpr size_t kMaxCachedStatements = 256;
constexpr std::string_view kPageSizePragma = "PRAGMA page_size = 8192";
// temp_store = MEMORY keeps statement and savepoint journals off the disk.
constexpr std::string_view kWriterPragmas =
    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; "
    "PRAGMA temp_store = MEMORY;";
constexpr std::string_view kReaderPragmas =
    "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;";

// Writes waiting for the SQLite writer, over every open database; a gauge at /metrics.
std::atomic<int64_t>& WriteQueueDepth() {
  static std::atomic<int64_t>* depth = [] {
    auto* d = new std::atomic<int64_t>(0);  // never destroyed: read by /metrics at any time
    Metrics::Global().RegisterGauge("rhip_db_write_queue_depth",
                                    "SQLite writes waiting for the writer thread",
                                    [d] { return static_cast<double>(d->load()); });
    return d;
  }();
  return *depth;
}

absl::Status SqliteError(sqlite3* db, int rc) {
  std::string message = absl::StrCat("SQLite: ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(message);
    default:
      break;
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

Value ColumnValue(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      return int64_t{sqlite3_column_int64(stmt, i)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i);
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      // For TEXT, sqlite3_column_blob returns the UTF-8 bytes without conversion.
      const void* data = sqlite3_column_blob(stmt, i);
      int size = sqlite3_column_bytes(stmt, i);
      return std::string(static_cast<const char*>(data), data != nullptr ? size : 0);
    }
    default:
      return std::monostate{};
  }
}

int BindValue(sqlite3_stmt* stmt, int index, const Value& value) {
  struct Binder {
    sqlite3_stmt* stmt;
    int index;
    int operator()(std::monostate) const { return sqlite3_bind_null(stmt, index); }
    int operator()(int64_t v) const { return sqlite3_bind_int64(stmt, index, v); }
    int operator()(double v) const { return sqlite3_bind_double(stmt, index, v); }
    // SQLITE_STATIC: the value outlives the statement's use; bindings are cleared after.
    int operator()(const std::string& v) const {
      return sqlite3_bind_text64(stmt, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
  };
  return std::visit(Binder{stmt, index}, value);
}

class SqliteConnection final : public Connection {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                                bool read_only) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
    if (rc != SQLITE_OK) return SqliteError(db, rc);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    if (!read_only) {
      // Takes effect only on a new file. FHIR bodies are a few KB: with 4 KB pages most of
      // them spill to overflow pages; bigger pages keep a body on its B-tree page.
      RETURN_IF_ERROR(conn->ExecScript(kPageSizePragma));
      // WAL lets readers work beside the writer; it is a property of the file, set once.
      ASSIGN_OR_RETURN(Rows mode, conn->Query("PRAGMA journal_mode = WAL", {}));
      if (mode.size() != 1 || mode[0].at(0) != Value(std::string("wal"))) {
        return absl::InternalError(absl::StrCat("SQLite: cannot switch ", path, " to WAL mode"));
      }
    }
    RETURN_IF_ERROR(conn->ExecScript(read_only ? kReaderPragmas : kWriterPragmas));
    return conn;
  }

  ~SqliteConnection() override {
    ClearStatements();
    sqlite3_close_v2(db_);
  }

  absl::StatusOr<Rows> Query(std::string_view sql, const Params& params) override {
    Rows rows;
    RETURN_IF_ERROR(Run(sql, params, &rows));
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql, const Params& params) override {
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE; only trust it
    // when this statement changed something.
    const int64_t before = sqlite3_total_changes64(db_);
    RETURN_IF_ERROR(Run(sql, params, nullptr));
    return sqlite3_total_changes64(db_) == before ? 0 : int64_t{sqlite3_changes64(db_)};
  }

  absl::Status ExecScript(std::string_view sql) override {
    // Single statements (BEGIN, COMMIT, SAVEPOINT, ...) run from the statement cache:
    // sqlite3_exec would parse them again on every transaction.
    if (sql.find(';') == std::string_view::npos) return Run(sql, {}, nullptr);
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db_, rc);
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  sqlite3* handle() const { return db_; }

  bool ReadyForReuse() {
    if (InTransaction()) ExecScript("ROLLBACK").IgnoreError();
    return !InTransaction();
  }

 private:
  struct Statement {
    sqlite3_stmt* stmt;
    std::vector<std::string> names;  // of parameters 1..n, without the ':'
  };

  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  void ClearStatements() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement.stmt);
    statements_.clear();
  }

  absl::StatusOr<const Statement*> Prepare(std::string_view sql) {
    if (auto it = statements_.find(ToAbsl(sql)); it != statements_.end()) return &it->second;
    if (statements_.size() >= kMaxCachedStatements) ClearStatements();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc);
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(stmt, sqlite3_finalize);
    if (stmt == nullptr) return absl::InvalidArgumentError("empty SQL statement");
    std::string_view rest(tail, sql.data() + sql.size() - tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      return absl::InvalidArgumentError("only one SQL statement per call");
    }
    Statement statement{stmt, {}};
    for (int i = 1; i <= sqlite3_bind_parameter_count(stmt); ++i) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      if (name == nullptr || name[0] != ':') {
        return absl::InvalidArgumentError("SQL placeholders must be named (:name)");
      }
      statement.names.emplace_back(name + 1);
    }
    owned.release();
    return &statements_.emplace(std::string(sql), std::move(statement)).first->second;
  }

  // Runs one statement to completion, appending its rows to *rows when rows is not null.
  absl::Status Run(std::string_view sql, const Params& params, Rows* rows) {
    ASSIGN_OR_RETURN(const Statement* statement, Prepare(sql));
    sqlite3_stmt* stmt = statement->stmt;
    // Reset so that the statement holds no read lock and no reference to params.
    struct ResetOnExit {
      sqlite3_stmt* stmt;
      ~ResetOnExit() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } reset{stmt};
    ASSIGN_OR_RETURN(std::vector<const Value*> values, MatchParams(statement->names, params));
    for (size_t i = 0; i < values.size(); ++i) {
      int rc = BindValue(stmt, static_cast<int>(i + 1), *values[i]);
      if (rc != SQLITE_OK) return SqliteError(db_, rc);
    }
    const int columns = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (rows == nullptr) continue;
      std::vector<Value> row;
      row.reserve(columns);
      for (int i = 0; i < columns; ++i) row.push_back(ColumnValue(stmt, i));
      rows->emplace_back(std::move(row));
    }
    return rc == SQLITE_DONE ? absl::OkStatus() : SqliteError(db_, rc);
  }

  sqlite3* db_;
  // Keyed by SQL text; node-based so that Statement pointers stay valid while in use.
  absl::node_hash_map<std::string, Statement> statements_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(const std::string& path, const Options& options,
                 std::unique_ptr<SqliteConnection> writer,
                 std::unique_ptr<SqliteConnection> checkpointer)
      : writer_(std::move(writer)),
        checkpointer_(std::move(checkpointer)),
        readers_(options.read_connections,
                 [path] { return SqliteConnection::Open(path, /*read_only=*/true); }),
        max_group_size_(options.max_group_size),
        checkpoint_thread_([this] { CheckpointLoop(); }),
        writer_thread_([this] { WriterLoop(); }) {
    // Replaces SQLite's automatic checkpoint, which would run on the writer thread.
    sqlite3_wal_hook(writer_->handle(), &SqliteDatabase::OnWalCommit, this);
  }

  ~SqliteDatabase() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    writer_thread_.join();
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpoint_thread_.join();
  }

  Engine engine() const override { return Engine::kSqlite; }

  absl::Status Read(const std::function<absl::Status(Session&)>& fn) override {
    RETURN_IF_ERROR(CallbackScope::CheckNotNested(this));
    ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    CallbackScope scope(this);
    // SQLite takes the snapshot at the first read after BEGIN and keeps it until COMMIT.
    return RunTransaction(*reader, "BEGIN", [&](Connection& c) { return fn(c); });
  }

  absl::Status Write(const std::function<absl::Status(Session&)>& fn) override {
    RETURN_IF_ERROR(CallbackScope::CheckNotNested(this));
    WriteJob job{&fn};
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return absl::UnavailableError("the database is closing");
      queue_.push_back(&job);
      WriteQueueDepth().fetch_add(1);
    }
    queue_cv_.notify_one();
    std::unique_lock lock(queue_mu_);
    done_cv_.wait(lock, [&] { return job.done; });
    return job.result;
  }

  absl::StatusOr<int> SchemaVersion() override { return SchemaVersionOf(*this); }

  absl::Status CheckIntegrity() override {
    return Read([](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(Rows rows, s.Query("PRAGMA integrity_check"));
      if (rows.size() == 1 && rows[0].at(0) == Value(std::string("ok"))) return absl::OkStatus();
      std::string report;
      for (const Row& row : rows) {
        if (!row.IsNull(0)) absl::StrAppend(&report, std::get<std::string>(row.at(0)), "; ");
      }
      return absl::DataLossError(absl::StrCat("SQLite integrity check failed: ", report));
    });
  }

 private:
  struct WriteJob {
    const std::function<absl::Status(Session&)>* fn;
    absl::Status result;
    bool done = false;  // guarded by queue_mu_
  };

  void WriterLoop() {
    // Any Read/Write a callback makes on this database is nested and refused.
    CallbackScope scope(this);
    std::vector<WriteJob*> group;
    while (true) {
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and every queued write has run
        size_t n = std::min(queue_.size(), max_group_size_);
        group.assign(queue_.begin(), queue_.begin() + n);
        queue_.erase(queue_.begin(), queue_.begin() + n);
        WriteQueueDepth().fetch_sub(static_cast<int64_t>(n));
      }
      // Their ratio is the mean group size: how many writes share one fsync.
      Metrics::Global().Increment("rhip_db_group_commits_total", {});
      Metrics::Global().Increment("rhip_db_group_committed_writes_total", {},
                                  static_cast<double>(group.size()));
      RunGroup(group);
      {
        std::lock_guard lock(queue_mu_);
        for (WriteJob* job : group) job->done = true;
      }
      done_cv_.notify_all();
    }
  }

  // WAL checkpoints copy committed pages into the database file. They run on their own
  // thread and connection so that the writer only appends to the WAL; PASSIVE never blocks
  // the writer or readers.
  // Fewer, larger checkpoints write a hot page once instead of once per checkpoint.
  static constexpr int kCheckpointFrames = 10000;
  static constexpr int kInlineCheckpointFrames = 50000;  // the checkpointer fell far behind

  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int frames) {
    auto* database = static_cast<SqliteDatabase*>(self);
    if (frames >= kInlineCheckpointFrames) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (frames >= kCheckpointFrames) {
      {
        std::lock_guard lock(database->checkpoint_mu_);
        database->checkpoint_wanted_ = true;
      }
      database->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    while (true) {
      {
        std::unique_lock lock(checkpoint_mu_);
        checkpoint_cv_.wait(lock, [&] { return checkpoint_stopping_ || checkpoint_wanted_; });
        if (checkpoint_stopping_) return;
        checkpoint_wanted_ = false;
      }
      sqlite3_wal_checkpoint_v2(checkpointer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                nullptr, nullptr);
    }
  }

  // One transaction and one COMMIT (one fsync) for the whole group. Jobs first run back to
  // back without savepoints: a savepoint per job makes SQLite journal every page a job
  // changes, which costs about a fifth of the write rate. Jobs rarely fail (resources are
  // validated before they are queued); when one does, the group is rolled back and run
  // again with a savepoint per job, so each job still gets its own result.
  void RunGroup(std::span<WriteJob*> group) {
    if (RunGroupOnce(group, /*savepoints=*/false)) return;
    RunGroupOnce(group, /*savepoints=*/true);
  }

  // Returns false when the group must be run again with savepoints (nothing was kept).
  bool RunGroupOnce(std::span<WriteJob*> group, bool savepoints) {
    if (absl::Status begin = writer_->ExecScript("BEGIN IMMEDIATE"); !begin.ok()) {
      for (WriteJob* job : group) job->result = begin;
      return true;
    }
    for (WriteJob* job : group) {
      job->result = savepoints ? RunJob(*job->fn) : CallJob(*job->fn);
      if (!writer_->InTransaction()) {
        // SQLite rolled the whole transaction back (I/O error, disk full, a callback
        // running COMMIT/ROLLBACK): nothing of this group is known to persist.
        FailSucceeded(group, absl::AbortedError(
                                 "SQLite ended the write transaction early; nothing was saved"));
        return true;
      }
      if (!savepoints && !job->result.ok()) {
        writer_->ExecScript("ROLLBACK").IgnoreError();
        return false;
      }
    }
    if (absl::Status commit = writer_->Commit(); !commit.ok()) {
      writer_->ExecScript("ROLLBACK").IgnoreError();
      FailSucceeded(group, commit);
    }
    return true;
  }

  // Runs fn, turning exceptions into errors.
  absl::Status CallJob(const std::function<absl::Status(Session&)>& fn) {
    try {
      return fn(*writer_);
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("write callback threw: ", e.what()));
    } catch (...) {
      return absl::InternalError("write callback threw");
    }
  }

  // Runs fn inside a savepoint; on failure only fn's changes are rolled back.
  absl::Status RunJob(const std::function<absl::Status(Session&)>& fn) {
    RETURN_IF_ERROR(writer_->ExecScript("SAVEPOINT job"));
    absl::Status result = CallJob(fn);
    if (result.ok()) {
      result = writer_->ExecScript("RELEASE job");
      if (result.ok()) return result;
    }
    if (!writer_->ExecScript("ROLLBACK TO job").ok() || !writer_->ExecScript("RELEASE job").ok()) {
      // This job's changes cannot be separated from the others': drop the transaction.
      writer_->ExecScript("ROLLBACK").IgnoreError();
    }
    return result;
  }

  static void FailSucceeded(std::span<WriteJob*> group, const absl::Status& error) {
    for (WriteJob* job : group) {
      if (job->result.ok()) job->result = error;
    }
  }

  std::unique_ptr<SqliteConnection> writer_;  // used only by writer_thread_ once it runs
  std::unique_ptr<SqliteConnection> checkpointer_;  // used only by checkpoint_thread_
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;    // guarded by checkpoint_mu_
  bool checkpoint_stopping_ = false;  // guarded by checkpoint_mu_
  Pool<SqliteConnection> readers_;
  const size_t max_group_size_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // signals the writer: work or stopping
  std::condition_variable done_cv_;   // signals callers: a group finished
  std::deque<WriteJob*> queue_;       // guarded by queue_mu_
  bool stopping_ = false;             // guarded by queue_mu_

  std::thread checkpoint_thread_;
  std::thread writer_thread_;  // last member: starts after everything it uses exists
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const Options& options) {
  std::error_code error;
  std::filesystem::create_directories(options.target, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the data directory ",
                                                   options.target, ": ", error.message()));
  }
  const std::string path = (std::filesystem::path(options.target) / "rhip.db").string();
  // Switching a new file to WAL and migrating it can answer SQLITE_BUSY at once (without
  // the busy handler) when two connections of this process race on it: serialize opens.
  static std::mutex open_mu;
  std::lock_guard open_lock(open_mu);
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer,
                   SqliteConnection::Open(path, /*read_only=*/false));
  RETURN_IF_ERROR(Migrate(Engine::kSqlite, EmbeddedMigrations(), [&](const ConnectionFn& fn) {
    return RunTransaction(*writer, "BEGIN IMMEDIATE", fn);
  }));
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> checkpointer,
                   SqliteConnection::Open(path, /*read_only=*/false));
  return std::make_unique<SqliteDatabase>(path, options, std::move(writer),
                                          std::move(checkpointer));
}

}  // namespace rhip::db::internal
