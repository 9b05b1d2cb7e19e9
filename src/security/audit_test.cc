// The audit chain on SQLite and PostgreSQL: appends from many threads and from two database
// handles stay one linear chain; the tables reject UPDATE and DELETE; and each kind of
// tampering (changed, deleted, reordered record, cut-off tail) is found at the right seq.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "db/testing/test_databases.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "security/audit_log.h"
#include "security/audit_verify.h"
#include "security/internal/audit_chain.h"

namespace rhip::db {
void PrintTo(Engine engine, std::ostream* os) {
  *os << (engine == Engine::kSqlite ? "SQLite" : "PostgreSQL");
}
}  // namespace rhip::db

namespace rhip::security {
namespace {

using ::testing::HasSubstr;

class FixedClock : public Clock {
 public:
  Micros Now() const override { return 1'700'000'000'000'000; }
};

AuditRecord Record(int i) {
  AuditRecord r;
  r.actor = "doctor" + std::to_string(i % 7);
  r.role = "doctor";
  r.org_unit = "Organization/township-1";
  r.client_address = "10.0.0.7";
  r.action = i % 2 ? kAuditRead : kAuditSearch;
  r.patient = "Patient/p" + std::to_string(i);
  r.resources = "Observation/" + std::to_string(i) + ",Observation/x";
  r.query = "subject=Patient/p" + std::to_string(i);
  r.outcome = "200";
  return r;
}

TEST(AuditHash, EveryFieldCountsAndFieldsCannotShift) {
  AuditRecord r = Record(1);
  const std::string base = internal::AuditHash(internal::kGenesisHash, 1, r);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, internal::AuditHash(internal::kGenesisHash, 1, r));
  EXPECT_NE(base, internal::AuditHash(internal::kGenesisHash, 2, r));
  EXPECT_NE(base, internal::AuditHash(std::string(64, '1'), 1, r));
  std::string AuditRecord::*fields[] = {
      &AuditRecord::actor,   &AuditRecord::role,      &AuditRecord::org_unit,
      &AuditRecord::client_address, &AuditRecord::action, &AuditRecord::patient,
      &AuditRecord::resources, &AuditRecord::query,   &AuditRecord::outcome,
      &AuditRecord::reason};
  for (auto field : fields) {
    AuditRecord changed = r;
    changed.*field += "!";
    EXPECT_NE(base, internal::AuditHash(internal::kGenesisHash, 1, changed));
  }
  AuditRecord later = r;
  later.time += 1;
  EXPECT_NE(base, internal::AuditHash(internal::kGenesisHash, 1, later));
  // Moving bytes from one field to its neighbour changes the hash (length prefixes).
  AuditRecord a = r, b = r;
  a.actor = "ab";
  a.role = "c";
  b.actor = "a";
  b.role = "bc";
  EXPECT_NE(internal::AuditHash(internal::kGenesisHash, 1, a),
            internal::AuditHash(internal::kGenesisHash, 1, b));
}

class AuditTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> target = databases_.NewTarget(GetParam());
    ASSERT_TRUE(target.ok()) << target.status();
    target_ = *target;
    absl::StatusOr<std::unique_ptr<db::Database>> db = db::Database::Open({.target = target_});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // Appends n records through a log and waits until they are durable.
  void AppendRecords(int n) {
    AuditLog log(db_.get(), &clock_);
    for (int i = 1; i <= n; ++i) log.Append(Record(i));
    absl::Status flushed = log.Flush();
    ASSERT_TRUE(flushed.ok()) << flushed;
  }

  AuditVerification Verify() {
    absl::StatusOr<AuditVerification> v = VerifyAuditChain(*db_);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : AuditVerification{};
  }

  // Ten records; then, as an attacker with database access would, the append-only triggers
  // dropped and statements run. Returns what verification finds.
  AuditVerification TamperWith(const std::vector<std::string>& statements) {
    AppendRecords(10);
    if (GetParam() == db::Engine::kSqlite) {
      Sql("DROP TRIGGER audit_event_no_update");
      Sql("DROP TRIGGER audit_event_no_delete");
    } else {
      Sql("DROP TRIGGER audit_event_no_update ON audit_event");
    }
    for (const std::string& sql : statements) Sql(sql);
    return Verify();
  }

  static void ExpectBroken(const AuditVerification& v, int64_t seq, std::string_view problem) {
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.broken_seq, seq);
    EXPECT_THAT(v.problem, HasSubstr(std::string(problem)));
  }

  absl::Status TrySql(const std::string& sql) {
    return db_->Write([&](db::Session& s) { return s.Execute(sql).status(); });
  }
  void Sql(const std::string& sql) {
    absl::Status s = TrySql(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s;
  }

  db::TestDatabases databases_;
  std::string target_;
  FixedClock clock_;
  std::unique_ptr<db::Database> db_;
};

TEST_P(AuditTest, EmptyChainIsIntact) {
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 0);
  EXPECT_EQ(v.head_hash, internal::kGenesisHash);
}

TEST_P(AuditTest, ConcurrentAppendsFormOneChain) {
  {
    AuditLog log(db_.get(), &clock_, {.max_batch = 16});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 100; ++i) {
          uint64_t ticket = log.Append(Record(t * 1000 + i));
          if (i % 10 == 0) {
            absl::Status s = log.WaitDurable(ticket);
            EXPECT_TRUE(s.ok()) << s;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }  // the destructor writes what is still queued
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 400);
  EXPECT_EQ(v.head_seq, 400);
}

TEST_P(AuditTest, TwoHandlesOnOneDatabaseDoNotForkTheChain) {
  absl::StatusOr<std::unique_ptr<db::Database>> other = db::Database::Open({.target = target_});
  ASSERT_TRUE(other.ok()) << other.status();
  {
    AuditLog a(db_.get(), &clock_, {.max_batch = 8});
    AuditLog b(other->get(), &clock_, {.max_batch = 8});
    std::thread ta([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(a.WaitDurable(a.Append(Record(i))).ok());
    });
    std::thread tb([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(b.WaitDurable(b.Append(Record(-i))).ok());
    });
    ta.join();
    tb.join();
  }
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 400);
}

TEST_P(AuditTest, TableRejectsUpdateAndDelete) {
  AppendRecords(3);
  absl::Status update = TrySql("UPDATE audit_event SET actor = 'x' WHERE seq = 2");
  EXPECT_FALSE(update.ok());
  EXPECT_THAT(std::string(update.message()), HasSubstr("append-only"));
  EXPECT_FALSE(TrySql("DELETE FROM audit_event WHERE seq = 3").ok());
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 3);
}

TEST_P(AuditTest, ChangedRecordIsFound) {
  ExpectBroken(TamperWith({"UPDATE audit_event SET patient = 'Patient/someone-else' WHERE seq = 7"}),
               7, "changed");
}

TEST_P(AuditTest, DeletedRecordIsFound) {
  ExpectBroken(TamperWith({"DELETE FROM audit_event WHERE seq = 4"}), 4, "missing");
}

TEST_P(AuditTest, DeletedAndRenumberedRecordIsFound) {
  std::vector<std::string> sql = {"DELETE FROM audit_event WHERE seq = 4"};
  for (int seq = 5; seq <= 10; ++seq) {
    sql.push_back("UPDATE audit_event SET seq = " + std::to_string(seq - 1) +
                  " WHERE seq = " + std::to_string(seq));
  }
  sql.push_back("UPDATE audit_chain_head SET seq = 9");
  ExpectBroken(TamperWith(sql), 4, "does not follow record 3");
}

TEST_P(AuditTest, ReorderedRecordsAreFound) {
  ExpectBroken(TamperWith({"UPDATE audit_event SET seq = -1 WHERE seq = 5",
                           "UPDATE audit_event SET seq = 5 WHERE seq = 6",
                           "UPDATE audit_event SET seq = 6 WHERE seq = -1"}),
               5, "reordered");
}

TEST_P(AuditTest, CutOffTailIsFound) {
  ExpectBroken(TamperWith({"DELETE FROM audit_event WHERE seq >= 9"}), 9, "missing");
}

TEST_P(AuditTest, FailedBatchIsReportedAndRetriedNotLost) {
  AuditLog log(db_.get(), &clock_);
  ASSERT_TRUE(log.WaitDurable(log.Append(Record(1))).ok());
  // Without its head row the chain cannot grow: the next batch fails.
  Sql("DELETE FROM audit_chain_head");
  uint64_t ticket = log.Append(Record(2));
  absl::Status failed = log.WaitDurable(ticket);
  EXPECT_FALSE(failed.ok());
  Sql("INSERT INTO audit_chain_head (id, seq, hash) SELECT 1, seq, hash FROM audit_event WHERE seq = 1");
  // An attempt that began before the repair may still fail; a caller retries like this.
  absl::Status retried;
  for (int i = 0; i < 5 && !(retried = log.WaitDurable(ticket)).ok(); ++i) {
  }
  EXPECT_TRUE(retried.ok()) << retried;
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditTest,
                         ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const auto& info) {
                           return info.param == db::Engine::kSqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace rhip::security
