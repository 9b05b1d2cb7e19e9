// Audit trail throughput and latency, with the same run's baseline:
//   audit_benchmark [--db postgresql://...] [--threads N] [--seconds S]
// Prints (1) the cost of Append() (journal write + queueing) in a burst and the rate the
// writer drains it, (2) Append to the journal from 1 and N threads in a loop (what a request
// handler does with Durability::kJournal) while the writer commits behind them: p50/p99,
// (3) N threads each doing Append + WaitDurable (Durability::kCommit), and (4) the baseline:
// one plain durable Database::Write per record from 1 and N threads (no batching by the log).
// SQLite runs in a fresh temp directory; the journal always does (DIR/audit).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db/database.h"
#include "security/audit_log.h"

namespace {

using Clock = std::chrono::steady_clock;
using rhip::security::AuditLog;
using rhip::security::AuditRecord;

AuditRecord Sample(int i) {
  AuditRecord r;
  r.actor = "doctor-17";
  r.role = "doctor";
  r.org_unit = "Organization/330106001";
  r.client_address = "10.20.30.40";
  r.action = "read";
  r.patient = "Patient/p" + std::to_string(i);
  r.resources = "Patient/p" + std::to_string(i);
  r.outcome = "200";
  return r;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// N threads run op(thread, i) until the deadline; returns (ops/s, per-op latencies in µs).
template <typename Op>
std::pair<double, std::vector<double>> RunThreads(int threads, double seconds, Op op) {
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<int64_t> done = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; Clock::now() < deadline; ++i) {
        auto t0 = Clock::now();
        op(t, i);
        latencies[t].push_back(Seconds(Clock::now() - t0) * 1e6);
        ++done;
      }
    });
  }
  for (std::thread& th : pool) th.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  return {done / Seconds(Clock::now() - start), all};
}

}  // namespace

int main(int argc, char** argv) {
  std::string target;
  int threads = 16;
  double seconds = 3;
  int burst = 50000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--db") target = argv[i + 1];
    if (flag == "--threads") threads = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--burst") burst = std::atoi(argv[i + 1]);
  }
  std::string temp = (std::filesystem::temp_directory_path() / "rhip-audit-bench-XXXXXX").string();
  if (mkdtemp(temp.data()) == nullptr) return 1;
  if (target.empty()) target = temp + "/data";
  auto db = rhip::db::Database::Open({.target = target});
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str());
    return 1;
  }
  {
    auto opened = AuditLog::Open(db->get(), &rhip::Clock::Real(), {.journal_dir = temp + "/audit"});
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", std::string(opened.status().message()).c_str());
      return 1;
    }
    AuditLog& log = **opened;
    // (1) A burst: what Append() costs the caller, and how fast the writer drains it.
    const int kBurst = burst;
    std::vector<double> append_us;
    append_us.reserve(kBurst);
    const auto start = Clock::now();
    for (int i = 0; i < kBurst; ++i) {
      AuditRecord r = Sample(i);
      auto t0 = Clock::now();
      if (!log.Append(std::move(r)).ok()) std::abort();
      append_us.push_back(Seconds(Clock::now() - t0) * 1e6);
    }
    const double append_s = Seconds(Clock::now() - start);
    if (!log.Flush().ok()) return 1;
    const double total_s = Seconds(Clock::now() - start);
    std::printf("burst of %d: Append() p50 %.2f us p99 %.2f us (%.0f appends/s); "
                "all durable after %.2f s = %.0f records/s\n",
                kBurst, Percentile(append_us, 0.5), Percentile(append_us, 0.99),
                kBurst / append_s, total_s, kBurst / total_s);

    // (2) Handlers with Durability::kJournal: Append only; the writer commits behind them.
    for (int n : {1, threads}) {
      auto [rate, lat] = RunThreads(n, seconds, [&](int t, int i) {
        if (!log.Append(Sample(t * 1000000 + i)).ok()) std::abort();
      });
      const auto drain_start = Clock::now();
      if (!log.Flush().ok()) return 1;
      std::printf("%d threads Append to the journal: %.0f records/s, latency p50 %.1f us "
                  "p99 %.1f us; the rest reached the chain %.2f s later\n",
                  n, rate, Percentile(lat, 0.5), Percentile(lat, 0.99),
                  Seconds(Clock::now() - drain_start));
    }

    // (3) Handlers with Durability::kCommit: Append + WaitDurable.
    auto [rate, waits] = RunThreads(threads, seconds, [&](int t, int i) {
      if (!log.Record(Sample(t * 1000000 + i), rhip::security::Durability::kCommit).ok()) {
        std::abort();
      }
    });
    std::printf("%d threads Append+WaitDurable: %.0f durable records/s, latency p50 %.0f us "
                "p99 %.0f us\n",
                threads, rate, Percentile(waits, 0.5), Percentile(waits, 0.99));
  }
  // (4) Baseline: a plain durable write per record (no log batching).
  if (!(*db)->Write([](rhip::db::Session& s) {
              return s.Execute("CREATE TABLE bench_plain (a TEXT, b TEXT)").status();
            }).ok()) {
    return 1;
  }
  for (int n : {1, threads}) {
    auto [rate, waits] = RunThreads(n, seconds, [&](int, int i) {
      if (!(*db)->Write([&](rhip::db::Session& s) {
                return s.Execute("INSERT INTO bench_plain (a, b) VALUES (:a, :b)",
                                 {{"a", std::string("doctor-17")}, {"b", std::to_string(i)}})
                    .status();
              }).ok()) {
        std::abort();
      }
    });
    std::printf("baseline, %d threads one Database::Write per row: %.0f rows/s, latency p50 %.0f "
                "us p99 %.0f us\n",
                n, rate, Percentile(waits, 0.5), Percentile(waits, 0.99));
  }
  db->reset();
  std::filesystem::remove_all(temp);
  return 0;
}
