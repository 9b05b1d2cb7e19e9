// QueryAudit and ReadAudit on SQLite and PostgreSQL: each filter, their combination, and
// keyset paging that returns every match once, newest first.
#include "security/audit_query.h"

#include <memory>
#include <string>
#include <vector>

#include "db/testing/test_databases.h"
#include "gtest/gtest.h"
#include "security/audit_log.h"

namespace rhip::security {
namespace {

class StepClock : public Clock {
 public:
  Micros Now() const override { return 0; }
};

constexpr Micros kStart = 1'700'000'000'000'000;
constexpr Micros kMinute = 60'000'000;

// Record i (1-based) at kStart + i minutes; patients p0..p2, actors a0..a1, every fifth a
// break-the-glass read, every seventh refused.
AuditRecord Make(int i) {
  AuditRecord r;
  r.time = kStart + i * kMinute;
  r.actor = "a" + std::to_string(i % 2);
  r.role = "doctor";
  r.org_unit = "Organization/t1";
  r.client_address = "10.0.0.1";
  r.action = i % 5 == 0 ? kAuditBreakGlass : (i % 2 ? kAuditRead : kAuditSearch);
  r.patient = "Patient/p" + std::to_string(i % 3);
  r.resources = r.patient;
  r.outcome = i % 7 == 0 ? "403" : (i == 13 ? "500" : "200");
  r.reason = i % 5 == 0 ? "emergency" : "";
  return r;
}

class AuditQueryTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> target = databases_.NewTarget(GetParam());
    ASSERT_TRUE(target.ok()) << target.status();
    auto db = db::Database::Open({.target = *target});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    AuditLog log(db_.get(), &clock_);
    for (int i = 1; i <= kRecords; ++i) ASSERT_TRUE(log.Append(Make(i)).ok());
    ASSERT_TRUE(log.Flush().ok());
  }

  // The seqs (= i, appended in order) a query returns, following every page.
  std::vector<int64_t> All(AuditQuery q) {
    std::vector<int64_t> seqs;
    for (int pages = 0; pages < 100; ++pages) {
      absl::StatusOr<AuditPage> page = QueryAudit(*db_, q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const AuditEntry& e : page->entries) seqs.push_back(e.seq);
      if (page->next_before_seq == 0) break;
      q.before_seq = page->next_before_seq;
    }
    return seqs;
  }

  // The seqs from kRecords down to 1 for which pred holds.
  template <typename Pred>
  static std::vector<int64_t> Expected(Pred pred) {
    std::vector<int64_t> seqs;
    for (int i = kRecords; i >= 1; --i) {
      if (pred(i)) seqs.push_back(i);
    }
    return seqs;
  }

  static constexpr int kRecords = 40;
  db::TestDatabases databases_;
  StepClock clock_;
  std::unique_ptr<db::Database> db_;
};

TEST_P(AuditQueryTest, EachFilterSelectsItsRecordsNewestFirst) {
  EXPECT_EQ(All({.limit = 7}), Expected([](int) { return true; }));
  EXPECT_EQ(All({.patient = "Patient/p1", .limit = 3}), Expected([](int i) { return i % 3 == 1; }));
  EXPECT_EQ(All({.actor = "a0"}), Expected([](int i) { return i % 2 == 0; }));
  EXPECT_EQ(All({.actions = {kAuditBreakGlass}}), Expected([](int i) { return i % 5 == 0; }));
  EXPECT_EQ(All({.actions = {kAuditBreakGlass, kAuditSearch}}),
            Expected([](int i) { return i % 5 == 0 || i % 2 == 0; }));
  EXPECT_EQ(All({.since = kStart + 10 * kMinute, .until = kStart + 20 * kMinute}),
            Expected([](int i) { return i >= 10 && i < 20; }));
  EXPECT_EQ(All({.outcome = "403"}), Expected([](int i) { return i % 7 == 0; }));
  EXPECT_EQ(All({.outcome_class = AuditOutcomeClass::kMinorFailure}),
            Expected([](int i) { return i % 7 == 0; }));
  EXPECT_EQ(All({.outcome_class = AuditOutcomeClass::kSeriousFailure}), std::vector<int64_t>{13});
  EXPECT_EQ(All({.outcome_class = AuditOutcomeClass::kSuccess, .limit = 4}),
            Expected([](int i) { return i % 7 != 0 && i != 13; }));
  EXPECT_EQ(All({.actor = "a1", .patient = "Patient/p0", .actions = {kAuditRead}}),
            Expected([](int i) { return i % 2 == 1 && i % 3 == 0 && i % 5 != 0; }));
}

TEST_P(AuditQueryTest, PagesAreStableWhileRecordsAreAppended) {
  absl::StatusOr<AuditPage> first = QueryAudit(*db_, {.limit = 10});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->entries.size(), 10u);
  EXPECT_EQ(first->entries.front().seq, kRecords);
  EXPECT_EQ(first->next_before_seq, kRecords - 9);
  {
    AuditLog log(db_.get(), &clock_);
    ASSERT_TRUE(log.Record(Make(99), Durability::kCommit).ok());
  }
  absl::StatusOr<AuditPage> second =
      QueryAudit(*db_, {.before_seq = first->next_before_seq, .limit = 10});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->entries.front().seq, kRecords - 10);
}

TEST_P(AuditQueryTest, ReadsOneRecordWithItsHash) {
  absl::StatusOr<std::optional<AuditEntry>> e = ReadAudit(*db_, 5);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->record.action, kAuditBreakGlass);
  EXPECT_EQ((*e)->record.reason, "emergency");
  EXPECT_EQ((*e)->hash.size(), 64u);
  absl::StatusOr<std::optional<AuditEntry>> none = ReadAudit(*db_, 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(QueryAudit(*db_, {.limit = 0}).ok());
  EXPECT_FALSE(QueryAudit(*db_, {.limit = kMaxAuditQueryLimit + 1}).ok());
}

TEST(AuditOutcome, Classes) {
  EXPECT_EQ(ClassifyAuditOutcome("200"), AuditOutcomeClass::kSuccess);
  EXPECT_EQ(ClassifyAuditOutcome("ok"), AuditOutcomeClass::kSuccess);
  EXPECT_EQ(ClassifyAuditOutcome("404"), AuditOutcomeClass::kMinorFailure);
  EXPECT_EQ(ClassifyAuditOutcome("denied"), AuditOutcomeClass::kMinorFailure);
  EXPECT_EQ(ClassifyAuditOutcome("503"), AuditOutcomeClass::kSeriousFailure);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditQueryTest,
                         ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const auto& info) {
                           return info.param == db::Engine::kSqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace rhip::security
