// bench_search: loads a synthetic population (bench/search/population.h) into one or more
// running `rhip serve`s through POST /fhir transaction Bundles, then runs FHIR search query
// shapes against each over keep-alive HTTP and prints p50/p99 latency per shape, matches/s
// for counts and downloads, next to same-run baselines (read by id; a raw COUNT(*) of the
// same index rows on the database) and the targets.
// bench/run_search.sh starts the servers (SQLite and PostgreSQL) and runs this.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/ingest/http_client.h"
#include "bench/ingest/timing.h"
#include "bench/search/population.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/search/search_parameters.h"

namespace rhip::bench {
namespace {

// The targets.
constexpr double kPatientP99TargetMs = 50;
constexpr double kCountTarget = 5e6;  // matching resources/s for _summary=count

struct Target {
  std::string name;  // "sqlite", "postgres"
  std::string host;
  uint16_t port = 0;
  std::string db;  // the server's database (SQLite dir or postgresql:// URI); empty: no raw baseline
  std::string token;  // bearer token for /fhir, fetched with Config::client
};

struct Config {
  std::vector<std::string> targets;  // NAME,HOST:PORT[,DB]
  std::string client;  // ID:SECRET of a system client on every target; empty: send no token
  int patients = 100000;
  uint64_t seed = 1;
  int load_clients = 4;
  int query_clients = 2;
  int iterations = 100;   // per shape
  double max_seconds = 8;  // per shape and target, whichever comes first
  std::vector<std::string> only;  // run only shapes whose name contains one of these
  bool vacuum = true;             // VACUUM (ANALYZE) a PostgreSQL target after loading
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrFormat("%s %s %s", one, five, fifteen);
}

// Percent-encodes what a query value may hold that a URL must not carry raw.
std::string Enc(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// ---------------------------------------------------------------- load

struct LoadResult {
  size_t resources = 0;
  size_t failed_bundles = 0;
  double seconds = 0;
  std::string first_failure;
  std::string started_utc;  // for _lastUpdated queries
  std::string finished_utc;
};

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The ids from a transaction-response's locations ("Type/id/_history/1"), by entry.
absl::StatusOr<std::vector<std::string>> ResponseIds(const HttpReply& reply) {
  if (reply.status != 200) {
    return absl::InternalError(StrCat("HTTP ", reply.status, ": ", reply.body.substr(0, 300)));
  }
  ASSIGN_OR_RETURN(json::Value doc, json::Parse(reply.body));
  const json::Value* entries = doc.Find("entry");
  if (entries == nullptr || !entries->is_array()) return absl::InternalError("response without entries");
  std::vector<std::string> ids;
  for (const json::Value& e : entries->as_array()) {
    const json::Value* response = e.Find("response");
    const std::string* location = response ? response->FindString("location") : nullptr;
    if (location == nullptr) return absl::InternalError("an entry without a location");
    std::vector<std::string> parts = absl::StrSplit(ToAbsl(*location), '/');
    ids.push_back(parts.size() >= 2 ? parts[1] : "");
  }
  return ids;
}

LoadResult Load(const Target& t, const Population& population, int clients,
                std::vector<PatientFacts>* facts, std::vector<std::string>* org_ids) {
  LoadResult result;
  result.started_utc = UtcNow();
  const auto start = SteadyClock::now();
  {
    HttpClient client(t.host, t.port, t.token);
    auto reply = client.Send("POST", "/fhir", population.OrganizationsBundle());
    auto ids = reply.ok() ? ResponseIds(*reply) : absl::StatusOr<std::vector<std::string>>(reply.status());
    if (!ids.ok()) {
      std::fprintf(stderr, "loading the Organizations failed: %s\n", std::string(ids.status().message()).c_str());
      std::exit(1);
    }
    *org_ids = *ids;
    result.resources += ids->size();
  }
  facts->assign(population.patients(), {});
  std::atomic<int> cursor{0};
  std::atomic<size_t> resources{0}, failed{0};
  std::mutex mu;
  const int bundles = population.bundles();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(t.host, t.port, t.token);
      for (int b; (b = cursor.fetch_add(1)) < bundles;) {
        Population::Bundle bundle = population.MakeBundle(b, *org_ids);
        auto reply = client.Send("POST", "/fhir", std::move(bundle.text));
        auto ids = reply.ok() ? ResponseIds(*reply) : absl::StatusOr<std::vector<std::string>>(reply.status());
        if (!ids.ok() || ids->size() != bundle.entries) {
          ++failed;
          std::lock_guard lock(mu);
          if (result.first_failure.empty()) {
            result.first_failure = ids.ok() ? "entry count mismatch" : std::string(ids.status().message());
          }
          continue;
        }
        resources += bundle.entries;
        for (size_t k = 0; k < bundle.patients.size(); ++k) {
          (*facts)[bundle.patients[k]] = population.Facts(bundle.patients[k]);
          (*facts)[bundle.patients[k]].id = (*ids)[bundle.patient_entries[k]];
        }
        if (c == 0 && b % std::max(1, bundles / 10) == 0) {
          std::printf("    ... bundle %d/%d, %.0f s, load %s\n", b, bundles, SecondsSince(start),
                      LoadAverage().c_str());
          std::fflush(stdout);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  result.resources += resources;
  result.failed_bundles = failed;
  result.seconds = SecondsSince(start);
  result.finished_utc = UtcNow();
  // Patients of failed bundles have no id: leave them out of the queries.
  std::erase_if(*facts, [](const PatientFacts& f) { return f.id.empty(); });
  return result;
}

// ---------------------------------------------------------------- queries

enum class Kind { kBaseline, kPatient, kCount, kDownload, kOther };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kBaseline: return "baseline";
    case Kind::kPatient: return "patient";
    case Kind::kCount: return "count";
    case Kind::kDownload: return "download";
    case Kind::kOther: return "other";
  }
  return "";
}

struct Context {
  const std::vector<PatientFacts>* patients;
  const std::vector<std::string>* org_ids;
  LoadResult load;
};

using Rng = std::mt19937_64;

template <typename T>
const T& Pick(Rng& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

struct Shape {
  std::string name;
  Kind kind;
  std::function<std::string(Rng&, const Context&)> url;
  int pages = 1;  // > 1: follow this many next links; each page is one sample
  // For counts: the raw index-row count with the same meaning ("" when none is easy).
  std::string raw_param;  // "Type.code" of a token parameter
  std::function<std::string(Rng&)> raw_code;
};

std::vector<Shape> Shapes() {
  auto patient = [](Rng& rng, const Context& c) -> const PatientFacts& { return Pick(rng, *c.patients); };
  auto org = [](Rng& rng, const Context& c) { return Pick(rng, *c.org_ids); };
  auto lab = [](Rng& rng) { return Pick(rng, LabCodes()); };
  auto any_code = [](Rng& rng) {
    return std::uniform_int_distribution<int>(0, 1)(rng) ? Pick(rng, LabCodes()) : Pick(rng, VitalCodes());
  };
  auto year = [](Rng& rng) { return std::uniform_int_distribution<int>(2022, 2026)(rng); };
  static const std::vector<std::string> kSurnamePinyin = {"wang", "li", "zhang", "liu", "chen", "yang", "huang",
                                                          "zhao", "wu", "zhou"};
  static const std::vector<std::string> kConditionCodes = {"I10", "E11", "J06.9", "K29.7", "M54.5"};
  // A patient-scoped shape: prefix + a Patient's id + suffix.
  auto per_patient = [=](std::string name, std::string prefix, std::string suffix) {
    return Shape{std::move(name), Kind::kPatient, [=](Rng& r, const Context& c) {
                   return StrCat(prefix, patient(r, c).id, suffix);
                 }};
  };
  std::vector<Shape> s;
  s.push_back({"read Patient/id (baseline)", Kind::kBaseline,
               [=](Rng& r, const Context& c) { return StrCat("/fhir/Patient/", patient(r, c).id); }});
  s.push_back({"Observation?patient&code&_sort=-date", Kind::kPatient, [=](Rng& r, const Context& c) {
                 const PatientFacts& p = patient(r, c);
                 return StrCat("/fhir/Observation?patient=Patient/", p.id, "&code=", Enc(StrCat(kLoinc, "|", p.lab_code)),
                               "&_sort=-date");
               }});
  s.push_back({"Observation?patient&date=ge", Kind::kPatient, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Observation?patient=", patient(r, c).id, "&date=ge", year(r), "-01-01");
               }});
  s.push_back(per_patient("Observation?patient&category=vital-signs", "/fhir/Observation?patient=", "&category=vital-signs&_count=100"));
  s.push_back(per_patient("Observation?patient&_summary=count", "/fhir/Observation?patient=", "&_summary=count"));
  s.push_back(per_patient("Encounter?patient&_include=Encounter:subject", "/fhir/Encounter?patient=", "&_include=Encounter:subject"));
  s.push_back(per_patient("Patient?_id&_revinclude=Condition:patient", "/fhir/Patient?_id=", "&_revinclude=Condition:patient"));
  s.push_back(per_patient("Patient/id/Condition (compartment)", "/fhir/Patient/", "/Condition"));
  s.push_back(per_patient("MedicationRequest?patient&status=active", "/fhir/MedicationRequest?patient=", "&status=active"));
  s.push_back(per_patient("Patient/id/$everything", "/fhir/Patient/", "/$everything"));
  s.push_back({"Patient?identifier=system|value", Kind::kPatient, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Patient?identifier=", Enc(StrCat(kResidentIdSystem, "|", patient(r, c).resident_id)));
               }});
  s.push_back({"Observation?code&date=ge&_count=50", Kind::kDownload, [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Observation?code=", Enc(StrCat(kLoinc, "|", any_code(r))), "&date=ge", year(r),
                               "-06-01&_count=50");
               }});
  s.push_back({"Observation?subject:Patient.name&code&_count=50", Kind::kDownload, [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Observation?subject:Patient.name=", Pick(r, kSurnamePinyin), "&code=", lab(r),
                               "&_count=50");
               }});
  s.push_back({"Patient?_has:Condition:patient:code&_count=50", Kind::kDownload, [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Patient?_has:Condition:patient:code=", Pick(r, kConditionCodes), "&_count=50");
               }});
  s.push_back({"Patient?name=<pinyin initials>", Kind::kDownload, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Patient?name=", patient(r, c).initials, "&_count=50");
               }});
  s.push_back({"Patient?birthdate=lt&_count=50", Kind::kDownload, [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Patient?birthdate=lt", std::uniform_int_distribution<int>(1940, 1990)(r),
                               "&_count=50");
               }});
  s.push_back({"Patient?organization&_sort=family&_count=50", Kind::kDownload, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Patient?organization=Organization/", org(r, c), "&_sort=family&_count=50");
               }});
  s.push_back({"Patient?organization&_sort=-birthdate&_count=50", Kind::kDownload, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Patient?organization=Organization/", org(r, c), "&_sort=-birthdate&_count=50");
               }});
  s.push_back({"Patient?organization&_elements=name,birthDate", Kind::kDownload, [=](Rng& r, const Context& c) {
                 return StrCat("/fhir/Patient?organization=Organization/", org(r, c),
                               "&_elements=name,birthDate&_count=50");
               }});
  s.push_back({"Observation?code&_count=50, 10 next pages", Kind::kDownload,
               [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Observation?code=", Enc(StrCat(kLoinc, "|", any_code(r))), "&_count=50");
               },
               11});
  s.push_back({"system ?_lastUpdated=ge&_count=50", Kind::kDownload, [=](Rng&, const Context& c) {
                 return StrCat("/fhir?_lastUpdated=ge", c.load.started_utc, "&_count=50");
               }});
  s.push_back({"Observation?code&_summary=count", Kind::kCount,
               [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Observation?code=", Enc(StrCat(kLoinc, "|", any_code(r))), "&_summary=count");
               },
               1, "Observation.code", any_code});
  s.push_back({"Patient?gender=female&_summary=count", Kind::kCount,
               [](Rng&, const Context&) { return std::string("/fhir/Patient?gender=female&_summary=count"); }, 1,
               "Patient.gender", [](Rng&) { return std::string("female"); }});
  s.push_back({"Condition?code=I10&_summary=count", Kind::kCount,
               [](Rng&, const Context&) { return std::string("/fhir/Condition?code=I10&_summary=count"); }, 1,
               "Condition.code", [](Rng&) { return std::string("I10"); }});
  s.push_back({"Observation?component-code-value-quantity=8480-6$gt140&_summary=count", Kind::kCount,
               [](Rng&, const Context&) {
                 return StrCat("/fhir/Observation?component-code-value-quantity=",
                               Enc(StrCat(kLoinc, "|8480-6$gt140")), "&_summary=count");
               }});
  s.push_back({"Observation?date=ge&_summary=count", Kind::kCount, [=](Rng& r, const Context&) {
                 return StrCat("/fhir/Observation?date=ge", year(r), "-01-01&_summary=count");
               }});
  return s;
}

struct ShapeResult {
  size_t samples = 0;
  size_t errors = 0;
  std::string first_error;
  double p50_ms = 0, p99_ms = 0;
  double mean_matches = 0;  // total (counts) or entries returned (downloads), per request
  double raw_p50_ms = -1;   // raw COUNT(*) baseline
  double raw_mean = 0;
};

std::pair<double, double> Percentiles(std::vector<double> v) {
  if (v.empty()) return {0, 0};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * (v.size() - 1))]; };
  return {at(0.5), at(0.99)};
}

// The path and query of an absolute link.
std::string PathOf(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

ShapeResult RunShape(const Target& t, const Shape& shape, const Context& ctx, const Config& config, uint64_t salt) {
  std::mutex mu;
  ShapeResult result;
  std::vector<double> millis;
  double matches = 0;
  std::atomic<int> cursor{0};
  const auto deadline = SteadyClock::now() + std::chrono::duration<double>(config.max_seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < config.query_clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(t.host, t.port, t.token);
      Rng rng(config.seed * 1000003 + salt * 101 + c);
      std::vector<double> mine;
      double my_matches = 0;
      size_t errors = 0;
      std::string first_error;
      while (cursor.fetch_add(1) < config.iterations && SteadyClock::now() < deadline) {
        std::string target = shape.url(rng, ctx);
        for (int page = 0; page < shape.pages && !target.empty(); ++page) {
          const auto sent = SteadyClock::now();
          auto reply = client.Send("GET", target);
          const double ms = SecondsSince(sent) * 1000;
          target.clear();
          if (!reply.ok() || reply->status != 200) {
            ++errors;
            if (first_error.empty()) {
              first_error = reply.ok() ? StrCat("HTTP ", reply->status, " ", reply->body.substr(0, 300))
                                       : std::string(reply.status().message());
              first_error = StrCat(first_error, " for ", shape.url(rng, ctx));
            }
            break;
          }
          mine.push_back(ms);
          auto doc = json::Parse(reply->body);
          if (!doc.ok()) continue;
          const json::Value* entries = doc->Find("entry");
          // _summary=count (an empty entry list) or a read: the total, or one resource.
          if (entries == nullptr || (entries->is_array() && entries->as_array().empty())) {
            double total = 0;
            if (const json::Value* v = doc->Find("total");
                v && v->is_number() && absl::SimpleAtod(v->as_number().text, &total)) {
              my_matches += total;
            } else if (doc->Find("total") == nullptr) {
              my_matches += 1;
            }
          } else if (entries->is_array()) {
            my_matches += entries->as_array().size();
          }
          if (const json::Value* links = doc->Find("link"); links && links->is_array()) {
            for (const json::Value& l : links->as_array()) {
              const std::string* rel = l.FindString("relation");
              const std::string* url = l.FindString("url");
              if (rel && url && *rel == "next") target = PathOf(*url);
            }
          }
        }
      }
      std::lock_guard lock(mu);
      millis.insert(millis.end(), mine.begin(), mine.end());
      matches += my_matches;
      result.errors += errors;
      if (result.first_error.empty()) result.first_error = first_error;
    });
  }
  for (std::thread& th : threads) th.join();
  result.samples = millis.size();
  std::tie(result.p50_ms, result.p99_ms) = Percentiles(millis);
  result.mean_matches = millis.empty() ? 0 : matches / millis.size();
  return result;
}

// The raw COUNT(*) of the same index rows: the floor a count through the server can reach.
void RawCount(db::Database& db, const Shape& shape, const Config& config, ShapeResult* out) {
  std::vector<std::string> parts = absl::StrSplit(ToAbsl(shape.raw_param), '.');
  const auto* param = fhir::search::SearchParamRegistry::Default().Find(parts[0], parts[1]);
  if (param == nullptr) return;
  Rng rng(config.seed);
  std::vector<double> millis;
  double rows = 0;
  for (int i = 0; i < std::min(config.iterations, 30); ++i) {
    const std::string code = shape.raw_code(rng);
    const auto start = SteadyClock::now();
    absl::Status st = db.Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(db::Rows r, s.Query("SELECT COUNT(*) FROM sp_token WHERE p = :p AND code = :code",
                                           {{"p", param->key}, {"code", code}}));
      rows += static_cast<double>(r[0].Int(0));
      return absl::OkStatus();
    });
    if (!st.ok()) {
      std::fprintf(stderr, "raw count: %s\n", std::string(st.message()).c_str());
      return;
    }
    millis.push_back(SecondsSince(start) * 1000);
  }
  out->raw_p50_ms = Percentiles(millis).first;
  out->raw_mean = rows / millis.size();
}

absl::Status Run(const Config& config) {
  std::vector<Target> targets;
  for (const std::string& spec : config.targets) {
    std::vector<std::string> f = absl::StrSplit(ToAbsl(spec), absl::MaxSplits(',', 2));
    Target t;
    t.name = f[0];
    if (f.size() < 2) return absl::InvalidArgumentError("--target NAME,HOST:PORT[,DB]");
    size_t colon = f[1].rfind(':');
    uint32_t port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(ToAbsl(f[1]).substr(colon + 1), &port)) {
      return absl::InvalidArgumentError("--target NAME,HOST:PORT[,DB]");
    }
    t.host = f[1].substr(0, colon);
    t.port = static_cast<uint16_t>(port);
    if (f.size() > 2) t.db = f[2];
    if (!config.client.empty()) {
      ASSIGN_OR_RETURN(t.token, FetchClientToken(t.host, t.port, config.client));
    }
    targets.push_back(std::move(t));
  }
  Population population(config.patients, config.seed);
  const std::vector<Shape> shapes = Shapes();
  std::map<std::string, std::vector<ShapeResult>> results;  // by shape, per target
  std::vector<LoadResult> loads;
  for (const Target& t : targets) {
    std::printf("== %s: loading %d patients (%d bundles) from %d clients, load %s\n", t.name.c_str(),
                config.patients, population.bundles(), config.load_clients, LoadAverage().c_str());
    std::fflush(stdout);
    std::vector<PatientFacts> facts;
    std::vector<std::string> org_ids;
    LoadResult load = Load(t, population, config.load_clients, &facts, &org_ids);
    std::printf("   %zu resources in %.1f s: %.0f resources/s; %zu bundles failed %s; load %s\n", load.resources,
                load.seconds, load.resources / load.seconds, load.failed_bundles, load.first_failure.c_str(),
                LoadAverage().c_str());
    loads.push_back(load);
    if (facts.empty()) return absl::InternalError("no Patient was loaded");
    if (config.vacuum && t.db.starts_with("postgresql://")) {
      // Index-only scans (counts) skip heap fetches only for pages the visibility map marks
      // all-visible, which a VACUUM sets; autovacuum would, some time after a bulk load.
      const auto start = SteadyClock::now();
      int rc = std::system(StrCat("vacuumdb --quiet --analyze --dbname='", t.db, "'").c_str());
      std::printf("   VACUUM (ANALYZE): %s in %.1f s\n", rc == 0 ? "done" : "FAILED", SecondsSince(start));
    }
    std::unique_ptr<db::Database> db;
    if (!t.db.empty()) {
      auto opened = db::Database::Open({.target = t.db, .read_connections = 1});
      if (opened.ok()) {
        db = *std::move(opened);
      } else {
        std::printf("   (no raw baseline: %s)\n", std::string(opened.status().message()).c_str());
      }
    }
    Context ctx{&facts, &org_ids, load};
    for (size_t i = 0; i < shapes.size(); ++i) {
      const Shape& shape = shapes[i];
      if (!config.only.empty() && std::none_of(config.only.begin(), config.only.end(), [&](const std::string& o) {
            return shape.name.find(o) != std::string::npos;
          })) {
        continue;
      }
      ShapeResult r = RunShape(t, shape, ctx, config, i);
      if (db && !shape.raw_param.empty()) RawCount(*db, shape, config, &r);
      std::printf("   %-72s p50 %8.2f ms  p99 %8.2f ms  matches %9.1f  (%zu samples%s)\n", shape.name.c_str(),
                  r.p50_ms, r.p99_ms, r.mean_matches, r.samples,
                  r.errors ? StrCat(", ", r.errors, " errors").c_str() : "");
      if (!r.first_error.empty()) std::printf("      first error: %s\n", r.first_error.c_str());
      std::fflush(stdout);
      results[shape.name].resize(targets.size());
      results[shape.name][&t - targets.data()] = std::move(r);
    }
    std::printf("   load after queries: %s\n", LoadAverage().c_str());
  }

  // Summary table (markdown), one column group per target.
  std::printf("\n## %d patients, seed %llu, %d query clients, <= %d requests per shape\n\n", config.patients,
              static_cast<unsigned long long>(config.seed), config.query_clients, config.iterations);
  std::printf("| load |");
  for (const Target& t : targets) std::printf(" %s |", t.name.c_str());
  std::printf("\n|---|");
  for (size_t i = 0; i < targets.size(); ++i) std::printf("---|");
  std::printf("\n| resources, seconds, resources/s |");
  for (const LoadResult& l : loads) std::printf(" %zu, %.0f s, %.0f/s |", l.resources, l.seconds, l.resources / l.seconds);
  std::printf("\n\n| shape | kind |");
  for (const Target& t : targets) std::printf(" %s p50 / p99 ms | matches/req | matches/s | target |", t.name.c_str());
  std::printf("\n|---|---|");
  for (size_t i = 0; i < targets.size(); ++i) std::printf("---|---|---|---|");
  std::printf("\n");
  for (const Shape& shape : shapes) {
    auto it = results.find(shape.name);
    if (it == results.end()) continue;
    std::printf("| `%s` | %s |", shape.name.c_str(), KindName(shape.kind));
    for (const ShapeResult& r : it->second) {
      const double rate = r.p50_ms > 0 ? r.mean_matches / (r.p50_ms / 1000) : 0;
      std::string verdict = "";
      if (shape.kind == Kind::kPatient) {
        verdict = r.p99_ms <= kPatientP99TargetMs ? "MET (p99 <= 50 ms)" : "SHORT (p99 <= 50 ms)";
      } else if (shape.kind == Kind::kCount) {
        verdict = rate >= kCountTarget ? "MET (>= 5 M/s)" : "SHORT (>= 5 M/s)";
        if (r.raw_p50_ms >= 0) {
          verdict += absl::StrFormat("; raw COUNT(*) %.2f ms = %.2g/s", r.raw_p50_ms,
                                     r.raw_mean / std::max(1e-6, r.raw_p50_ms / 1000));
        }
      }
      if (r.errors) verdict += StrCat(" ", r.errors, " errors");
      std::printf(" %.2f / %.2f | %.1f | %s | %s |", r.p50_ms, r.p99_ms, r.mean_matches,
                  shape.kind == Kind::kCount || shape.kind == Kind::kDownload ? absl::StrFormat("%.3g", rate).c_str()
                                                                              : "",
                  verdict.c_str());
    }
    std::printf("\n");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace rhip::bench

int main(int argc, char** argv) {
  rhip::bench::Config config;
  CLI::App app("bench_search: FHIR search latency on a synthetic population, per database");
  app.add_option("--target", config.targets, "NAME,HOST:PORT[,DB] of a running rhip serve (repeatable); DB "
                                             "(SQLite dir or postgresql:// URI) for the raw COUNT(*) baseline")
      ->required();
  app.add_option("--client", config.client,
                 "System client ID:SECRET (rhip's RHIP_BOOTSTRAP_CLIENT) whose token /fhir requests carry");
  app.add_option("--patients", config.patients, "Patients to generate and load")->capture_default_str();
  app.add_option("--seed", config.seed, "Generator seed")->capture_default_str();
  app.add_option("--load-clients", config.load_clients, "Loading connections")->capture_default_str();
  app.add_option("--clients", config.query_clients, "Query connections")->capture_default_str();
  app.add_option("--iterations", config.iterations, "Requests per shape at most")->capture_default_str();
  app.add_option("--max-seconds", config.max_seconds, "Seconds per shape at most")->capture_default_str();
  app.add_option("--only", config.only, "Run only the shapes whose name contains this (repeatable)");
  app.add_option("--vacuum", config.vacuum,
                 "VACUUM (ANALYZE) a PostgreSQL target (given with its URI) after loading, as autovacuum "
                 "would before long")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  absl::Status st = rhip::bench::Run(config);
  if (!st.ok()) {
    std::fprintf(stderr, "bench_search: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
