// bench_auth: what authentication, authorization and the audit trail add to a FHIR read, in
// process and in the same run. Every query shape runs four ways on the same store:
//   handler  fhir::RestHandler::Handle alone, unrestricted and unaudited (the baseline);
//   handler+audit  the same plus the audit record the router writes (journal durability);
//   client   app::Router::Handle with a system client's bearer token (token lookup, policy,
//            scope check, audit record in the journal);
//   village  app::Router::Handle with a village doctor's session cookie (session lookup,
//            policy with the org-unit subtree, the org-unit/consent predicate in the SQL,
//            masking, audit record).
// The requests of a shape are the same for all variants (residents of the doctor's village), so
// every variant returns the same resources. Prints p50/p99 µs, req/s and the overhead against
// the baseline for 1 and 8 threads. See docs/PERFORMANCE.md "Auth and audit overhead".
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "app/http_router.h"
#include "app/http_services.h"
#include "bench/ingest/timing.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/personal_data_access.h"
#include "fhir/repository.h"
#include "fhir/rest_handler.h"
#include "fhir/search_query.h"
#include "security/access_policy.h"
#include "security/audit_log.h"
#include "security/identity_store.h"
#include "security/scopes.h"
#include "security/session_service.h"
#include "security/token_service.h"

namespace rhip::bench {
namespace {

constexpr int kTownships = 4;
constexpr int kVillages = 20;  // village i (1-based) is part of township (i - 1) % kTownships + 1
constexpr char kClientId[] = "bench";
constexpr char kClientSecret[] = "bench-secret-0123456789";
constexpr char kDoctorPassword[] = "Village-Doctor-2";

struct Config {
  int patients = 10000;
  int observations = 5;  // per patient
  std::string db;        // PostgreSQL URL; empty: SQLite in a temp dir
  double seconds = 2.0;  // per variant, shape, thread count and round
  int rounds = 2;
  std::vector<int> threads = {1, 8};
  std::vector<std::string> only;
  bool keep_unmask = false;  // leave the seeded $unmask permission on village_doctor
  bool access_cache = true;  // AccessPolicy keeps a user's Access for kAccessCacheTtl
  bool analyze = true;       // PostgreSQL: ANALYZE after loading
};

// GB 11643 resident ID with its MOD 11-2 check character.
std::string ResidentId(int n) {
  char body[18];
  std::snprintf(body, sizeof body, "11010119%02d%02d%02d%03d", 60 + n % 40, 1 + n % 12, 1 + n % 28,
                n % 1000);
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (body[i] - '0') * kWeights[i];
  return StrCat(std::string(body, 17), std::string(1, "10X98765432"[sum % 11]));
}

// A name unique in the population (40 families x 16 x 16 given names), so a name search
// matches one resident for every variant.
std::string ChineseName(int n) {
  static const char* kFamily[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
                                  "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
                                  "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
                                  "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡"};
  static const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊",
                                 "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"};
  return StrCat(kFamily[n % 40], kGiven[(n / 40) % 16], kGiven[(n / 640) % 16]);
}

std::string PatientId(int n) { return StrCat("p", std::to_string(n)); }
int VillageOf(int n) { return n % kVillages + 1; }

json::Value Parsed(const std::string& text) {
  auto v = json::Parse(text);
  if (!v.ok()) {
    std::fprintf(stderr, "bench_auth: bad generated JSON: %s\n%s\n",
                 std::string(v.status().message()).c_str(), text.c_str());
    std::exit(1);
  }
  return *std::move(v);
}

absl::Status Load(fhir::Repository& repo, const Config& c) {
  std::vector<json::Value> batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    auto results = repo.WriteBulk(std::move(batch));
    batch.clear();
    if (!results.ok()) return results.status();
    for (const fhir::BulkResult& r : *results) {
      if (!r.status.ok()) return r.status;
    }
    return absl::OkStatus();
  };
  batch.push_back(Parsed(R"({"resourceType":"Organization","id":"C","name":"县卫生健康局"})"));
  for (int t = 1; t <= kTownships; ++t) {
    batch.push_back(Parsed(StrCat(R"({"resourceType":"Organization","id":"T)", std::to_string(t),
                                  R"(","name":"乡镇卫生院","partOf":{"reference":"Organization/C"}})")));
  }
  for (int v = 1; v <= kVillages; ++v) {
    batch.push_back(Parsed(StrCat(R"({"resourceType":"Organization","id":"V)", std::to_string(v),
                                  R"(","name":"村卫生室","partOf":{"reference":"Organization/T)",
                                  std::to_string((v - 1) % kTownships + 1), R"("}})")));
  }
  for (int n = 0; n < c.patients; ++n) {
    std::string id = PatientId(n);
    batch.push_back(Parsed(StrCat(
        R"({"resourceType":"Patient","id":")", id,
        R"(","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":")", ResidentId(n),
        R"("}],"name":[{"text":")", ChineseName(n), R"("}],"gender":")",
        n % 2 ? "male" : "female", R"(","birthDate":"19)", std::to_string(60 + n % 40),
        R"(-01-15","telecom":[{"system":"phone","value":"1391234)", std::to_string(1000 + n % 9000),
        R"("}],"address":[{"text":"某省某县某乡某村)", std::to_string(n % 300),
        R"(号","city":"某县"}],"managingOrganization":{"reference":"Organization/V)",
        std::to_string(VillageOf(n)), R"("}})")));
    for (int k = 0; k < c.observations; ++k) {
      batch.push_back(Parsed(StrCat(
          R"({"resourceType":"Observation","id":"o)", std::to_string(n), "-", std::to_string(k),
          R"(","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)",
          R"("code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},)",
          R"("subject":{"reference":"Patient/)", id, R"("},"effectiveDateTime":"2025-0)",
          std::to_string(1 + k), R"(-10T08:30:00+08:00","valueQuantity":{"value":)",
          std::to_string(60 + (n + k) % 40),
          R"(,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})")));
    }
    if (batch.size() >= 2000) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  return repo.BuildStagedIndex().status();
}

struct Shape {
  std::string name;
  std::vector<std::pair<std::string, std::string>> requests;  // path, query
};

// Residents of village V1 (the doctor's) and their data, spread over the population.
std::vector<Shape> Shapes(const Config& c) {
  std::vector<int> residents;
  for (int n = 0; n < c.patients && residents.size() < 200; n += kVillages) residents.push_back(n);
  Shape patient{"read Patient/{id}", {}}, observation{"read Observation/{id}", {}},
      by_subject{"Observation?subject=Patient/{id}&_count=20", {}},
      by_name{"Patient?name={name}", {}};
  for (int n : residents) {
    patient.requests.push_back({StrCat("/fhir/Patient/", PatientId(n)), ""});
    observation.requests.push_back(
        {StrCat("/fhir/Observation/o", std::to_string(n), "-", std::to_string(n % c.observations)),
         ""});
    by_subject.requests.push_back(
        {"/fhir/Observation", StrCat("subject=Patient/", PatientId(n), "&_count=20")});
    by_name.requests.push_back(
        {"/fhir/Patient", StrCat("name=", fhir::PercentEncode(ChineseName(n)), "&_count=20")});
  }
  std::vector<Shape> all = {patient, observation, by_subject, by_name};
  if (c.only.empty()) return all;
  std::vector<Shape> picked;
  for (const Shape& s : all) {
    for (const std::string& o : c.only) {
      if (s.name.find(o) != std::string::npos) {
        picked.push_back(s);
        break;
      }
    }
  }
  return picked;
}

struct Variant {
  std::string name;
  std::function<net::HttpResponse(const net::HttpRequest&)> handle;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Result {
  std::vector<double> micros;
  double seconds = 0;
  double entries = 0;  // Bundle entries per search, summed
  int failures = 0;
  std::string first_failure;
};

int BundleEntries(const std::string& body) {
  auto v = json::Parse(body);
  if (!v.ok() || !v->is_object()) return 0;
  const json::Value* entry = v->Find("entry");
  return entry != nullptr && entry->is_array() ? static_cast<int>(entry->as_array().size()) : 0;
}

void Run(const Variant& variant, const Shape& shape, int threads, double seconds, Result* out) {
  std::vector<Result> per_thread(threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  SteadyClock::time_point start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Result& r = per_thread[t];
      size_t i = static_cast<size_t>(t) * 37;
      net::HttpRequest req;
      req.method = "GET";
      req.remote_address = "127.0.0.1";
      req.headers = {{"Host", "bench.local"}, {"Accept", "application/fhir+json"}};
      for (const auto& h : variant.headers) req.headers.push_back(h);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto& [path, query] = shape.requests[i++ % shape.requests.size()];
        req.path = path;
        req.query = query;
        req.target = query.empty() ? path : StrCat(path, "?", query);
        SteadyClock::time_point t0 = SteadyClock::now();
        net::HttpResponse resp = variant.handle(req);
        r.micros.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
        if (resp.status != 200) {
          if (r.failures++ == 0) r.first_failure = StrCat(std::to_string(resp.status), " ", resp.body);
        } else if (!query.empty()) {
          r.entries += BundleEntries(resp.body);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  out->seconds += SecondsSince(start);
  for (Result& r : per_thread) {
    out->micros.insert(out->micros.end(), r.micros.begin(), r.micros.end());
    out->entries += r.entries;
    if (r.failures > 0 && out->failures == 0) out->first_failure = r.first_failure;
    out->failures += r.failures;
  }
}

double Quantile(std::vector<double>& sorted, double q) {
  return sorted.empty() ? 0 : sorted[static_cast<size_t>(q * (sorted.size() - 1))];
}

double LoadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

template <typename F>
double MicrosPerCall(int calls, F f) {
  SteadyClock::time_point start = SteadyClock::now();
  for (int i = 0; i < calls; ++i) f();
  return SecondsSince(start) * 1e6 / calls;
}

int Main(const Config& c) {
  std::string dir = (std::filesystem::temp_directory_path() / "rhip-bench-auth-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  auto database = db::Database::Open({.target = c.db.empty() ? dir : c.db});
  if (!database.ok()) {
    std::fprintf(stderr, "bench_auth: %s\n", std::string(database.status().message()).c_str());
    return 1;
  }
  db::Database* db = database->get();
  std::unique_ptr<fhir::Repository> repo = fhir::Repository::Create(db, &Clock::Real());
  std::printf("bench_auth: %s, %d patients x %d observations, access cache %s, load average %.2f\n",
              c.db.empty() ? "SQLite" : "PostgreSQL", c.patients, c.observations,
              c.access_cache ? "on" : "off", LoadAverage());
  SteadyClock::time_point load_start = SteadyClock::now();
  if (absl::Status st = Load(*repo, c); !st.ok()) {
    std::fprintf(stderr, "bench_auth: loading failed: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  if (!c.db.empty() && c.analyze) {
    // Fresh tables have no statistics; autovacuum would ANALYZE them soon in a deployment.
    absl::Status st = db->Write([](db::Session& s) { return s.Execute("ANALYZE", {}).status(); });
    if (!st.ok()) {
      std::fprintf(stderr, "bench_auth: ANALYZE: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
  std::printf("loaded in %.1f s%s\n", SecondsSince(load_start),
              !c.db.empty() && c.analyze ? " (with ANALYZE)" : "");

  // The services exactly as `rhip serve` builds them (app/http_services.h).
  auto services = app::HttpServices::Open(
      db, repo.get(), /*patient_index=*/nullptr,
      {.data_dir = dir,
       .public_url = "http://bench.local/fhir",
       .access_cache_ttl = c.access_cache ? security::kAccessCacheTtl : 0});
  if (!services.ok()) {
    std::fprintf(stderr, "bench_auth: %s\n", std::string(services.status().message()).c_str());
    return 1;
  }
  security::IdentityStore& identities = (*services)->identities();
  security::TokenService& tokens = (*services)->tokens();
  security::SessionService& sessions = (*services)->sessions();
  security::AuditLog* audit = &(*services)->audit();
  const security::AccessPolicy& policy = (*services)->policy();
  const fhir::RestHandler& rest = (*services)->rest();
  const app::Router& router = (*services)->router();

  // The system client and the village doctor of V1 (without $unmask unless --keep-unmask,
  // so that the restricted path also masks).
  auto fail = [](std::string_view what, const absl::Status& st) {
    std::fprintf(stderr, "bench_auth: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 std::string(st.message()).c_str());
    return 1;
  };
  auto all_scopes = security::ParseScopes("system/*.*");
  if (!all_scopes.ok()) return fail("scopes", all_scopes.status());
  if (absl::Status st = identities.AddClient(kClientId, kClientSecret, *all_scopes); !st.ok()) {
    return fail("client", st);
  }
  auto token = tokens.IssueClientToken(kClientId, kClientSecret, "");
  if (!token.ok()) return fail("token", token.status());
  if (!c.keep_unmask) {
    if (absl::Status st = identities.RemovePermission("village_doctor", security::kUnmaskPermission);
        !st.ok()) {
      return fail("permission", st);
    }
  }
  absl::Status user = identities.AddUser("vdoc", "村医", "Initial-Pass-1",
                                         {{"village_doctor", "Organization/V1"}});
  if (user.ok()) user = identities.ChangePassword("vdoc", "Initial-Pass-1", kDoctorPassword);
  if (!user.ok()) return fail("user", user);
  auto session = sessions.Login("vdoc", kDoctorPassword);
  if (!session.ok()) return fail("login", session.status());

  std::vector<Variant> variants = {
      {"handler", [&](const net::HttpRequest& r) {
         fhir::RequestAccess unrestricted;
         return rest.Handle(r, unrestricted);
       }, {}},
      // The handler plus the audit record the router writes, without authentication: what
      // the audit alone adds to a read.
      {"handler+audit", [&](const net::HttpRequest& r) {
         fhir::RequestAccess unrestricted;
         net::HttpResponse resp = rest.Handle(r, unrestricted);
         security::AuditRecord record{.actor = kClientId, .role = "client", .client_address = r.remote_address,
                                      .action = r.query.empty() ? security::kAuditRead : security::kAuditSearch,
                                      .patient = unrestricted.patient, .query = r.query,
                                      .outcome = std::to_string(resp.status)};
         for (const std::string& touched : unrestricted.resources) {
           StrAppend(&record.resources, record.resources.empty() ? "" : ",", touched);
         }
         absl::Status recorded = audit->Record(std::move(record), security::Durability::kJournal);
         if (!recorded.ok()) resp.status = 503;
         return resp;
       }, {}},
      {"client", [&](const net::HttpRequest& r) { return router.Handle(r); },
       {{"Authorization", StrCat("Bearer ", token->access_token)}}},
      {"village", [&](const net::HttpRequest& r) { return router.Handle(r); },
       {{"Cookie", StrCat(security::kSessionCookie, "=", session->session_id)}}},
  };

  std::printf("| shape | threads | variant | p50 µs | p99 µs | req/s | entries/req | p50 overhead | req/s loss | p99 ratio |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  bool failed = false;
  for (const Shape& shape : Shapes(c)) {
    for (int threads : c.threads) {
      std::vector<Result> results(variants.size());
      for (size_t v = 0; v < variants.size(); ++v) {
        Result warmup;
        Run(variants[v], shape, threads, 0.2, &warmup);
      }
      // Rounds alternate the variants, so a change in the machine's load hits all of them.
      for (int round = 0; round < c.rounds; ++round) {
        for (size_t v = 0; v < variants.size(); ++v) {
          Run(variants[v], shape, threads, c.seconds, &results[v]);
        }
      }
      double base_p50 = 0, base_p99 = 0, base_rps = 0;
      for (size_t v = 0; v < variants.size(); ++v) {
        Result& r = results[v];
        std::sort(r.micros.begin(), r.micros.end());
        double p50 = Quantile(r.micros, 0.5), p99 = Quantile(r.micros, 0.99);
        double rps = r.micros.size() / r.seconds;
        if (v == 0) base_p50 = p50, base_p99 = p99, base_rps = rps;
        std::string overhead = v == 0 ? "—" : StrCat(std::to_string(static_cast<int>(std::lround(100 * (p50 / base_p50 - 1)))), " %");
        std::string loss = v == 0 ? "—" : StrCat(std::to_string(static_cast<int>(std::lround(100 * (1 - rps / base_rps)))), " %");
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", p99 / base_p99);
        std::printf("| %s | %d | %s | %.0f | %.0f | %.0f | %.1f | %s | %s | %s |\n", shape.name.c_str(),
                    threads, variants[v].name.c_str(), p50, p99, rps,
                    r.entries / std::max<size_t>(1, r.micros.size()), overhead.c_str(), loss.c_str(),
                    v == 0 ? "—" : ratio);
        if (r.failures > 0) {
          std::fprintf(stderr, "bench_auth: %s %s: %d failed requests, first: %s\n",
                       shape.name.c_str(), variants[v].name.c_str(), r.failures,
                       r.first_failure.substr(0, 300).c_str());
          failed = true;
        }
      }
      std::fflush(stdout);
    }
  }

  // The parts of the full path, one thread, per call: where the overhead comes from.
  net::HttpRequest bearer_req, cookie_req;
  bearer_req.method = cookie_req.method = "GET";
  bearer_req.headers = {{"Authorization", StrCat("Bearer ", token->access_token)}};
  cookie_req.headers = {{"Cookie", StrCat(security::kSessionCookie, "=", session->session_id)}};
  auto client = security::AuthenticateRequest(tokens, sessions, bearer_req);
  auto doctor = security::AuthenticateRequest(tokens, sessions, cookie_req);
  if (!client.ok() || !doctor.ok()) return fail("authenticate", client.ok() ? doctor.status() : client.status());
  auto doctor_access = policy.Resolve(*doctor);
  if (!doctor_access.ok()) return fail("resolve", doctor_access.status());
  constexpr int kCalls = 3000;
  std::printf("\nparts, µs per call (1 thread, %d calls): token authenticate %.1f | session authenticate %.1f"
              " | policy resolve client %.1f | policy resolve village doctor %.1f"
              " | org predicate %.1f | audit record (journal) %.1f\n",
              kCalls,
              MicrosPerCall(kCalls, [&] { (void)security::AuthenticateRequest(tokens, sessions, bearer_req); }),
              MicrosPerCall(kCalls, [&] { (void)security::AuthenticateRequest(tokens, sessions, cookie_req); }),
              MicrosPerCall(kCalls, [&] { (void)policy.Resolve(*client); }),
              MicrosPerCall(kCalls, [&] { (void)policy.Resolve(*doctor); }),
              MicrosPerCall(kCalls, [&] { (void)fhir::PersonalDataPredicate(doctor_access->scope); }),
              MicrosPerCall(kCalls, [&] {
                security::AuditRecord r{.actor = "vdoc", .role = "village_doctor", .org_unit = "Organization/V1",
                                        .client_address = "127.0.0.1", .action = security::kAuditRead,
                                        .patient = "Patient/p0", .resources = "Patient/p0", .outcome = "200"};
                (void)audit->Record(std::move(r), security::Durability::kJournal);
              }));
  if (absl::Status st = audit->Flush(); !st.ok()) return fail("audit flush", st);
  std::printf("load average at the end %.2f\n", LoadAverage());

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace rhip::bench

int main(int argc, char** argv) {
  rhip::bench::Config config;
  CLI::App app("bench_auth: overhead of authentication, authorization and audit on FHIR reads, in process");
  app.add_option("--patients", config.patients, "Patients to load")->capture_default_str();
  app.add_option("--observations", config.observations, "Observations per patient")->capture_default_str();
  app.add_option("--db", config.db, "PostgreSQL URL (a scratch database); default: SQLite in a temp dir");
  app.add_option("--seconds", config.seconds, "Seconds per variant, shape, thread count and round")
      ->capture_default_str();
  app.add_option("--rounds", config.rounds, "Rounds (the variants alternate)")->capture_default_str();
  app.add_option("--threads", config.threads, "Thread counts")->capture_default_str();
  app.add_option("--only", config.only, "Run only the shapes whose name contains this (repeatable)");
  app.add_flag("--keep-unmask", config.keep_unmask,
               "Leave $unmask on village_doctor (as seeded): the restricted path does not mask");
  app.add_flag("!--no-access-cache", config.access_cache,
               "Resolve every request's access from the database (the server before the cache)");
  app.add_flag("!--no-analyze", config.analyze, "PostgreSQL: skip the ANALYZE after loading");
  CLI11_PARSE(app, argc, argv);
  return rhip::bench::Main(config);
}
