// The storage conformance suite: every test runs on SQLite and on PostgreSQL (a throwaway
// server started once per test binary).
#include "db/database.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "db/internal/migrations.h"
#include "db/testing/test_databases.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::db {

// Readable parameter values in test output and CTest names.
void PrintTo(Engine engine, std::ostream* os) {
  *os << (engine == Engine::kSqlite ? "SQLite" : "PostgreSQL");
}

namespace {

using ::testing::HasSubstr;

constexpr std::string_view kInsert =
    "INSERT INTO item (id, i, d, s) VALUES (:id, :i, :d, :s)";

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> target = NewTarget();
    ASSERT_TRUE(target.ok()) << target.status();
    options_.target = *target;
    ASSERT_TRUE(Reopen().ok());
    ASSERT_TRUE(db_->Write([](Session& s) {
                     return s.Execute("CREATE TABLE item (id BIGINT PRIMARY KEY, i BIGINT, "
                                      "d DOUBLE PRECISION, s TEXT)")
                         .status();
                   }).ok());
  }

  void TearDown() override { db_.reset(); }

  absl::StatusOr<std::string> NewTarget() { return databases_.NewTarget(GetParam()); }

  absl::Status Reopen() {
    db_.reset();
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options_);
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    return absl::OkStatus();
  }

  absl::Status Insert(int64_t id, Value i = {}, Value d = {}, Value s = {}) {
    return db_->Write([&](Session& session) {
      return session.Execute(kInsert, {{"id", id}, {"i", i}, {"d", d}, {"s", s}}).status();
    });
  }

  std::vector<int64_t> Ids() {
    std::vector<int64_t> ids;
    absl::Status status = db_->Read([&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT id FROM item ORDER BY id"));
      for (const Row& row : rows) ids.push_back(row.Int(0));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return ids;
  }

  static absl::StatusOr<int64_t> Count(Session& s) {
    ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT COUNT(*) FROM item"));
    return rows.at(0).Int(0);
  }

  Options options_;
  std::unique_ptr<Database> db_;
  TestDatabases databases_;
};

TEST_P(DatabaseTest, OpensAtNewestSchemaVersion) {
  EXPECT_EQ(db_->engine(), GetParam());
  absl::StatusOr<int> version = db_->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, internal::EmbeddedMigrations().back().version);
  EXPECT_TRUE(db_->Read([](Session& s) {
                   return s.Query("SELECT rk, type, id, version FROM resource").status();
                 }).ok());
}

TEST_P(DatabaseTest, RoundTripsValues) {
  std::string big;
  while (big.size() < (1 << 20)) big += "患者张三，居民健康档案。";
  const std::vector<std::vector<Value>> cases = {
      {Value(), Value(), Value()},
      {INT64_MIN, -0.5, std::string("")},
      {INT64_MAX, 1.0e300, std::string("中文 Chinese 'quoted' :not_a_param")},
      {int64_t{0}, 0.1, big},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    ASSERT_TRUE(Insert(k, cases[k][0], cases[k][1], cases[k][2]).ok());
  }
  for (size_t k = 0; k < cases.size(); ++k) {
    ASSERT_TRUE(db_->Read([&](Session& s) -> absl::Status {
                     ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT i, d, s FROM item WHERE id = :id",
                                                         {{"id", int64_t(k)}}));
                     EXPECT_EQ(rows.size(), 1u);
                     for (size_t c = 0; c < 3; ++c) EXPECT_EQ(rows[0].at(c), cases[k][c]) << k;
                     return absl::OkStatus();
                   }).ok());
  }
}

TEST_P(DatabaseTest, RepeatedNamedParameters) {
  ASSERT_TRUE(db_->Write([](Session& s) {
                   return s.Execute("INSERT INTO item (id, i, s) VALUES (:n, :n, ':n stays')",
                                    {{"n", int64_t{7}}})
                       .status();
                 }).ok());
  ASSERT_TRUE(db_->Read([](Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(Rows rows,
                                    s.Query("SELECT \"s\" FROM item WHERE id = :n AND i = :n",
                                            {{"n", int64_t{7}}}));
                   EXPECT_EQ(rows.size(), 1u);
                   EXPECT_EQ(rows.at(0).Text(0), ":n stays");
                   return absl::OkStatus();
                 }).ok());
}

TEST_P(DatabaseTest, ParameterMismatchIsInvalidArgument) {
  constexpr std::string_view kSql = "SELECT s FROM item WHERE id = :id";
  const Params bad[] = {{}, {{"id", int64_t{1}}, {"extra", int64_t{2}}},
                        {{"id", int64_t{1}}, {"id", int64_t{2}}}};
  for (const Params& params : bad) {
    absl::Status status = db_->Read([&](Session& s) { return s.Query(kSql, params).status(); });
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  }
  EXPECT_TRUE(db_->Read([&](Session& s) {
                   return s.Query(kSql, {{"id", int64_t{1}}}).status();
                 }).ok());
}

TEST_P(DatabaseTest, FailingWriteRollsBackOnlyItsOwnChanges) {
  constexpr int kWriters = 50;
  auto fails = [](int k) { return k % 7 == 3; };
  std::vector<absl::Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int k = 0; k < kWriters; ++k) {
    threads.emplace_back([&, k] {
      results[k] = db_->Write([&](Session& s) -> absl::Status {
        for (int64_t id : {int64_t{k}, int64_t{1000 + k}}) {
          RETURN_IF_ERROR(s.Execute(kInsert, {{"id", id}, {"i", {}}, {"d", {}}, {"s", {}}})
                              .status());
        }
        if (fails(k)) return absl::InvalidArgumentError(absl::StrCat("writer ", k, " gives up"));
        return absl::OkStatus();
      });
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int64_t> expected;
  for (int k = 0; k < kWriters; ++k) {
    if (fails(k)) {
      EXPECT_EQ(results[k].code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(results[k].message(), absl::StrCat("writer ", k, " gives up"));
    } else {
      EXPECT_TRUE(results[k].ok()) << results[k];
      expected.push_back(k);
      expected.push_back(1000 + k);
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Ids(), expected);
}

TEST_P(DatabaseTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(Insert(1).ok());
  absl::Status again = Insert(1);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  ASSERT_TRUE(Insert(2).ok());
  EXPECT_EQ(Ids(), (std::vector<int64_t>{1, 2}));
}

TEST_P(DatabaseTest, ReadSeesAConsistentSnapshot) {
  ASSERT_TRUE(Insert(1).ok());
  absl::Status write;
  ASSERT_TRUE(db_->Read([&](Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(int64_t before, Count(s));
                   std::thread([&] { write = Insert(2); }).join();
                   ASSIGN_OR_RETURN(int64_t after, Count(s));
                   EXPECT_EQ(before, 1);
                   EXPECT_EQ(after, 1);
                   return absl::OkStatus();
                 }).ok());
  EXPECT_TRUE(write.ok()) << write;
  EXPECT_EQ(Ids(), (std::vector<int64_t>{1, 2}));
}

TEST_P(DatabaseTest, ReadersRunInParallel) {
  ASSERT_TRUE(Insert(1).ok());
  const int readers = options_.read_connections;
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  std::atomic<int> met_all = 0;
  std::vector<std::thread> threads;
  for (int k = 0; k < readers; ++k) {
    threads.emplace_back([&] {
      absl::Status status = db_->Read([&](Session& s) -> absl::Status {
        RETURN_IF_ERROR(Count(s).status());
        std::unique_lock lock(mu);
        ++inside;
        cv.notify_all();
        if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return inside == readers; })) {
          ++met_all;
        }
        return absl::OkStatus();
      });
      EXPECT_TRUE(status.ok()) << status;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(met_all, readers);
}

TEST_P(DatabaseTest, ReadIsReadOnly) {
  absl::Status status = db_->Read([](Session& s) {
    return s.Execute(kInsert, {{"id", int64_t{1}}, {"i", {}}, {"d", {}}, {"s", {}}}).status();
  });
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Ids().empty());
}

TEST_P(DatabaseTest, NestedReadOrWriteIsRefused) {
  ASSERT_TRUE(db_->Write([&](Session& s) -> absl::Status {
                   EXPECT_EQ(db_->Write([](Session&) { return absl::OkStatus(); }).code(),
                             absl::StatusCode::kFailedPrecondition);
                   EXPECT_EQ(db_->Read([](Session&) { return absl::OkStatus(); }).code(),
                             absl::StatusCode::kFailedPrecondition);
                   return s.Execute(kInsert, {{"id", int64_t{1}}, {"i", {}}, {"d", {}}, {"s", {}}})
                       .status();
                 }).ok());
  ASSERT_TRUE(db_->Read([&](Session&) {
                   EXPECT_EQ(db_->Read([](Session&) { return absl::OkStatus(); }).code(),
                             absl::StatusCode::kFailedPrecondition);
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(Ids(), (std::vector<int64_t>{1}));
}

TEST_P(DatabaseTest, ExecuteCountsChangedRows) {
  for (int64_t id : {1, 2, 3}) ASSERT_TRUE(Insert(id).ok());
  absl::StatusOr<int64_t> changed;
  ASSERT_TRUE(db_->Write([&](Session& s) {
                   changed = s.Execute("UPDATE item SET i = :i WHERE id <= :id",
                                       {{"i", int64_t{5}}, {"id", int64_t{2}}});
                   return changed.status();
                 }).ok());
  EXPECT_EQ(*changed, 2);
  ASSERT_TRUE(db_->Write([&](Session& s) {
                   changed = s.Execute("CREATE TABLE other (x BIGINT)");
                   return changed.status();
                 }).ok());
  EXPECT_EQ(*changed, 0);
}

TEST_P(DatabaseTest, ReopeningAppliesNoMigrationTwice) {
  auto insert_resource = [&](std::string id) {
    return db_->Write([&](Session& s) {
      return s.Execute("INSERT INTO resource (type, id, version, last_updated) "
                       "VALUES ('Patient', :id, 1, 0)",
                       {{"id", id}})
          .status();
    });
  };
  ASSERT_TRUE(insert_resource("a").ok());
  absl::Status reopened = Reopen();
  ASSERT_TRUE(reopened.ok()) << reopened;
  EXPECT_EQ(*db_->SchemaVersion(), internal::EmbeddedMigrations().back().version);
  ASSERT_TRUE(insert_resource("b").ok());
  ASSERT_TRUE(db_->Read([](Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT rk, id FROM resource ORDER BY rk"));
                   EXPECT_EQ(rows.size(), 2u);
                   EXPECT_EQ(rows.at(0).Text(1), "a");
                   EXPECT_EQ(rows.at(1).Text(1), "b");
                   EXPECT_LT(rows.at(0).Int(0), rows.at(1).Int(0));
                   return absl::OkStatus();
                 }).ok());
}

TEST_P(DatabaseTest, ConcurrentOpensMigrateOnce) {
  absl::StatusOr<std::string> fresh = NewTarget();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  Options options = options_;
  options.target = *fresh;
  constexpr int kOpeners = 4;
  std::vector<absl::StatusOr<int>> versions(kOpeners);
  std::vector<std::thread> threads;
  for (int k = 0; k < kOpeners; ++k) {
    threads.emplace_back([&, k] {
      absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
      versions[k] = db.ok() ? (*db)->SchemaVersion() : db.status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::StatusOr<int>& version : versions) {
    ASSERT_TRUE(version.ok()) << version.status();
    EXPECT_EQ(*version, internal::EmbeddedMigrations().back().version);
  }
}

TEST_P(DatabaseTest, NewerDatabaseIsRefused) {
  ASSERT_TRUE(db_->Write([](Session& s) {
                   return s.Execute("UPDATE schema_version SET version = 999").status();
                 }).ok());
  absl::Status reopened = Reopen();
  EXPECT_EQ(reopened.code(), absl::StatusCode::kFailedPrecondition) << reopened;
  EXPECT_THAT(std::string(reopened.message()), HasSubstr("999"));
}

TEST_P(DatabaseTest, IntegrityCheckPasses) {
  ASSERT_TRUE(Insert(1, int64_t{1}, 1.5, std::string("x")).ok());
  absl::Status status = db_->CheckIntegrity();
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(DatabaseTest, BadSqlIsAnErrorNotACrash) {
  const std::string_view bad[] = {"SELEC 1", "SELECT * FROM no_such_table", "",
                                  "SELECT 1; SELECT 2", "SELECT ?"};
  for (std::string_view sql : bad) {
    EXPECT_FALSE(db_->Read([&](Session& s) { return s.Query(sql).status(); }).ok()) << sql;
    EXPECT_FALSE(db_->Write([&](Session& s) { return s.Execute(sql).status(); }).ok()) << sql;
  }
  ASSERT_TRUE(Insert(1).ok());
  EXPECT_EQ(Ids(), (std::vector<int64_t>{1}));
}

// Whatever the engine does with a failed statement whose error the callback ignores, it
// never commits half a transaction: either all of the rest or nothing.
TEST_P(DatabaseTest, IgnoredStatementErrorNeverCommitsHalfATransaction) {
  absl::Status status = db_->Write([](Session& s) {
    for (int64_t id : {1, 2}) {
      s.Execute(kInsert, {{"id", id}, {"i", {}}, {"d", {}}, {"s", {}}}).IgnoreError();
      s.Execute("INSERT INTO no_such_table VALUES (1)").IgnoreError();
    }
    return absl::OkStatus();
  });
  const std::vector<int64_t> expected = status.ok() ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{};
  EXPECT_EQ(Ids(), expected);
}

TEST_P(DatabaseTest, ManyDistinctStatementsOutgrowTheCache) {
  ASSERT_TRUE(db_->Read([](Session& s) -> absl::Status {
                   for (int k = 0; k < 600; ++k) {
                     std::string sql = absl::StrCat("SELECT CAST(:v AS BIGINT) + ", k);
                     ASSIGN_OR_RETURN(Rows rows, s.Query(sql, {{"v", int64_t{1} << 40}}));
                     EXPECT_EQ(rows.at(0).Int(0), (int64_t{1} << 40) + k);
                   }
                   return absl::OkStatus();
                 }).ok());
}

TEST(PostgresTest, ReplacesConnectionsTheServerDropped) {
  absl::StatusOr<PostgresTestServer*> server = SharedPostgresServer();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> uri = (*server)->CreateDatabase("dropped");
  ASSERT_TRUE(uri.ok()) << uri.status();
  absl::StatusOr<std::unique_ptr<Database>> db =
      Database::Open({.target = *uri, .read_connections = 2});
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::unique_ptr<Database>> admin =
      Database::Open({.target = (*server)->uri(), .read_connections = 1});
  ASSERT_TRUE(admin.ok()) << admin.status();
  // Kill every connection to the test database and wait until they are gone.
  ASSERT_TRUE((*admin)->Write([](Session& s) {
                        return s.Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = 'dropped'")
                            .status();
                      }).ok());
  int64_t remaining = -1;
  for (int k = 0; k < 100 && remaining != 0; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE((*admin)->Read([&](Session& s) -> absl::Status {
                          ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT COUNT(*) FROM "
                                                              "pg_stat_activity WHERE datname = "
                                                              "'dropped'"));
                          remaining = rows.at(0).Int(0);
                          return absl::OkStatus();
                        }).ok());
  }
  ASSERT_EQ(remaining, 0);
  absl::Status read = (*db)->Read([](Session& s) { return s.Query("SELECT 1").status(); });
  EXPECT_TRUE(read.ok()) << read;
  absl::StatusOr<int> version = (*db)->SchemaVersion();
  EXPECT_TRUE(version.ok()) << version.status();
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace rhip::db
