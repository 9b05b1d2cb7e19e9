// `rhip import` against the real binary: a Synthea bundle with urn:uuid references, bad lines
// in the report, a malformed file, and resume after SIGKILL. Runs on SQLite and PostgreSQL;
// counts are read from the database directly.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "tests/integration/bulk_test_util.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

class ImportCliTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    data_ = temp_.path() + "/data";
    db_url_ = FreshDatabaseUrl(GetParam());
    if (GetParam() == Engine::kPostgres && db_url_.empty()) GTEST_SKIP() << "no PostgreSQL";
  }

  std::vector<std::string> Args(std::vector<std::string> inputs) {
    std::vector<std::string> args = {"import"};
    args.insert(args.end(), inputs.begin(), inputs.end());
    args.insert(args.end(), {"--data", data_, "--report", report()});
    if (!db_url_.empty()) args.insert(args.end(), {"--db", db_url_});
    return args;
  }

  std::string report() const { return temp_.path() + "/report.ndjson"; }

  // Resources imported: the golden-record Persons the patient index adds and the built-in
  // terminology are not counted.
  int64_t Count(const std::string& where = "") {
    db::Options o;
    o.target = db_url_.empty() ? data_ : db_url_;
    auto db = db::Database::Open(o);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return -1;
    int64_t n = -1;
    EXPECT_TRUE((*db)->Read([&](db::Session& s) -> absl::Status {
                  // Not the terminology every store is created with (terminology/install.h).
                  auto rows = s.Query("SELECT count(*) FROM resource r JOIN resource_version v ON "
                                      "v.rk = r.rk AND v.version = r.version WHERE r.deleted = 0 "
                                      "AND r.type NOT IN ('CodeSystem', 'ValueSet', 'Person')" + where);
                  if (!rows.ok()) return rows.status();
                  n = (*rows)[0].Int(0);
                  return absl::OkStatus();
                }).ok());
    return n;
  }

  TempDir temp_;
  std::string data_;
  std::string db_url_;
};

TEST_P(ImportCliTest, SyntheaBundleWithUuidReferences) {
  // One Synthea transaction bundle: every entry has an id and urn:uuid references.
  std::string archive = SharedDataDir() + "/synthea-r4-dev.tar.xz";
  std::string member = "smart-on-fhir-r4/dev/Geoffrey_Abbott_73a7d6b7-0310-4fff-9b0b-7891a5e390f5.json";
  std::string cmd = "tar -xJf '" + archive + "' -C '" + temp_.path() + "' '" + member + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::string path = temp_.path() + "/" + member;
  auto bundle = json::Parse(ReadText(path));
  ASSERT_TRUE(bundle.ok());
  std::set<std::string> keys;
  for (const json::Value& e : bundle->Find("entry")->as_array()) {
    const json::Value& r = *e.Find("resource");
    keys.insert(*r.FindString("resourceType") + "/" + *r.FindString("id"));
  }
  std::string out;
  ASSERT_EQ(RunRhip(Args({path}), &out), 0) << out;
  EXPECT_EQ(Count(), static_cast<int64_t>(keys.size()));
  EXPECT_EQ(Count(" AND v.body LIKE '%urn:uuid:%'"), 0) << "references were rewritten to Type/id";
  // A second run finds the file done and writes nothing.
  ASSERT_EQ(RunRhip(Args({path}), &out), 0) << out;
  EXPECT_NE(out.find("0 resources imported"), std::string::npos) << out;
}

TEST_P(ImportCliTest, BadLinesAreReportedAndTheRestImportedOnce) {
  std::string path = temp_.path() + "/in.ndjson";
  std::ofstream(path) << R"({"resourceType":"Patient","id":"a"})" << "\n"
                      << R"({"resourceType":"Patient","id":"b"})" << "\n"
                      << "{broken\n"
                      << R"({"resourceType":"Patient","id":"c","gender":42})" << "\n"
                      << R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})" << "\n";
  std::string out;
  EXPECT_EQ(RunRhip(Args({path}), &out), 3) << out;
  EXPECT_EQ(Count(), 3);  // a, b and the Observation (created with a server id)
  std::vector<std::string> lines = Lines(ReadText(report()));
  ASSERT_EQ(lines.size(), 2u) << ReadText(report());
  auto first = json::Parse(lines[0]);
  ASSERT_TRUE(first.ok());
  std::set<int64_t> bad;
  for (const std::string& l : lines) bad.insert(*json::Parse(l)->Find("line")->AsInt64());
  EXPECT_EQ(bad, (std::set<int64_t>{3, 4}));
  EXPECT_EQ(*first->Find("outcome")->FindString("resourceType"), "OperationOutcome");
  // Re-running imports nothing twice and reports nothing twice.
  EXPECT_EQ(RunRhip(Args({path}), &out), 0) << out;
  EXPECT_EQ(Count(), 3);
  EXPECT_EQ(Lines(ReadText(report())).size(), 2u);
}

TEST_P(ImportCliTest, MalformedFileIsReportedAndTheOtherFilesGoOn) {
  std::string broken = temp_.path() + "/a-broken.json";
  std::ofstream(broken) << R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"x1"}},{"resource":{"resou)";
  std::string good = temp_.path() + "/b-good.ndjson";
  std::ofstream(good) << R"({"resourceType":"Patient","id":"g1"})" << "\n";
  std::string out;
  EXPECT_EQ(RunRhip(Args({broken, good}), &out), 3) << out;
  EXPECT_EQ(Count(), 2);  // x1 (before the fault) and g1
  std::string report_text = ReadText(report());
  EXPECT_NE(report_text.find("a-broken.json"), std::string::npos) << report_text;
  EXPECT_NE(report_text.find("unexpected end of file"), std::string::npos) << report_text;
}

TEST_P(ImportCliTest, ResumesAfterBeingKilled) {
  constexpr int kPatients = 60000;
  std::string path = temp_.path() + "/many.ndjson";
  {
    std::ofstream f(path);
    for (int i = 0; i < kPatients; ++i) {
      f << R"({"resourceType":"Patient","id":"k)" << i
        << R"(","gender":"male","name":[{"family":"Test","given":["Resume"]}]})" << "\n";
    }
  }
  std::vector<std::string> args = Args({path});
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = RhipBinary();
    argv.push_back(bin.data());
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stderr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  // Kill it once some batches are committed but not all.
  std::string progress = report() + ".progress";
  bool killed = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = ReadText(progress);
    if (text.find("\"done\": false") != std::string::npos && text.find("\"number\": 0,") == std::string::npos) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (text.find("\"done\": true") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "the import finished before it could be interrupted";
  int64_t partial = Count();
  EXPECT_GT(partial, 0);
  EXPECT_LT(partial, kPatients);
  std::string out;
  ASSERT_EQ(RunRhip(Args({path}), &out), 0) << out;
  EXPECT_EQ(Count(), kPatients);
  EXPECT_EQ(out.find(std::to_string(kPatients) + " resources imported"), std::string::npos)
      << "the second run resumed instead of starting over: " << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, ImportCliTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
