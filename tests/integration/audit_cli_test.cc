// `rhip audit verify` against a store whose audit trail was tampered with directly in the
// database (triggers dropped first, as an attacker with database access would): the program
// exits 1 and names the first bad seq; an intact trail exits 0.
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "security/audit_log.h"
#include "tests/integration/server_fixture.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

struct Tampering {
  std::string name;
  std::vector<std::string> sql;  // run after the append-only triggers are dropped
  std::string expected;          // in rhip's output
};

class AuditCliTest : public ::testing::TestWithParam<Engine> {
 protected:
  // A fresh store with 20 audit records; returns the `rhip audit verify` arguments for it.
  std::vector<std::string> StoreWithRecords(const TempDir& dir) {
    const std::string url = FreshDatabaseUrl(GetParam());
    auto db = db::Database::Open({.target = url.empty() ? dir.path() : url});
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return {};
    database_ = *std::move(db);
    security::AuditLog log(database_.get(), &Clock::Real());
    for (int i = 1; i <= 20; ++i) {
      log.Append({.actor = "doctor-" + std::to_string(i % 3), .role = "doctor",
                  .org_unit = "Organization/township-1", .client_address = "10.0.0.9",
                  .action = security::kAuditRead, .patient = "Patient/p" + std::to_string(i),
                  .resources = "Patient/p" + std::to_string(i), .outcome = "200"});
    }
    EXPECT_TRUE(log.Flush().ok());
    std::vector<std::string> args = {"audit", "verify", "--data", dir.path()};
    if (!url.empty()) {
      args.push_back("--db");
      args.push_back(url);
    }
    return args;
  }

  void Tamper(const std::vector<std::string>& statements) {
    std::vector<std::string> all =
        GetParam() == Engine::kSqlite
            ? std::vector<std::string>{"DROP TRIGGER audit_event_no_update",
                                       "DROP TRIGGER audit_event_no_delete"}
            : std::vector<std::string>{"DROP TRIGGER audit_event_no_update ON audit_event"};
    all.insert(all.end(), statements.begin(), statements.end());
    for (const std::string& sql : all) {
      absl::Status s = database_->Write([&](db::Session& session) {
        return session.Execute(sql).status();
      });
      EXPECT_TRUE(s.ok()) << sql << ": " << s;
    }
    database_.reset();
  }

  std::unique_ptr<db::Database> database_;
};

TEST_P(AuditCliTest, IntactTrailExitsZero) {
  TempDir dir;
  std::vector<std::string> args = StoreWithRecords(dir);
  database_.reset();
  std::string out;
  EXPECT_EQ(RunRhip(args, &out), 0) << out;
  EXPECT_NE(out.find("intact: 20 records"), std::string::npos) << out;
}

TEST_P(AuditCliTest, TamperingIsReportedAtItsSeq) {
  const std::vector<Tampering> cases = {
      {"changed", {"UPDATE audit_event SET patient = 'Patient/other' WHERE seq = 7"},
       "BROKEN at seq 7: record 7 was changed"},
      {"deleted", {"DELETE FROM audit_event WHERE seq = 4"}, "BROKEN at seq 4: record 4 is missing"},
      {"swapped",
       {"UPDATE audit_event SET seq = -1 WHERE seq = 12", "UPDATE audit_event SET seq = 12 WHERE seq = 13",
        "UPDATE audit_event SET seq = 13 WHERE seq = -1"},
       "BROKEN at seq 12: record 12 does not follow record 11"},
      {"tail cut", {"DELETE FROM audit_event WHERE seq > 18"}, "BROKEN at seq 19"},
  };
  for (const Tampering& t : cases) {
    SCOPED_TRACE(t.name);
    TempDir dir;
    std::vector<std::string> args = StoreWithRecords(dir);
    Tamper(t.sql);
    std::string out;
    EXPECT_EQ(RunRhip(args, &out), 1) << out;
    EXPECT_NE(out.find(t.expected), std::string::npos) << out;
  }
}

TEST(AuditCliUsageTest, VerifyNeedsData) {
  std::string out;
  EXPECT_EQ(RunRhip({"audit"}, &out), 2);
  EXPECT_EQ(RunRhip({"audit", "verify"}, &out), 2);
  EXPECT_NE(out.find("--data"), std::string::npos) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditCliTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
