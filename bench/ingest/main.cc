// bench_ingest: FHIR ingest, small durable transactions and read-by-id against a running
// `rhip serve`, each figure printed next to its target and a baseline measured in the same run.
// bench/run_ingest.sh builds, starts a fresh server, runs this and stops it.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "bench/ingest/baselines.h"
#include "bench/ingest/http_client.h"
#include "bench/ingest/load.h"
#include "bench/ingest/raw_sqlite.h"
#include "bench/ingest/synthea.h"
#include "bench/ingest/timing.h"
#include "bench/ingest/wrk.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::bench {
namespace {

// The targets on this 2-core machine.
constexpr double kIngestTarget = 20000;      // resources/s
constexpr double kIngestRatioTarget = 0.60;  // of the raw SQLite insert rate
constexpr double kSmallTxTarget = 5000;      // transactions/s
constexpr double kReadTarget = 40000;        // requests/s
constexpr double kRawSmallTxSeconds = 3;
constexpr double kFdatasyncSeconds = 2;

struct Config {
  std::string server = "127.0.0.1:8080";
  std::string client;  // ID:SECRET of a system client; empty: send no token
  std::string synthea_dir;
  std::string work_dir;
  std::set<std::string> phases = {"ingest", "tx", "read"};
  bool baselines = true;
  int raw_variant_rounds = 0;  // 0: no raw variants
  int clients = 4;
  int tx_clients = 0;  // 0: as many as clients
  double tx_seconds = 10;
  int wrk_seconds = 10;
  int wrk_threads = 2;
  int wrk_connections = 32;
  int patients = 1000;
  size_t max_bundles = 0;  // 0: all
};

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

// What storage-level changes would gain: the raw insert rate with one setting changed,
// against the server's settings, in interleaved rounds (this machine is shared and its disk
// speed moves by whole factors; the median of interleaved rounds is what holds up).
absl::Status RawVariants(const std::string& work_dir, const std::vector<RawTransaction>& raw,
                         int rounds) {
  struct Variant {
    std::string name;
    RawOptions options;
    size_t bundles_per_commit = 1;
  };
  std::vector<Variant> variants = {
      {"server settings", {}},
      {"cache 256 MiB", {.cache_kib = 256 * 1024}},
      {"checkpoint deferred to the end", {.autocheckpoint = false}},
      {"last_insert_rowid instead of RETURNING", {.returning = false}},
      {"SAVEPOINT per bundle (as group commit)", {.savepoint = true}},
      {"SAVEPOINT per bundle + temp_store = MEMORY",
       {.savepoint = true, .temp_store_memory = true}},
      {"deferred checkpoint + last_insert_rowid + temp_store = MEMORY",
       {.autocheckpoint = false, .returning = false, .temp_store_memory = true}},
      {"4 bundles per commit (what group commit can add)", {}, 4},
  };
  // Group commit's transactions: consecutive bundles committed together.
  auto grouped = [&raw](size_t n) {
    std::vector<RawTransaction> out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (i % n == 0) out.emplace_back();
      out.back().insert(out.back().end(), raw[i].begin(), raw[i].end());
    }
    return out;
  };
  std::vector<std::vector<double>> rates(variants.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < variants.size(); ++i) {
      const Variant& v = variants[i];
      const std::string dir = absl::StrFormat("%s/raw-variant-%d", work_dir, i);
      ASSIGN_OR_RETURN(double rate,
                       v.bundles_per_commit == 1
                           ? RawIngestRate(dir, raw, v.options)
                           : RawIngestRate(dir, grouped(v.bundles_per_commit), v.options));
      std::filesystem::remove_all(dir);
      rates[i].push_back(rate);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double reference = median(rates[0]);
  std::printf("   raw SQLite variants, median of %d interleaved rounds (min-max), vs server settings:\n",
              rounds);
  for (size_t i = 0; i < variants.size(); ++i) {
    auto [lo, hi] = std::minmax_element(rates[i].begin(), rates[i].end());
    std::printf("     %9.0f resources/s (%.0f-%.0f)  x%.2f  %s\n", median(rates[i]), *lo, *hi,
                median(rates[i]) / reference, variants[i].name.c_str());
  }
  return absl::OkStatus();
}

// Synthea bundles over HTTP vs raw SQLite inserts of the same rows.
absl::Status IngestPhase(const Config& c, const Server& server) {
  const auto load_start = SteadyClock::now();
  ASSIGN_OR_RETURN(std::vector<Bundle> bundles, LoadBundles(c.synthea_dir));
  if (c.max_bundles > 0 && bundles.size() > c.max_bundles) bundles.resize(c.max_bundles);
  size_t resources = 0, bytes = 0, batches = 0;
  for (const Bundle& b : bundles) {
    resources += b.resources;
    bytes += b.text.size();
    batches += b.type == "batch";
  }
  std::printf("\n== ingest: %zu Synthea bundles (%zu resources, %.1f MB; loaded in %.1f s)\n",
              bundles.size(), resources, bytes / 1e6, SecondsSince(load_start));
  std::printf("   %zu batch bundles one at a time first, then %d parallel keep-alive clients\n",
              batches, c.clients);

  double raw_rate = 0;
  if (c.baselines) {
    std::vector<RawTransaction> raw;
    for (const Bundle& b : bundles) raw.push_back(RawTransactionOf(b.doc));
    ASSIGN_OR_RETURN(raw_rate, RawIngestRate(c.work_dir + "/raw-ingest", raw));
    if (c.raw_variant_rounds > 0) {
      RETURN_IF_ERROR(RawVariants(c.work_dir, raw, c.raw_variant_rounds));
    }
  }
  IngestResult ingest = Ingest(server, bundles, c.clients);
  const double rate = ingest.resources / ingest.seconds;
  std::printf("   rhip over HTTP      %9.0f resources/s  (%zu stored in %.1f s; batch bundles %.1f s)"
              "   target >= %.0f: %s\n",
              rate, ingest.resources, ingest.seconds, ingest.batch_seconds, kIngestTarget,
              Verdict(rate >= kIngestTarget));
  if (c.baselines) {
    std::printf("   raw SQLite baseline %9.0f resources/s  (same rows, schema, pragmas; one commit per bundle)\n",
                raw_rate);
    const double ratio = rate / raw_rate;
    std::printf("   ratio               %9.0f %%            target >= %.0f %%: %s\n", ratio * 100,
                kIngestRatioTarget * 100, Verdict(ratio >= kIngestRatioTarget));
  }
  if (ingest.failures.empty()) {
    std::printf("   failures            none\n");
  } else {
    std::printf("   FLAG: %zu refused (%zu resources, %.2f %% of all): failure rate > 0\n",
                ingest.failures.size(), ingest.failed_resources,
                100.0 * ingest.failed_resources / resources);
    PrintFailures(ingest.failures, ingest.failures.size());
  }
  return absl::OkStatus();
}

// Transactions of 1 Patient + 1 Observation, vs one raw SQLite commit each and the disk.
absl::Status SmallTxPhase(const Config& c, const Server& server) {
  const int clients = c.tx_clients > 0 ? c.tx_clients : c.clients;
  RateResult small = SmallTransactions(server, clients, c.tx_seconds);
  const double rate = small.ok / small.seconds;
  std::printf("\n== small durable transactions (1 Patient + 1 Observation by urn:uuid), %d clients, %.0f s\n",
              clients, small.seconds);
  std::printf("   rhip over HTTP      %9.0f tx/s  (p50 %.2f ms, p99 %.2f ms)   target >= %.0f: %s\n",
              rate, small.latency.p50_ms, small.latency.p99_ms, kSmallTxTarget,
              Verdict(rate >= kSmallTxTarget));
  if (small.failed > 0) {
    std::printf("   FLAG: %zu transactions failed\n", small.failed);
    PrintFailures(small.failures, small.failed);
  }
  if (!c.baselines) return absl::OkStatus();
  ASSIGN_OR_RETURN(double raw_rate, RawSmallTxRate(c.work_dir + "/raw-small", kRawSmallTxSeconds));
  ASSIGN_OR_RETURN(double fsync_rate, FdatasyncRate(c.work_dir, kFdatasyncSeconds));
  std::printf("   raw SQLite baseline %9.0f tx/s  (same rows, one commit = one fsync each, 1 thread, %.0f s)\n",
              raw_rate, kRawSmallTxSeconds);
  std::printf("   disk fdatasync      %9.0f /s    (4 KB overwrite + fdatasync, %.0f s): commits/s without group commit\n",
              fsync_rate, kFdatasyncSeconds);
  std::printf("   => each fsync must carry >= %.1f transactions (and >= that many clients) to reach the target\n",
              kSmallTxTarget / fsync_rate);
  return absl::OkStatus();
}

// GET /fhir/Patient/{id} with wrk, vs GET /healthz on the same server.
absl::Status ReadPhase(const Config& c, const Server& server) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, CreatePatients(server, c.patients));
  const std::string ids_file = c.work_dir + "/patient-ids.txt";
  {
    std::ofstream out(ids_file);
    for (const std::string& id : ids) out << id << "\n";
  }
  WrkOptions wrk{.url = absl::StrFormat("http://%s:%d", server.host, server.port),
                 .script_args = {"ids", ids_file},
                 .threads = c.wrk_threads,
                 .connections = c.wrk_connections,
                 .seconds = c.wrk_seconds,
                 .bearer_token = server.token};
  ASSIGN_OR_RETURN(WrkResult reads, RunWrk(wrk));
  std::printf("\n== read by id: GET /fhir/Patient/{random of %zu ids}, wrk -t%d -c%d -d%ds, keep-alive\n",
              ids.size(), c.wrk_threads, c.wrk_connections, c.wrk_seconds);
  std::printf("   rhip read by id     %9.0f req/s  (p50 %.2f ms, p99 %.2f ms, %lld non-2xx, %lld socket errors)"
              "   target >= %.0f: %s\n",
              reads.RequestsPerSecond(), reads.p50_ms, reads.p99_ms,
              static_cast<long long>(reads.non2xx), static_cast<long long>(reads.socket_errors),
              kReadTarget, Verdict(reads.RequestsPerSecond() >= kReadTarget));
  std::printf("   wrk and rhip share this machine's cores: wrk itself used %.2f cores\n",
              reads.cpu_seconds / reads.seconds);
  if (!c.baselines) return absl::OkStatus();
  wrk.script_args = {"path", "/healthz"};
  wrk.seconds = std::max(1, c.wrk_seconds / 2);
  ASSIGN_OR_RETURN(WrkResult healthz, RunWrk(wrk));
  std::printf("   GET /healthz        %9.0f req/s  (p50 %.2f ms, p99 %.2f ms): the HTTP stack alone, same server, %d s\n",
              healthz.RequestsPerSecond(), healthz.p50_ms, healthz.p99_ms, wrk.seconds);
  return absl::OkStatus();
}

// Fails fast when nothing answers, rather than timing a stream of connection errors.
absl::Status CheckReady(const Server& server) {
  HttpClient client(server.host, server.port, server.token);
  absl::StatusOr<HttpReply> reply = client.Send("GET", "/healthz");
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::UnavailableError(absl::StrFormat("GET /healthz answered %d", reply->status));
  }
  return absl::OkStatus();
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// Runs one phase and says how much CPU this program took from the machine meanwhile
// (load generation competes with the server for the same cores).
absl::Status RunPhase(absl::Status (*phase)(const Config&, const Server&), const Config& c,
                      const Server& server) {
  const double cpu = ProcessCpuSeconds();
  const auto start = SteadyClock::now();
  RETURN_IF_ERROR(phase(c, server));
  const double used = ProcessCpuSeconds() - cpu;
  std::printf("   (bench_ingest itself: %.1f CPU-s in %.1f s, incl. raw baselines and bundle "
              "loading; wrk not counted)\n",
              used, SecondsSince(start));
  return absl::OkStatus();
}

absl::Status Run(const Config& c) {
  ASSIGN_OR_RETURN(Server server, ParseServer(c.server));
  if (!c.client.empty()) {
    ASSIGN_OR_RETURN(server.token, FetchClientToken(server.host, server.port, c.client));
  }
  RETURN_IF_ERROR(CheckReady(server));
  std::filesystem::create_directories(c.work_dir);
  std::printf("rhip bench_ingest: server %s, load average at start %s\n", c.server.c_str(),
              LoadAverage().c_str());
  if (c.phases.contains("ingest")) RETURN_IF_ERROR(RunPhase(IngestPhase, c, server));
  if (c.phases.contains("tx")) RETURN_IF_ERROR(RunPhase(SmallTxPhase, c, server));
  if (c.phases.contains("read")) RETURN_IF_ERROR(RunPhase(ReadPhase, c, server));
  std::printf("\nload average at end %s\n", LoadAverage().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace rhip::bench

int main(int argc, char** argv) {
  rhip::bench::Config c;
  bool no_baselines = false;
  CLI::App app{"Ingest, small-transaction and read-by-id benchmark for a running rhip serve"};
  app.add_option("--server", c.server, "rhip serve address HOST:PORT")->capture_default_str();
  app.add_option("--client", c.client,
                 "System client ID:SECRET (rhip's RHIP_BOOTSTRAP_CLIENT) whose token /fhir requests carry");
  app.add_option("--synthea", c.synthea_dir, "Directory with the extracted Synthea bundles");
  app.add_option("--work-dir", c.work_dir, "Scratch directory (raw SQLite baselines, id list)")
      ->required();
  app.add_option("--phases", c.phases, "Which of ingest, tx, read to run")
      ->delimiter(',')
      ->check(CLI::IsMember({"ingest", "tx", "read"}))
      ->capture_default_str();
  app.add_flag("--no-baselines", no_baselines, "Skip the raw SQLite, fdatasync and /healthz runs");
  app.add_option("--raw-variants", c.raw_variant_rounds,
                 "Rounds of raw SQLite ingest with one setting changed at a time (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 20));
  app.add_option("--clients", c.clients, "Parallel keep-alive HTTP clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--tx-clients", c.tx_clients,
                 "Clients for the small-transaction run (0: as many as --clients)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  app.add_option("--tx-seconds", c.tx_seconds, "Duration of the small-transaction run")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  app.add_option("--wrk-seconds", c.wrk_seconds, "Duration of the read-by-id run")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  app.add_option("--wrk-threads", c.wrk_threads, "wrk -t")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--wrk-connections", c.wrk_connections, "wrk -c")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--patients", c.patients, "Patients created for the read-by-id run")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-bundles", c.max_bundles, "Post only the first N bundles (0: all)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is a ParseError too
  }
  c.baselines = !no_baselines;
  if (c.phases.contains("ingest") && c.synthea_dir.empty()) {
    std::fprintf(stderr, "bench_ingest: the ingest phase needs --synthea DIR\n");
    return 2;
  }
  absl::Status st = rhip::bench::Run(c);
  if (!st.ok()) {
    std::fprintf(stderr, "bench_ingest: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
