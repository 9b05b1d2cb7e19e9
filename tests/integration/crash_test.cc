// Durability under kill -9: while several clients write (creates, updates, transactions),
// the server is killed. After a restart every acknowledged write must be there byte for
// byte, no transaction may be partly visible, and SQLite's integrity check must pass.
// Likewise every read that was answered must have its audit record after the restart.
#include <atomic>
#include <iostream>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "tests/support/http_client.h"
#include "tests/support/rhip_process.h"

namespace rhip::testing {
namespace {

constexpr int kRounds = 20;
constexpr int kWriters = 4;

struct AckedVersion {
  std::string type_id;  // Patient/abc
  std::string version;
  std::string body;
};

struct Ledger {
  std::mutex mu;
  std::vector<AckedVersion> acked;
  std::vector<std::string> attempted_groups;  // transaction keys sent
  std::vector<std::string> acked_groups;
};

std::string IdOf(const std::string& body) {
  auto v = json::Parse(body);
  if (!v.ok() || v->FindString("id") == nullptr) return "";
  return *v->FindString("id");
}

void Writer(uint16_t port, const std::string& token, int round, int writer,
            std::atomic<bool>* stop, Ledger* ledger) {
  HttpClient c("127.0.0.1", port);
  c.SetDefaultHeader("Authorization", "Bearer " + token);
  std::mt19937 rng(round * 100 + writer);
  std::vector<std::pair<std::string, std::string>> mine;  // id, last body
  for (int n = 0; !stop->load(); ++n) {
    int op = rng() % 3;
    if (op == 0 || mine.empty()) {
      std::string body = R"({"resourceType":"Patient","active":true,"name":[{"text":"r)" +
                         std::to_string(round) + "w" + std::to_string(writer) + "n" +
                         std::to_string(n) + R"("}]})";
      HttpResult r = c.Send("POST", "/fhir/Patient", body);
      if (r.status == 0) return;  // server gone
      if (r.status != 201) continue;
      std::string id = IdOf(r.body);
      std::lock_guard<std::mutex> lock(ledger->mu);
      ledger->acked.push_back({"Patient/" + id, "1", r.body});
      mine.emplace_back(id, r.body);
    } else if (op == 1) {
      auto& [id, last] = mine[rng() % mine.size()];
      auto v = json::Parse(last);
      v->as_object().Set("gender", n % 2 ? "male" : "female");
      v->as_object().Erase("meta");
      HttpResult r = c.Send("PUT", "/fhir/Patient/" + id, json::Serialize(*v));
      if (r.status == 0) return;
      if (r.status != 200) continue;
      auto stored = json::Parse(r.body);
      std::lock_guard<std::mutex> lock(ledger->mu);
      ledger->acked.push_back(
          {"Patient/" + id, *stored->Find("meta")->FindString("versionId"), r.body});
      last = r.body;
    } else {
      std::string key = "r" + std::to_string(round) + "w" + std::to_string(writer) + "n" +
                        std::to_string(n);
      std::string entries;
      for (int k = 0; k < 3; ++k) {
        if (k) entries += ",";
        entries += R"({"resource":{"resourceType":"Patient","identifier":[{"system":"urn:crash","value":")" +
                   key + "-" + std::to_string(k) +
                   R"("}]},"request":{"method":"POST","url":"Patient"}})";
      }
      {
        std::lock_guard<std::mutex> lock(ledger->mu);
        ledger->attempted_groups.push_back(key);
      }
      HttpResult r = c.Send(
          "POST", "/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}");
      if (r.status == 0) return;
      if (r.status != 200) continue;
      std::lock_guard<std::mutex> lock(ledger->mu);
      ledger->acked_groups.push_back(key);
    }
  }
}

TEST(CrashTest, AcknowledgedWritesSurviveKillNine) {
  TempDir temp;
  std::string data = temp.path() + "/data";
  Ledger ledger;
  std::mt19937 rng(42);
  size_t verified = 0;
  for (int round = 0; round < kRounds; ++round) {
    RhipProcess server(data);
    ASSERT_TRUE(server.Start()) << "round " << round << " log " << server.log_path();
    // One token per round, fetched before the clock starts: getting it costs an argon2id check,
    // and the writers should spend the short window before the kill writing.
    HttpClient auth("127.0.0.1", server.port());
    const std::string token = FetchTestToken(auth);
    ASSERT_FALSE(token.empty());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back(Writer, server.port(), std::cref(token), round, w, &stop, &ledger);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 250));
    server.Kill();
    stop = true;
    for (auto& t : writers) t.join();

    RhipProcess again(data);
    ASSERT_TRUE(again.Start()) << "restart after round " << round;
    HttpClient c("127.0.0.1", again.port());
    EXPECT_TRUE(AuthorizeTestClient(c));
    for (; verified < ledger.acked.size(); ++verified) {
      const AckedVersion& a = ledger.acked[verified];
      HttpResult r = c.Get("/fhir/" + a.type_id + "/_history/" + a.version);
      ASSERT_EQ(r.status, 200) << "acknowledged " << a.type_id << " v" << a.version << " lost";
      EXPECT_EQ(r.body, a.body);
    }
    for (const std::string& key : ledger.attempted_groups) {
      HttpResult r = c.Get("/fhir/Patient?identifier=urn:crash|" + key + "-0,urn:crash|" + key +
                           "-1,urn:crash|" + key + "-2");
      ASSERT_EQ(r.status, 200);
      int64_t total = *json::Parse(r.body)->Find("total")->AsInt64();
      EXPECT_TRUE(total == 0 || total == 3) << "transaction " << key << " partly visible: " << total;
    }
    for (const std::string& key : ledger.acked_groups) {
      HttpResult r = c.Get("/fhir/Patient?identifier=urn:crash|" + key + "-0");
      EXPECT_EQ(*json::Parse(r.body)->Find("total")->AsInt64(), 1) << "acknowledged " << key << " lost";
    }
    ledger.attempted_groups.clear();
    ledger.acked_groups.clear();
    ASSERT_EQ(again.Stop(), 0);

    db::Options options;
    options.target = data;
    auto db = db::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_TRUE((*db)->CheckIntegrity().ok());
  }
  std::cout << kRounds << " kill -9 rounds: " << verified
            << " acknowledged writes verified intact after restart\n";
  EXPECT_GT(verified, 50u) << "the writers acknowledged too little to prove anything";
}

// Every answered read has its audit record, however the server dies: the record is in the
// journal before the response leaves, and the next start moves it into the chain.
TEST(CrashTest, AnsweredReadsKeepTheirAuditRecordsThroughKillNine) {
  constexpr int kAuditRounds = 5;
  TempDir temp;
  std::string data = temp.path() + "/data";
  std::atomic<int64_t> answered{0};
  std::string patient;
  std::mt19937 rng(7);
  for (int round = 0; round < kAuditRounds; ++round) {
    RhipProcess server(data);
    ASSERT_TRUE(server.Start()) << "round " << round << " log " << server.log_path();
    HttpClient auth("127.0.0.1", server.port());
    const std::string token = FetchTestToken(auth);
    ASSERT_FALSE(token.empty());
    if (patient.empty()) {
      auth.SetDefaultHeader("Authorization", "Bearer " + token);
      HttpResult created = auth.Send("POST", "/fhir/Patient", R"({"resourceType":"Patient"})");
      ASSERT_EQ(created.status, 201);
      patient = IdOf(created.body);
      answered += 1;  // the create is audited too (as a create; counted below with the reads)
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < kWriters; ++r) {
      readers.emplace_back([&] {
        HttpClient c("127.0.0.1", server.port());
        c.SetDefaultHeader("Authorization", "Bearer " + token);
        while (!stop.load()) {
          HttpResult got = c.Get("/fhir/Patient/" + patient);
          if (got.status == 0) return;  // server gone
          if (got.status == 200) ++answered;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 250));
    server.Kill();
    stop = true;
    for (auto& t : readers) t.join();
  }
  // The next start replays the journals of the killed processes into the chain.
  RhipProcess again(data);
  ASSERT_TRUE(again.Start());
  ASSERT_EQ(again.Stop(), 0);
  auto db = db::Database::Open({.target = data});
  ASSERT_TRUE(db.ok()) << db.status();
  int64_t recorded = 0;
  ASSERT_TRUE((*db)
                  ->Read([&](db::Session& s) -> absl::Status {
                    auto rows = s.Query(
                        "SELECT COUNT(*) FROM audit_event WHERE actor = :a AND "
                        "(action = 'read' OR action = 'create') AND outcome LIKE '2%'",
                        {{"a", std::string(kTestClientId)}});
                    if (!rows.ok()) return rows.status();
                    recorded = (*rows)[0].Int(0);
                    return absl::OkStatus();
                  })
                  .ok());
  std::cout << kAuditRounds << " kill -9 rounds: " << answered.load() << " answered requests, "
            << recorded << " audit records\n";
  EXPECT_GT(answered.load(), 100) << "too few reads to prove anything";
  // At least one record per answered request; a request whose response was lost in the kill
  // may have a record without an answer.
  EXPECT_GE(recorded, answered.load());
  std::string out;
  EXPECT_EQ(RunRhip({"audit", "verify", "--data", data}, &out), 0) << out;
}

}  // namespace
}  // namespace rhip::testing
