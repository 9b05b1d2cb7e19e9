// The audit chain on SQLite and PostgreSQL: appends from many threads and from two database
// handles stay one linear chain; the tables reject UPDATE and DELETE; and each kind of
// tampering (changed, deleted, reordered record, cut-off tail) is found at the right seq.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
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
#include "security/internal/audit_journal.h"

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
    for (int i = 1; i <= n; ++i) ASSERT_TRUE(log.Append(Record(i)).ok());
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

  // A fresh directory for journals, removed with the fixture.
  std::string JournalDir() {
    if (journal_dir_.empty()) {
      std::string t = (std::filesystem::temp_directory_path() / "rhip-journal-XXXXXX").string();
      EXPECT_NE(mkdtemp(t.data()), nullptr);
      journal_dir_ = t + "/audit";
    }
    return journal_dir_;
  }
  void TearDown() override {
    if (!journal_dir_.empty()) {
      std::filesystem::remove_all(std::filesystem::path(journal_dir_).parent_path());
    }
  }
  std::vector<std::filesystem::path> JournalFiles() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(JournalDir())) files.push_back(e.path());
    return files;
  }
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    absl::Status s = db_->Read([&](db::Session& session) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows rows, session.Query(sql));
      n = rows[0].Int(0);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return n;
  }

  db::TestDatabases databases_;
  std::string journal_dir_;
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
          absl::StatusOr<uint64_t> ticket = log.Append(Record(t * 1000 + i));
          ASSERT_TRUE(ticket.ok()) << ticket.status();
          if (i % 10 == 0) {
            absl::Status s = log.WaitDurable(*ticket);
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
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(a.Record(Record(i), Durability::kCommit).ok());
    });
    std::thread tb([&] {
      for (int i = 0; i < 200; ++i) ASSERT_TRUE(b.Record(Record(-i), Durability::kCommit).ok());
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
  ASSERT_TRUE(log.Record(Record(1)).ok());  // no journal: waits for the commit
  // Without its head row the chain cannot grow: the next batch fails.
  Sql("DELETE FROM audit_chain_head");
  uint64_t ticket = *log.Append(Record(2));
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

// The journal's promise: a record Append accepted survives kill -9 of its process before the
// background writer committed it, and joins the chain exactly once when a log opens again —
// also when the same journal is found a second time (a crash after the commit and before the
// journal was deleted) and when its last frame is torn.
TEST_P(AuditTest, KilledProcessLosesNoJournaledRecord) {
  constexpr int kRecords = 200;
  const std::string dir = JournalDir();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: its own database handle and log; the writer would wait an hour for a batch.
    auto db = db::Database::Open({.target = target_});
    if (!db.ok()) _exit(2);
    AuditLog::Options o;
    o.journal_dir = dir;
    o.background_delay = std::chrono::hours(1);
    o.journal_sync_every = std::chrono::milliseconds(5);
    auto log = AuditLog::Open(db->get(), &clock_, o);
    if (!log.ok()) _exit(3);
    for (int i = 1; i <= kRecords; ++i) {
      if (!(*log)->Append(Record(i)).ok()) _exit(4);
    }
    if (write(ready[1], "x", 1) != 1) _exit(5);
    pause();
    _exit(6);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the child failed before appending everything";
  close(ready[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_event"), 0) << "the writer committed before the kill";

  std::vector<std::filesystem::path> journals = JournalFiles();
  ASSERT_EQ(journals.size(), 1u);
  std::string bytes;
  {
    std::ifstream in(journals[0], std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(internal::DecodeJournal(bytes).size(), static_cast<size_t>(kRecords));
  {
    // A torn last frame (the process died inside write()) is ignored.
    std::ofstream torn(journals[0], std::ios::binary | std::ios::app);
    torn << internal::EncodeJournalFrame("torn", Record(0)).substr(0, 20);
  }
  {
    auto log = AuditLog::Open(db_.get(), &clock_, {.journal_dir = dir});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->recovered(), kRecords);
  }
  EXPECT_TRUE(JournalFiles().empty());
  // The same journal again, as if the crash came after the commit but before its deletion.
  {
    std::ofstream again(std::filesystem::path(dir) / "journal-1-1-1.log", std::ios::binary);
    again << bytes;
  }
  {
    auto log = AuditLog::Open(db_.get(), &clock_, {.journal_dir = dir});
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_EQ((*log)->recovered(), 0);
  }
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, kRecords);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT patient) FROM audit_event"), kRecords);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT record_id) FROM audit_event"), kRecords);
}

// A journal whose process is alive is locked: another log on the same directory (a second
// process) leaves it alone, and its records reach the chain once, from their own log.
TEST_P(AuditTest, LivingLogsJournalIsNotRecoveredByAnother) {
  const std::string dir = JournalDir();
  {
    auto a = AuditLog::Open(db_.get(), &clock_,
                            {.background_delay = std::chrono::hours(1), .journal_dir = dir});
    ASSERT_TRUE(a.ok()) << a.status();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE((*a)->Append(Record(i)).ok());
    auto b = AuditLog::Open(db_.get(), &clock_, {.journal_dir = dir});
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ((*b)->recovered(), 0);
    EXPECT_EQ(JournalFiles().size(), 2u);
  }
  EXPECT_TRUE(JournalFiles().empty()) << "a log that wrote everything leaves no journal";
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_EQ(v.records, 20);
}

// Committed records leave the journal: the current one is truncated, retired ones deleted.
TEST_P(AuditTest, JournalIsEmptiedOnceRecordsAreInTheChain) {
  auto log = AuditLog::Open(db_.get(), &clock_,
                            {.journal_dir = JournalDir(), .journal_rotate_bytes = 2000});
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->Append(Record(i)).ok());
  EXPECT_GT(JournalFiles().size(), 1u) << "2000 bytes hold fewer than 50 records";
  ASSERT_TRUE((*log)->Flush().ok());
  std::vector<std::filesystem::path> files = JournalFiles();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(files[0]), 0u);
  EXPECT_EQ(Verify().records, 50);
  ASSERT_TRUE((*log)->Record(Record(51), Durability::kCommit).ok());
  EXPECT_EQ(Verify().records, 51);
}

// A full queue makes Append write a batch itself (memory stays bounded even when the
// background writer sleeps), and fail closed when the database refuses the batch.
TEST_P(AuditTest, FullQueueMakesAppendWriteOrFailClosed) {
  auto log = AuditLog::Open(db_.get(), &clock_,
                            {.max_batch = 8, .background_delay = std::chrono::hours(1),
                             .journal_dir = JournalDir(), .max_queued = 10});
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*log)->Append(Record(i)).ok()) << i;
  // At most max_queued wait in the queue and two batches of 8 are in flight (the caller's
  // and the background thread's, which wakes when a batch is full).
  EXPECT_GE(Verify().records, 100 - 10 - 2 * 8);
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_EQ(Verify().records, 100);
  Sql("DELETE FROM audit_chain_head");  // the chain cannot grow
  absl::Status failed;
  for (int i = 0; i < 100 && failed.ok(); ++i) failed = (*log)->Append(Record(i)).status();
  EXPECT_FALSE(failed.ok());
  Sql("INSERT INTO audit_chain_head (id, seq, hash) SELECT 1, seq, hash FROM audit_event "
      "WHERE seq = 100");
  absl::Status flushed;
  for (int i = 0; i < 5 && !(flushed = (*log)->Flush()).ok(); ++i) {
  }
  EXPECT_TRUE(flushed.ok()) << flushed;
  AuditVerification v = Verify();
  EXPECT_TRUE(v.intact) << v.problem;
  EXPECT_GT(v.records, 100);
}

TEST(AuditJournal, FramesRoundTripAndCorruptionEndsTheReadablePart) {
  AuditRecord r = Record(3);
  r.time = 42;
  r.reason = "急诊 emergency";
  std::string bytes = internal::EncodeJournalFrame("id-1", r) + internal::EncodeJournalFrame("id-2", Record(4));
  std::vector<internal::JournalEntry> entries = internal::DecodeJournal(bytes);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].record_id, "id-1");
  EXPECT_EQ(entries[0].record.time, 42);
  EXPECT_EQ(entries[0].record.reason, "急诊 emergency");
  EXPECT_EQ(entries[0].record.patient, r.patient);
  EXPECT_EQ(entries[1].record_id, "id-2");
  // A flipped byte in the second frame's payload: its CRC fails, the first frame stays.
  std::string corrupt = bytes;
  corrupt[corrupt.size() - 3] ^= 0x20;
  EXPECT_EQ(internal::DecodeJournal(corrupt).size(), 1u);
  EXPECT_EQ(internal::DecodeJournal(bytes.substr(0, bytes.size() - 1)).size(), 1u);
  EXPECT_EQ(internal::Crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
}

TEST(AuditJournal, FileSyncsLocksAndDeletes) {
  std::string dir = (std::filesystem::temp_directory_path() / "rhip-journal-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/journal-x.log";
  auto file = internal::JournalFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(internal::JournalFile::Create(path).ok()) << "exists";
  const std::string frame = internal::EncodeJournalFrame("id", Record(1));
  ASSERT_TRUE((*file)->Append(frame).ok());
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->Sync().ok());  // nothing new: no fdatasync
  // Held by a living owner: not an orphan.
  auto orphan = internal::JournalFile::OpenOrphan(path);
  ASSERT_TRUE(orphan.ok()) << orphan.status();
  EXPECT_EQ(*orphan, nullptr);
  file->reset();  // the owner is gone
  orphan = internal::JournalFile::OpenOrphan(path);
  ASSERT_TRUE(orphan.ok() && *orphan != nullptr);
  EXPECT_EQ(*(*orphan)->ReadAll(), frame);
  EXPECT_TRUE((*orphan)->Delete().ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditTest,
                         ::testing::Values(db::Engine::kSqlite, db::Engine::kPostgres),
                         [](const auto& info) {
                           return info.param == db::Engine::kSqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace rhip::security
