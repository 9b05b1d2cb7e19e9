// PostgreSQL engine: a pool of libpq connections, prepared statements cached per connection.
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/internal/connection.h"
#include "db/internal/engines.h"
#include "db/internal/migrations.h"
#include "db/internal/named_params.h"
#include "db/internal/pool.h"

namespace rhip::db::internal {
namespace {

// Type OIDs from PostgreSQL's catalog/pg_type.h (not shipped with the client headers).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Key of the transaction-level advisory lock that serialises migrations between processes.
constexpr std::string_view kMigrationLockSql = "SELECT pg_advisory_xact_lock(7523094288207667809)";
// Bounds server memory when callers build SQL text dynamically; the cache starts over when full.
constexpr size_t kMaxPreparedStatements = 256;

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

absl::Status PgError(PGconn* conn, const PGresult* result) {
  std::string message = absl::StrCat(
      "PostgreSQL: ",
      absl::StripTrailingAsciiWhitespace(result != nullptr ? PQresultErrorMessage(result)
                                                           : PQerrorMessage(conn)));
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view sqlstate = state != nullptr ? state : "";
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(message);
  if (PQstatus(conn) != CONNECTION_OK) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

bool Succeeded(const PGresult* result) {
  ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// Parameter types declared at PREPARE so that e.g. :t + 1 is BIGINT arithmetic; text and
// NULL stay untyped (0) and take their type from the context, as a literal would.
Oid ParamType(const Value& value) {
  if (std::holds_alternative<int64_t>(value)) return kInt8Oid;
  if (std::holds_alternative<double>(value)) return kFloat8Oid;
  return 0;
}

template <typename T>
absl::StatusOr<Value> ParseNumber(std::string_view text) {
  T number{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) {
    return absl::InternalError(absl::StrCat("PostgreSQL: unexpected number ", ToAbsl(text)));
  }
  return Value(number);
}

absl::StatusOr<Value> CellValue(const PGresult* result, int row, int col) {
  if (PQgetisnull(result, row, col)) return Value();
  std::string_view text(PQgetvalue(result, row, col), PQgetlength(result, row, col));
  switch (PQftype(result, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
      return ParseNumber<int64_t>(text);
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      // from_chars reads NaN and [-]Infinity, as PostgreSQL prints them.
      return ParseNumber<double>(text);
    case kBoolOid:
      return Value(int64_t{text == "t" ? 1 : 0});
    default:
      return Value(std::string(text));
  }
}

class PgConnection final : public Connection {
 public:
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(const std::string& uri) {
    // Settings before dbname are defaults that the URI may override.
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          nullptr};
    const char* values[] = {"10", "rhip", "UTF8", uri.c_str(), nullptr};
    auto conn = std::unique_ptr<PgConnection>(
        new PgConnection(PQconnectdbParams(keys, values, /*expand_dbname=*/1)));
    if (PQstatus(conn->conn_) != CONNECTION_OK) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to PostgreSQL: ",
                       absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn->conn_))));
    }
    // Notices (e.g. "table already exists, skipping") are not errors; keep them off stderr.
    PQsetNoticeProcessor(conn->conn_, [](void*, const char*) {}, nullptr);
    // A write is acknowledged only when durable; refuse a server default that would not be.
    ASSIGN_OR_RETURN(Rows sync, conn->Query("SELECT current_setting('synchronous_commit')", {}));
    if (sync.size() == 1 && sync[0].at(0) == Value(std::string("off"))) {
      RETURN_IF_ERROR(conn->ExecScript("SET synchronous_commit = on"));
    }
    return conn;
  }

  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<Rows> Query(std::string_view sql, const Params& params) override {
    ASSIGN_OR_RETURN(Result result, Run(sql, params, /*prepared=*/true));
    return ToRows(result.get());
  }

  absl::StatusOr<Rows> QueryPlannedForValues(std::string_view sql, const Params& params) override {
    ASSIGN_OR_RETURN(Result result, Run(sql, params, /*prepared=*/false));
    return ToRows(result.get());
  }

  static absl::StatusOr<Rows> ToRows(PGresult* result) {
    Rows rows;
    const int n = PQntuples(result);
    const int columns = PQnfields(result);
    rows.reserve(n);
    for (int r = 0; r < n; ++r) {
      std::vector<Value> row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        ASSIGN_OR_RETURN(Value value, CellValue(result, r, c));
        row.push_back(std::move(value));
      }
      rows.emplace_back(std::move(row));
    }
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql, const Params& params) override {
    ASSIGN_OR_RETURN(Result result, Run(sql, params, /*prepared=*/true));
    std::string_view count = PQcmdTuples(result.get());
    if (count.empty()) return 0;
    ASSIGN_OR_RETURN(Value changed, ParseNumber<int64_t>(count));
    return std::get<int64_t>(changed);
  }

  absl::Status ExecScript(std::string_view sql) override {
    return Exec(sql).status();
  }

  absl::Status Commit() override {
    ASSIGN_OR_RETURN(Result result, Exec("COMMIT"));
    // After an error inside the transaction the server answers COMMIT with ROLLBACK.
    if (std::strcmp(PQcmdStatus(result.get()), "COMMIT") != 0) {
      return absl::AbortedError(
          "PostgreSQL rolled the transaction back because a statement in it failed");
    }
    return absl::OkStatus();
  }

  absl::Status LockForMigration() override { return ExecScript(kMigrationLockSql); }

  bool IsOpen() const { return PQstatus(conn_) == CONNECTION_OK; }

  bool ReadyForReuse() {
    if (!IsOpen()) return false;
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) ExecScript("ROLLBACK").IgnoreError();
    return IsOpen() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

 private:
  // One SQL text: its $n form and its prepared statements, one per parameter-type signature.
  struct Statement {
    PositionalSql positional;
    std::vector<std::pair<std::vector<Oid>, std::string>> prepared;  // types -> name
  };

  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  absl::StatusOr<Result> Exec(std::string_view sql) {
    Result result(PQexec(conn_, std::string(sql).c_str()), PQclear);
    if (!Succeeded(result.get())) return PgError(conn_, result.get());
    return result;
  }

  absl::StatusOr<Statement*> Lookup(std::string_view sql) {
    if (auto it = statements_.find(ToAbsl(sql)); it != statements_.end()) return &it->second;
    if (sql.find_first_not_of(" \t\r\n;") == std::string_view::npos) {
      return absl::InvalidArgumentError("empty SQL statement");
    }
    ASSIGN_OR_RETURN(PositionalSql positional, RewriteToPositional(sql));
    return &statements_.emplace(std::string(sql), Statement{std::move(positional), {}})
                .first->second;
  }

  // The name of a statement prepared for sql with these parameter types.
  absl::StatusOr<std::string> Prepare(Statement& statement, std::vector<Oid> types) {
    for (const auto& [prepared_types, name] : statement.prepared) {
      if (prepared_types == types) return name;
    }
    if (prepared_count_ >= kMaxPreparedStatements) {
      RETURN_IF_ERROR(ExecScript("DEALLOCATE ALL"));
      for (auto& [sql, s] : statements_) s.prepared.clear();
      prepared_count_ = 0;
    }
    std::string name = absl::StrCat("rhip_", next_statement_id_++);
    Result result(PQprepare(conn_, name.c_str(), statement.positional.sql.c_str(),
                            static_cast<int>(types.size()), types.data()),
                  PQclear);
    if (!Succeeded(result.get())) return PgError(conn_, result.get());
    statement.prepared.emplace_back(std::move(types), name);
    ++prepared_count_;
    return name;
  }

  // prepared: through a cached prepared statement; else as an unnamed statement that the
  // server plans with this call's values.
  absl::StatusOr<Result> Run(std::string_view sql, const Params& params, bool prepared) {
    ASSIGN_OR_RETURN(Statement * statement, Lookup(sql));
    ASSIGN_OR_RETURN(std::vector<const Value*> values,
                     MatchParams(statement->positional.names, params));
    std::vector<Oid> types;
    std::vector<std::string> numbers(values.size());
    std::vector<const char*> texts;
    types.reserve(values.size());
    texts.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      const Value& value = *values[i];
      types.push_back(ParamType(value));
      if (const auto* text = std::get_if<std::string>(&value)) {
        if (text->find('\0') != std::string::npos) {
          return absl::InvalidArgumentError(
              absl::StrCat("SQL parameter :", statement->positional.names[i],
                           " holds a NUL character, which PostgreSQL text cannot store"));
        }
        texts.push_back(text->c_str());
      } else if (const auto* integer = std::get_if<int64_t>(&value)) {
        numbers[i] = absl::StrCat(*integer);
        texts.push_back(numbers[i].c_str());
      } else if (const auto* real = std::get_if<double>(&value)) {
        char buffer[32];
        auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), *real);
        numbers[i].assign(buffer, end);
        texts.push_back(numbers[i].c_str());
      } else {
        texts.push_back(nullptr);
      }
    }
    Result result(nullptr, PQclear);
    if (prepared) {
      ASSIGN_OR_RETURN(std::string name, Prepare(*statement, std::move(types)));
      result.reset(PQexecPrepared(conn_, name.c_str(), static_cast<int>(texts.size()),
                                  texts.data(), nullptr, nullptr, /*resultFormat=*/0));
    } else {
      result.reset(PQexecParams(conn_, statement->positional.sql.c_str(),
                                static_cast<int>(texts.size()), types.data(), texts.data(),
                                nullptr, nullptr, /*resultFormat=*/0));
    }
    if (!Succeeded(result.get())) return PgError(conn_, result.get());
    return result;
  }

  PGconn* conn_;
  // Keyed by SQL text; node-based so that Statement pointers stay valid while in use.
  absl::node_hash_map<std::string, Statement> statements_;
  size_t prepared_count_ = 0;
  int64_t next_statement_id_ = 0;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(const Options& options)
      : pool_size_(options.read_connections),
        pool_(options.read_connections,
              [uri = options.target] { return PgConnection::Open(uri); }) {}

  Engine engine() const override { return Engine::kPostgres; }

  absl::Status Read(const std::function<absl::Status(Session&)>& fn) override {
    return Transact("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                    [&](Connection& c) { return fn(c); });
  }

  // PostgreSQL's own COMMIT is durable (synchronous_commit is on), so no grouping here.
  absl::Status Write(const std::function<absl::Status(Session&)>& fn) override {
    return Transact("BEGIN", [&](Connection& c) { return fn(c); });
  }

  absl::StatusOr<int> SchemaVersion() override { return SchemaVersionOf(*this); }

  // A working connection and a readable schema; PostgreSQL checks its pages itself.
  absl::Status CheckIntegrity() override { return SchemaVersion().status(); }

  absl::Status Migrate() {
    return internal::Migrate(Engine::kPostgres, EmbeddedMigrations(),
                             [&](const ConnectionFn& fn) { return Transact("BEGIN", fn); });
  }

 private:
  absl::Status Transact(std::string_view begin, const ConnectionFn& fn) {
    RETURN_IF_ERROR(CallbackScope::CheckNotNested(this));
    for (int attempt = 0;; ++attempt) {
      ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
      absl::Status begun = conn->ExecScript(begin);
      if (begun.ok()) {
        CallbackScope scope(this);
        return FinishTransaction(*conn, fn);
      }
      // A pooled connection the server has dropped (restart, idle timeout) fails at BEGIN,
      // before anything ran: retrying on a fresh one is safe. Each retry discards one.
      if (conn->IsOpen() || attempt == pool_size_) return begun;
    }
  }

  const int pool_size_;
  Pool<PgConnection> pool_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const Options& options) {
  auto db = std::make_unique<PostgresDatabase>(options);
  RETURN_IF_ERROR(db->Migrate());
  return db;
}

}  // namespace rhip::db::internal
