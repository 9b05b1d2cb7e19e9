// `rhip audit verify` against a store whose audit trail was tampered with directly in the
// database (triggers dropped first, as an attacker with database access would): the program
// exits 1 and names the first bad seq; an intact trail exits 0; a trail rebuilt whole (intact
// but new) fails --expect-head. `rhip audit list` filters and pages.
#include <algorithm>
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
    AppendRecords(20, "doctor-");
    std::vector<std::string> args = {"audit", "verify", "--data", dir.path()};
    if (!url.empty()) {
      args.push_back("--db");
      args.push_back(url);
    }
    return args;
  }

  // Records 1..n; every fifth is a break-the-glass read with a reason.
  void AppendRecords(int n, const std::string& actor_prefix) {
    security::AuditLog log(database_.get(), &Clock::Real());
    for (int i = 1; i <= n; ++i) {
      const bool glass = i % 5 == 0;
      EXPECT_TRUE(log.Append({.actor = actor_prefix + std::to_string(i % 3), .role = "doctor",
                              .org_unit = "Organization/township-1", .client_address = "10.0.0.9",
                              .action = glass ? security::kAuditBreakGlass : security::kAuditRead,
                              .patient = "Patient/p" + std::to_string(i),
                              .resources = "Patient/p" + std::to_string(i), .outcome = "200",
                              .reason = glass ? "unconscious patient" : ""})
                      .ok());
    }
    EXPECT_TRUE(log.Flush().ok());
  }

  void Tamper(const std::vector<std::string>& statements, bool close = true) {
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
    if (close) database_.reset();
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

// The head a supervisor noted stays valid while the chain grows, and fails once the whole
// chain is rebuilt (every record rewritten and rehashed: intact, but not the same chain).
TEST_P(AuditCliTest, ExpectHeadDetectsARebuiltChain) {
  TempDir dir;
  std::vector<std::string> args = StoreWithRecords(dir);
  std::string out;
  ASSERT_EQ(RunRhip(args, &out), 0) << out;
  const size_t at = out.find(" hash ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string head = out.substr(at + 6, 64);
  args.insert(args.end(), {"--expect-head", head});
  EXPECT_EQ(RunRhip(args, &out), 0) << out;
  EXPECT_NE(out.find("expected head matches"), std::string::npos) << out;
  AppendRecords(3, "nurse-");
  EXPECT_EQ(RunRhip(args, &out), 0) << out;
  EXPECT_NE(out.find("expected head found at seq 20; 3 records appended since"), std::string::npos)
      << out;
  Tamper({"DELETE FROM audit_event",
          "UPDATE audit_chain_head SET seq = 0, hash = "
          "'0000000000000000000000000000000000000000000000000000000000000000'"},
         /*close=*/false);
  AppendRecords(23, "forger-");
  database_.reset();
  EXPECT_EQ(RunRhip(args, &out), 1) << out;
  EXPECT_NE(out.find("audit chain intact: 23 records"), std::string::npos) << out;
  EXPECT_NE(out.find("is NOT in the chain"), std::string::npos) << out;
}

TEST_P(AuditCliTest, ListFiltersAndPages) {
  TempDir dir;
  std::vector<std::string> args = StoreWithRecords(dir);
  database_.reset();
  args[1] = "list";
  auto list = [&](std::vector<std::string> more, std::string* out) {
    std::vector<std::string> a = args;
    a.insert(a.end(), more.begin(), more.end());
    return RunRhip(a, out);
  };
  auto lines = [](const std::string& out) {
    return std::count(out.begin(), out.end(), '\n') - 1;  // minus the header
  };
  std::string out;
  ASSERT_EQ(list({"--action", "break-glass"}, &out), 0) << out;
  EXPECT_EQ(lines(out), 4) << out;
  EXPECT_EQ(out.find("\tread\t"), std::string::npos) << out;
  EXPECT_NE(out.find("20\t"), std::string::npos) << out;
  EXPECT_NE(out.find("unconscious patient"), std::string::npos) << out;
  ASSERT_EQ(list({"--patient", "p7"}, &out), 0) << out;
  EXPECT_EQ(lines(out), 1) << out;
  EXPECT_NE(out.find("\tPatient/p7\t"), std::string::npos) << out;
  ASSERT_EQ(list({"--actor", "doctor-1", "--limit", "3"}, &out), 0) << out;
  EXPECT_NE(out.find("more: add --before 13"), std::string::npos) << out;  // 19, 16, 13
  ASSERT_EQ(list({"--actor", "doctor-1", "--limit", "3", "--before", "13"}, &out), 0) << out;
  EXPECT_NE(out.find("\n10\t"), std::string::npos) << out;
  ASSERT_EQ(list({"--since", "2000-01-01", "--until", "2001-01-01"}, &out), 0) << out;
  EXPECT_EQ(lines(out), 0) << out;
  EXPECT_EQ(list({"--since", "last week"}, &out), 2) << out;
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
