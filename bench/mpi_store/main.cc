// The master patient index in the store (docs/PERFORMANCE.md "MPI in the write path"):
//
//   bench_mpi_store [--residents N] [--probes P] [--dir DIR] [--db postgresql://...]
//
// 1. loads N synthetic residents (+10 % duplicates) as Patients through Repository::WriteBulk
//    with the patient index in the write path, and a same-run baseline: the first
//    --baseline-residents of them into a second store without it;
// 2. single-record match latency: P `$match` lookups (PatientIndex::Match) of stored residents'
//    records, p50 / p99;
// 3. single Patient create with matching (Repository::Create), p50 / p99;
// 4. `rhip mpi dedupe` over the whole store (PatientIndex::Dedupe), wall time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "core/clock.h"
#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "registry/mpi/testing/synthetic_residents.h"
#include "registry/patient_fields.h"
#include "registry/patient_index.h"
#include "security/masking.h"

namespace {

using rhip::StrCat;
namespace mt = rhip::registry::mpi::testing;
namespace json = rhip::json;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

json::Value PatientOf(const mt::SyntheticRecord& r) {
  json::Object p;
  p.Set("resourceType", "Patient");
  if (!r.resident_id.empty()) {
    json::Object id;
    id.Set("system", std::string(rhip::security::kResidentIdSystem));
    id.Set("value", r.resident_id);
    p.Set("identifier", json::Value(json::Array{json::Value(std::move(id))}));
  }
  json::Object name;
  name.Set("family", r.family);
  name.Set("given", json::Value(json::Array{json::Value(r.given)}));
  p.Set("name", json::Value(json::Array{json::Value(std::move(name))}));
  if (!r.phone.empty()) {
    json::Object t;
    t.Set("system", "phone");
    t.Set("value", r.phone);
    t.Set("use", "mobile");
    p.Set("telecom", json::Value(json::Array{json::Value(std::move(t))}));
  }
  if (!r.sex.empty()) p.Set("gender", r.sex);
  p.Set("birthDate", r.birth_date);
  json::Object ext;
  ext.Set("url", std::string(rhip::registry::kDivisionCodeExtension));
  ext.Set("valueCode", r.division_code);
  json::Object address;
  address.Set("extension", json::Value(json::Array{json::Value(std::move(ext))}));
  address.Set("use", "home");
  address.Set("text", r.address);
  p.Set("address", json::Value(json::Array{json::Value(std::move(address))}));
  return json::Value(std::move(p));
}

struct Store {
  std::unique_ptr<rhip::db::Database> db;
  std::unique_ptr<rhip::fhir::Repository> repo;
  std::unique_ptr<rhip::registry::PatientIndex> index;
};

Store Open(const std::string& target, bool with_index) {
  rhip::db::Options options;
  options.target = target;
  auto db = rhip::db::Database::Open(options);
  if (!db.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", target.c_str(), std::string(db.status().message()).c_str());
    std::exit(1);
  }
  Store s;
  s.db = *std::move(db);
  s.repo = rhip::fhir::Repository::Create(s.db.get(), &rhip::Clock::Real());
  if (with_index) {
    auto index = rhip::registry::PatientIndex::Open(s.repo.get(), s.db.get(), &rhip::Clock::Real());
    if (!index.ok()) std::exit(1);
    s.index = *std::move(index);
    s.repo->AddWriteInterceptor("Patient", s.index.get());
  }
  return s;
}

double Load(Store& s, const std::vector<mt::SyntheticRecord>& records, size_t count) {
  constexpr size_t kBatch = 2000;
  auto start = std::chrono::steady_clock::now();
  for (size_t begin = 0; begin < count; begin += kBatch) {
    std::vector<json::Value> batch;
    for (size_t i = begin; i < std::min(count, begin + kBatch); ++i) batch.push_back(PatientOf(records[i]));
    auto results = s.repo->WriteBulk(std::move(batch));
    if (!results.ok()) {
      std::fprintf(stderr, "load: %s\n", std::string(results.status().message()).c_str());
      std::exit(1);
    }
    if ((begin / kBatch) % 50 == 0) {
      std::fprintf(stderr, "\r  %zu / %zu Patients, %.0f/s   ", begin + kBatch, count,
                   (begin + kBatch) / Seconds(start));
    }
  }
  std::fprintf(stderr, "\n");
  double seconds = Seconds(start);
  if (!s.repo->BuildStagedIndex().ok()) std::exit(1);
  return count / seconds;
}

void PrintLatency(const char* label, std::vector<double> micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))]; };
  std::printf("%-34s p50 %8.0f µs   p99 %8.0f µs   max %8.0f µs   (%zu)\n", label, at(0.5), at(0.99),
              micros.back(), micros.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MPI in the store: load with matching, $match latency, create latency, dedupe"};
  size_t residents = 100000;
  size_t baseline_residents = 100000;
  size_t probes = 2000;
  std::string dir = "/tmp/bench_mpi_store";
  std::string pg;
  bool reuse = false;
  app.add_option("--residents", residents, "Synthetic residents (plus 10 % duplicates)");
  app.add_option("--baseline-residents", baseline_residents, "Of them, loaded without the index");
  app.add_option("--probes", probes, "Match and create samples");
  app.add_option("--dir", dir, "Scratch directory (removed first)");
  app.add_option("--db", pg, "postgresql://... instead of SQLite in --dir");
  app.add_flag("--reuse", reuse, "Keep the store a previous run with the same --residents loaded: "
                                 "measure only (match, create, dedupe)");
  CLI11_PARSE(app, argc, argv);

  if (!reuse) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir + "/with");
    std::filesystem::create_directories(dir + "/without");
  }
  std::printf("generating %zu residents + 10 %% duplicates\n", residents);
  std::vector<mt::SyntheticRecord> records = mt::GenerateResidents({.people = residents, .seed = 7});
  // Probes and creates: records held back from the load (duplicates of loaded people mostly).
  size_t held = std::min(records.size() / 10, probes);
  size_t load_count = records.size() - held;

  Store with = Open(pg.empty() ? dir + "/with" : pg, /*with_index=*/true);
  if (!reuse) {
    double with_rate = Load(with, records, load_count);
    size_t base_count = std::min(baseline_residents, load_count);
    if (pg.empty() && base_count > 0) {
      Store without = Open(dir + "/without", /*with_index=*/false);
      double without_rate = Load(without, records, base_count);
      std::printf("bulk load, Patients/s                with the index %.0f (%zu)   baseline without %.0f (%zu)\n",
                  with_rate, load_count, without_rate, base_count);
    } else {
      std::printf("bulk load, Patients/s                with the index %.0f (%zu)\n", with_rate, load_count);
    }
  }

  std::vector<double> match_us;
  for (size_t i = load_count; i < records.size(); ++i) {
    json::Value probe = PatientOf(records[i]);
    auto start = std::chrono::steady_clock::now();
    auto found = with.index->Match(probe, 10, false);
    match_us.push_back(Seconds(start) * 1e6);
    if (!found.ok()) return 1;
  }
  PrintLatency("$match (PatientIndex::Match)", match_us);

  std::vector<double> create_us;
  for (size_t i = load_count; i < records.size(); ++i) {
    auto start = std::chrono::steady_clock::now();
    auto created = with.repo->Create(PatientOf(records[i]), "");
    create_us.push_back(Seconds(start) * 1e6);
    if (!created.ok()) return 1;
  }
  PrintLatency("Patient create with matching", create_us);

  auto start = std::chrono::steady_clock::now();
  auto report = with.index->Dedupe({});
  if (!report.ok()) return 1;
  std::printf("dedupe of %lld records                  %.1f s (link %.1f s, %lld pairs, %lld moved)\n",
              static_cast<long long>(report->records), Seconds(start), report->link_seconds,
              static_cast<long long>(report->pairs_scored),
              static_cast<long long>(report->patients_moved));
  return 0;
}
