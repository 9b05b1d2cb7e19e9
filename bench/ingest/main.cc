// bench_ingest: FHIR ingest, small durable transactions and read-by-id against a running
// `rhip serve`, each figure printed next to its target and a baseline measured in the same run.
// bench/run_ingest.sh builds, starts a fresh server, runs this and stops the server.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "bench/ingest/load.h"
#include "bench/ingest/raw_sqlite.h"
#include "bench/ingest/synthea.h"
#include "bench/ingest/wrk.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::bench {
namespace {

// The targets on this 2-core machine.
constexpr double kIngestTarget = 20000;        // resources/s
constexpr double kIngestRatioTarget = 0.60;    // of the raw SQLite insert rate
constexpr double kReadTarget = 40000;          // requests/s
constexpr double kSmallTxTarget = 5000;        // transactions/s
constexpr double kRawSmallTxSeconds = 3;

struct Config {
  std::string server = "127.0.0.1:8080";
  std::string synthea_dir;
  std::string work_dir;
  int clients = 4;
  double tx_seconds = 10;
  int wrk_seconds = 10;
  int wrk_threads = 2;
  int wrk_connections = 32;
  int patients = 1000;
  size_t max_bundles = 0;  // 0: all
};

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrFormat("%s %s %s", one, five, fifteen);
}

const char* Verdict(bool met) { return met ? "MET" : "SHORT"; }

void PrintFailures(const std::vector<Failure>& failures, size_t total) {
  for (const Failure& f : failures) {
    std::printf("      %s: HTTP %d: %s\n", f.what.c_str(), f.status, f.outcome.c_str());
  }
  if (total > failures.size()) std::printf("      ... %zu more\n", total - failures.size());
}

absl::StatusOr<Server> ParseServer(const std::string& s) {
  size_t colon = s.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(ToAbsl(s).substr(colon + 1), &port) ||
      port == 0 || port > 65535) {
    return absl::InvalidArgumentError("--server must be HOST:PORT");
  }
  return Server{s.substr(0, colon), static_cast<uint16_t>(port)};
}

// Raw SQLite inserts of the bundles' rows, one commit per bundle.
absl::StatusOr<double> RawIngestRate(const std::string& dir,
                                     const std::vector<RawTransaction>& txs, size_t resources) {
  ASSIGN_OR_RETURN(auto store, RawStore::Create(dir));
  const auto start = SteadyClock::now();
  for (const RawTransaction& tx : txs) RETURN_IF_ERROR(store->Commit(tx));
  return resources / SecondsSince(start);
}

// Raw SQLite small transactions, one commit (one fsync) each, for `seconds`.
absl::StatusOr<double> RawSmallTxRate(const std::string& dir, double seconds) {
  ASSIGN_OR_RETURN(auto store, RawStore::Create(dir));
  const auto start = SteadyClock::now();
  size_t n = 0;
  for (; SecondsSince(start) < seconds; ++n) {
    RETURN_IF_ERROR(store->Commit(RawTransactionOf(SmallTransactionBundle())));
  }
  return n / SecondsSince(start);
}

absl::Status Run(const Config& c) {
  ASSIGN_OR_RETURN(Server server, ParseServer(c.server));
  std::filesystem::create_directories(c.work_dir);
  std::printf("rhip bench_ingest: server %s, %d clients, load average at start %s\n",
              c.server.c_str(), c.clients, LoadAverage().c_str());

  // --- Ingest: Synthea bundles over HTTP vs raw SQLite inserts of the same rows.
  const auto load_start = SteadyClock::now();
  ASSIGN_OR_RETURN(std::vector<Bundle> bundles, LoadBundles(c.synthea_dir));
  if (c.max_bundles > 0 && bundles.size() > c.max_bundles) bundles.resize(c.max_bundles);
  size_t resources = 0, bytes = 0;
  std::vector<RawTransaction> raw;
  for (const Bundle& b : bundles) {
    resources += b.resources;
    bytes += b.text.size();
    raw.push_back(RawTransactionOf(b.doc));
  }
  std::printf("loaded %zu bundles, %zu resources, %.1f MB in %.1f s\n", bundles.size(),
              resources, bytes / 1e6, SecondsSince(load_start));

  ASSIGN_OR_RETURN(double raw_rate,
                   RawIngestRate(c.work_dir + "/raw-ingest", raw, resources));
  raw.clear();
  IngestResult ingest = Ingest(server, bundles, c.clients);
  const double ingest_rate = ingest.resources / ingest.seconds;
  const double ratio = ingest_rate / raw_rate;

  // --- Small durable transactions.
  RateResult small = SmallTransactions(server, c.clients, c.tx_seconds);
  const double small_rate = small.ok / small.seconds;
  ASSIGN_OR_RETURN(double raw_small_rate,
                   RawSmallTxRate(c.work_dir + "/raw-small", kRawSmallTxSeconds));

  // --- Read by id with wrk (wrk and the server share the machine's cores).
  ASSIGN_OR_RETURN(std::vector<std::string> ids, CreatePatients(server, c.patients));
  const std::string ids_file = c.work_dir + "/patient-ids.txt";
  {
    std::ofstream out(ids_file);
    for (const std::string& id : ids) out << id << "\n";
  }
  WrkOptions wrk{.url = absl::StrFormat("http://%s", c.server),
                 .script_args = {"path", "/healthz"},
                 .threads = c.wrk_threads,
                 .connections = c.wrk_connections,
                 .seconds = std::max(1, c.wrk_seconds / 2)};
  ASSIGN_OR_RETURN(WrkResult healthz, RunWrk(wrk));
  wrk.script_args = {"ids", ids_file};
  wrk.seconds = c.wrk_seconds;
  ASSIGN_OR_RETURN(WrkResult reads, RunWrk(wrk));

  // --- Report.
  std::printf("\n== ingest: %zu bundles (%zu batch first, then %d parallel clients)\n",
              ingest.bundles, static_cast<size_t>(std::count_if(
                  bundles.begin(), bundles.end(), [](const Bundle& b) { return b.type == "batch"; })),
              c.clients);
  std::printf("   rhip over HTTP      %9.0f resources/s  (%zu stored in %.1f s; batch bundles %.1f s)"
              "   target >= %.0f: %s\n",
              ingest_rate, ingest.resources, ingest.seconds, ingest.batch_seconds, kIngestTarget,
              Verdict(ingest_rate >= kIngestTarget));
  std::printf("   raw SQLite baseline %9.0f resources/s  (same rows, schema, pragmas; one commit per bundle)\n",
              raw_rate);
  std::printf("   ratio               %9.0f %%            target >= %.0f %%: %s\n", ratio * 100,
              kIngestRatioTarget * 100, Verdict(ratio >= kIngestRatioTarget));
  if (!ingest.failures.empty()) {
    std::printf("   FLAG: %zu refused (%zu resources, %.2f %% of all): failure rate > 0\n",
                ingest.failures.size(), ingest.failed_resources,
                100.0 * ingest.failed_resources / resources);
    PrintFailures(ingest.failures, ingest.failures.size());
  } else {
    std::printf("   failures            none\n");
  }

  std::printf("\n== small durable transactions (1 Patient + 1 Observation by urn:uuid), %d clients, %.0f s\n",
              c.clients, small.seconds);
  std::printf("   rhip over HTTP      %9.0f tx/s  (p50 %.2f ms, p99 %.2f ms)   target >= %.0f: %s\n",
              small_rate, small.latency.p50_ms, small.latency.p99_ms, kSmallTxTarget,
              Verdict(small_rate >= kSmallTxTarget));
  std::printf("   raw SQLite baseline %9.0f tx/s  (same rows, one commit = one fsync each, 1 thread, %.0f s)\n",
              raw_small_rate, kRawSmallTxSeconds);
  if (small.failed > 0) {
    std::printf("   FLAG: %zu transactions failed\n", small.failed);
    PrintFailures(small.failures, small.failed);
  }

  std::printf("\n== read by id: GET /fhir/Patient/{random of %zu ids}, wrk -t%d -c%d, keep-alive\n",
              ids.size(), c.wrk_threads, c.wrk_connections);
  std::printf("   (wrk and rhip share this machine's cores: wrk's CPU is taken from the server)\n");
  std::printf("   rhip read by id     %9.0f req/s  (p50 %.2f ms, p99 %.2f ms, %lld non-2xx, %lld socket errors)"
              "   target >= %.0f: %s\n",
              reads.RequestsPerSecond(), reads.p50_ms, reads.p99_ms,
              static_cast<long long>(reads.non2xx), static_cast<long long>(reads.socket_errors),
              kReadTarget, Verdict(reads.RequestsPerSecond() >= kReadTarget));
  std::printf("   GET /healthz        %9.0f req/s  (p50 %.2f ms, p99 %.2f ms): the HTTP stack alone, same server\n",
              healthz.RequestsPerSecond(), healthz.p50_ms, healthz.p99_ms);
  std::printf("\nload average at end %s\n", LoadAverage().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace rhip::bench

int main(int argc, char** argv) {
  rhip::bench::Config c;
  CLI::App app{"Ingest, small-transaction and read-by-id benchmark for a running rhip serve"};
  app.add_option("--server", c.server, "rhip serve address HOST:PORT")->capture_default_str();
  app.add_option("--synthea", c.synthea_dir, "Directory with the extracted Synthea bundles")
      ->required();
  app.add_option("--work-dir", c.work_dir, "Scratch directory (raw SQLite baselines, id list)")
      ->required();
  app.add_option("--clients", c.clients, "Parallel keep-alive HTTP clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--tx-seconds", c.tx_seconds, "Duration of the small-transaction run")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--wrk-seconds", c.wrk_seconds, "Duration of the read-by-id run")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  app.add_option("--wrk-threads", c.wrk_threads, "wrk -t")->capture_default_str();
  app.add_option("--wrk-connections", c.wrk_connections, "wrk -c")->capture_default_str();
  app.add_option("--patients", c.patients, "Patients created for the read-by-id run")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-bundles", c.max_bundles, "Post only the first N bundles (0: all)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  absl::Status st = rhip::bench::Run(c);
  if (!st.ok()) {
    std::fprintf(stderr, "bench_ingest: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
