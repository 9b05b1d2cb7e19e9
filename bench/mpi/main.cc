// MPI linkage quality and speed (docs/PERFORMANCE.md "MPI quality and speed").
//
//   bench_mpi quality [--chinese N]      precision / recall / F1 on FEBRL 1–3, Splink fake_1000 and
//                                        N synthetic Chinese residents + 10 % duplicates, for the
//                                        same-run baselines (exact ID; untrained StartingModel)
//                                        and the trained models
//   bench_mpi speed [--records N]        dedupe of N synthetic residents: blocking, scoring
//                                        (pairs/s per core), clustering, wall time
//   bench_mpi train-default --out FILE   trains the shipped default model (registry/mpi/
//                                        default_model.json) on the synthetic residents
//
// Shared data: --data DIR (default: the checkout's ../shared/data).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "core/strings.h"
#include "core/testing/paths.h"
#include "registry/mpi/blocking.h"
#include "registry/mpi/linker.h"
#include "registry/mpi/model_io.h"
#include "registry/mpi/testing/labelled_sets.h"
#include "registry/mpi/testing/synthetic_residents.h"
#include "registry/mpi/training.h"

namespace {

using namespace rhip::registry::mpi;
using rhip::StrCat;
namespace mt = rhip::registry::mpi::testing;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// The default model's training set: seed 1, distinct from the test and benchmark seeds.
constexpr size_t kDefaultTrainingPeople = 200000;
constexpr uint64_t kDefaultTrainingSeed = 1;
constexpr uint64_t kBenchSeed = 2026;

struct Quality : mt::PairwiseQuality {
  int64_t review_pairs = -1, review_true = 0;
  Quality(const mt::PairwiseQuality& q) : mt::PairwiseQuality(q) {}
};

void PrintQuality(const char* label, const Quality& q, double start) {
  const double seconds = Now() - start;
  std::printf("  %-34s precision %.4f  recall %.4f  F1 %.4f  (%lld true, %lld predicted pairs, %.2f s)\n",
              label, q.precision, q.recall, q.f1, static_cast<long long>(q.true_pairs),
              static_cast<long long>(q.predicted_pairs), seconds);
  if (q.review_pairs >= 0) {
    std::printf("  %-34s review queue: %lld pairs, %lld of them true\n", "", static_cast<long long>(q.review_pairs),
                static_cast<long long>(q.review_true));
  }
}

// Baseline: records with the same non-empty ID number are one person; nothing else links.
mt::PairwiseQuality ExactIdBaseline(const mt::LabelledSet& set) {
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<std::pair<std::string, uint32_t>> ids;
  for (size_t i = 0; i < set.records.size(); ++i) {
    if (!set.records[i].resident_id.empty()) ids.emplace_back(set.records[i].resident_id, i);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i].first == ids[i - 1].first) pairs.emplace_back(ids[i - 1].second, ids[i].second);
  }
  return mt::ClusterQuality(Clusters(set.records.size(), pairs), set.entity);
}

Quality Link(const mt::LabelledSet& set, const Model& model, const Thresholds& t,
                         LinkResult* out = nullptr) {
  const NameFrequencyTable tf(set.records);
  const Scorer scorer(model, &tf);
  LinkResult result = Deduplicate(set.records, scorer, {.thresholds = t});
  Quality q = mt::ClusterQuality(result.cluster_of, set.entity);
  // The manual-review queue this would fill: pairs between the thresholds and outside one cluster.
  int64_t review = 0, review_true = 0;
  for (const ScoredPair& p : result.pairs) {
    if (p.decision != Decision::kReview || result.cluster_of[p.a] == result.cluster_of[p.b]) continue;
    ++review;
    review_true += set.entity[p.a] == set.entity[p.b];
  }
  q.review_pairs = review;
  q.review_true = review_true;
  if (out != nullptr) *out = std::move(result);
  return q;
}

std::string Show(const PersonRecord& r) {
  return StrCat(r.family, "|", r.given, " id=", r.resident_id, " dob=", r.birth_date, " ph=", r.phone,
                " div=", r.division_code);
}

// Some true pairs the clustering missed, with their levels, weight and whether blocking found them.
void PrintMisses(const mt::LabelledSet& set, const Model& model, const LinkResult& result) {
  const NameFrequencyTable tf(set.records);
  const Scorer scorer(model, &tf);
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_entity;
  for (size_t i = 0; i < set.entity.size(); ++i) by_entity[set.entity[i]].push_back(i);
  int shown = 0, unblocked = 0, low = 0;
  for (const auto& [e, members] : by_entity) {
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size(); ++y) {
        const uint32_t a = members[x], b = members[y];
        if (result.cluster_of[a] == result.cluster_of[b]) continue;
        auto ka = BlockingKeys(set.records[a]), kb = BlockingKeys(set.records[b]);
        std::vector<int64_t> common;
        std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(common));
        if (common.empty()) {
          ++unblocked;
        } else {
          ++low;
        }
        if (shown++ < 12) {
          const AgreementPattern p = Compare(set.records[a], set.records[b]);
          std::printf("    miss %s blocked=%d w=%.1f levels=%d%d%d%d%d%d\n      %s\n      %s\n",
                      common.empty() ? "UNBLOCKED" : "", !common.empty(),
                      scorer.Weight(set.records[a], set.records[b]), p.levels[0], p.levels[1],
                      p.levels[2], p.levels[3], p.levels[4], p.levels[5], Show(set.records[a]).c_str(),
                      Show(set.records[b]).c_str());
        }
      }
    }
  }
  std::printf("  missed true pairs: %d not blocked, %d blocked but below the link threshold\n", unblocked, low);
  int false_links = 0;
  for (const ScoredPair& p : result.pairs) {
    if (p.decision != Decision::kLink || set.entity[p.a] == set.entity[p.b]) continue;
    if (false_links++ < 12) {
      const AgreementPattern levels = Compare(set.records[p.a], set.records[p.b]);
      std::printf("    false link w=%.1f levels=%d%d%d%d%d%d\n      %s\n      %s\n", p.weight,
                  levels.levels[0], levels.levels[1], levels.levels[2], levels.levels[3],
                  levels.levels[4], levels.levels[5], Show(set.records[p.a]).c_str(),
                  Show(set.records[p.b]).c_str());
    }
  }
  std::printf("  false link pairs: %d\n", false_links);
}

void Evaluate(const mt::LabelledSet& set, bool verbose, const std::vector<mt::SyntheticRecord>* synthetic) {
  std::printf("%s: %zu records\n", set.name.c_str(), set.records.size());
  double start = Now();
  PrintQuality("baseline: exact ID only", ExactIdBaseline(set), start);
  start = Now();
  PrintQuality("baseline: StartingModel (untrained)", Link(set, StartingModel(), {}), start);
  start = Now();
  PrintQuality("default model", Link(set, DefaultModel(), {}), start);
  start = Now();
  auto trained = Train(set.records, {.u_pairs = 2'000'000});
  if (!trained.ok()) {
    std::printf("  training failed: %s\n", std::string(trained.status().message()).c_str());
    return;
  }
  const double train_seconds = Now() - start;
  start = Now();
  LinkResult result;
  const auto q = Link(set, trained->model, {}, &result);
  PrintQuality(StrCat("trained on the set (", static_cast<int>(train_seconds * 1000), " ms)").c_str(), q,
               start);
  if (verbose) {
    std::printf("%s", DescribeTraining(*trained).c_str());
    PrintMisses(set, trained->model, result);
  }
  if (synthetic != nullptr) {
    // Which errors the misses carry: recall per duplicate error kind.
    std::map<std::string, std::pair<int, int>> by_error;  // found, all
    std::unordered_map<uint32_t, uint32_t> cluster_of_original;
    for (size_t i = 0; i < synthetic->size(); ++i) {
      if (!(*synthetic)[i].duplicate) cluster_of_original[(*synthetic)[i].person] = result.cluster_of[i];
    }
    for (size_t i = 0; i < synthetic->size(); ++i) {
      const auto& r = (*synthetic)[i];
      if (!r.duplicate) continue;
      const bool found = cluster_of_original[r.person] == result.cluster_of[i];
      for (auto e : r.errors) {
        auto& [f, all] = by_error[mt::DuplicateErrorName(e)];
        f += found;
        ++all;
      }
    }
    std::printf("  recall of duplicate vs original, by error carried:\n");
    for (const auto& [name, fa] : by_error) {
      std::printf("    %-24s %5d / %5d  %.3f\n", name.c_str(), fa.first, fa.second,
                  static_cast<double>(fa.first) / fa.second);
    }
  }
}

int Quality(const std::string& data, size_t chinese, bool verbose) {
  for (const char* name : {"dataset1.csv", "dataset2.csv", "dataset3.csv"}) {
    auto set = mt::LoadFebrl(StrCat(data, "/mpi/", name));
    if (!set.ok()) {
      std::fprintf(stderr, "%s\n", std::string(set.status().message()).c_str());
      return 1;
    }
    Evaluate(*set, verbose, nullptr);
  }
  auto fake = mt::LoadSplinkFake1000(data + "/mpi/fake_1000.csv");
  if (!fake.ok()) {
    std::fprintf(stderr, "%s\n", std::string(fake.status().message()).c_str());
    return 1;
  }
  Evaluate(*fake, verbose, nullptr);
  const auto people = mt::GenerateResidents({.people = chinese, .seed = kBenchSeed});
  Evaluate(mt::FromSynthetic(StrCat("synthetic Chinese residents (", chinese, " + 10 % duplicates, seed ",
                                    kBenchSeed, ")"),
                             people),
           verbose, &people);
  return 0;
}

int Speed(size_t n) {
  std::printf("dedupe of %zu synthetic residents + 10 %% duplicates (seed %llu)\n", n,
              static_cast<unsigned long long>(kBenchSeed));
  double start = Now();
  const auto people = mt::GenerateResidents({.people = n, .seed = kBenchSeed});
  std::printf("  generate %zu records: %.1f s\n", people.size(), Now() - start);
  start = Now();
  std::vector<PersonRecord> records;
  records.reserve(people.size());
  for (const auto& p : people) records.push_back(Normalize(p.Fields()));
  std::printf("  normalize: %.1f s (one thread; the store keeps normalized records)\n", Now() - start);
  start = Now();
  const NameFrequencyTable tf(records);
  const Scorer scorer(DefaultModel(), &tf);
  std::printf("  name frequencies: %.1f s\n", Now() - start);
  std::vector<uint32_t> entity;
  for (const auto& p : people) entity.push_back(p.person);
  for (int threads : {1, 2}) {
    start = Now();
    const double cpu = CpuSeconds();
    const LinkResult r = Deduplicate(records, scorer, {.threads = threads});
    if (threads == 1) {
      const auto q = mt::ClusterQuality(r.cluster_of, entity);
      std::printf("  default model: precision %.4f  recall %.4f  F1 %.4f\n", q.precision, q.recall, q.f1);
    }
    const double wall = Now() - start;
    std::printf("  Deduplicate, %d thread(s): %.2f s wall (keys and blocks %.2f s, scoring %.2f s, "
                "clusters %.2f s), %.2f s CPU\n"
                "    %lld pairs scored (%.2f M pairs per CPU second in the scoring phase), %lld blocks, "
                "%lld skipped (%lld pairs); %zu link/review pairs\n",
                threads, wall, r.blocking_seconds, r.scoring_seconds, r.clustering_seconds,
                CpuSeconds() - cpu, static_cast<long long>(r.pairs_scored),
                r.pairs_scored / r.scoring_cpu_seconds / 1e6, static_cast<long long>(r.blocks),
                static_cast<long long>(r.blocks_skipped),
                static_cast<long long>(r.pairs_in_skipped_blocks), r.pairs.size());
  }
  start = Now();
  const double cpu = CpuSeconds();
  auto trained = Train(records, {});
  if (!trained.ok()) return 1;
  std::printf("  Train (10^7 u pairs, 3 EM rounds, 2 threads for u): %.1f s wall, %.1f s CPU\n", Now() - start,
              CpuSeconds() - cpu);
  return 0;
}

int TrainDefault(const std::string& out) {
  const auto people =
      mt::GenerateResidents({.people = kDefaultTrainingPeople, .seed = kDefaultTrainingSeed});
  std::vector<PersonRecord> records;
  for (const auto& p : people) records.push_back(Normalize(p.Fields()));
  auto trained = Train(records, {});
  if (!trained.ok()) {
    std::fprintf(stderr, "%s\n", std::string(trained.status().message()).c_str());
    return 1;
  }
  std::printf("%s", DescribeTraining(*trained).c_str());
  const std::string description =
      StrCat("Trained by `bench_mpi train-default` on ", records.size(),
             " synthetic Chinese residents (registry/mpi/testing/synthetic_residents.h: ",
             kDefaultTrainingPeople, " people + 10 % duplicates, seed ", kDefaultTrainingSeed,
             "), default TrainingOptions.");
  std::ofstream file(out);
  file << ModelToJson(trained->model, description);
  return file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MPI linkage quality and speed"};
  std::string data = rhip::testing::SharedDataDir();
  app.add_option("--data", data, "shared data directory");
  auto* quality = app.add_subcommand("quality", "precision, recall and F1 on the labelled sets");
  size_t chinese = 100000;
  bool verbose = false;
  quality->add_option("--chinese", chinese, "synthetic residents");
  quality->add_flag("--verbose", verbose, "print the trained models");
  auto* speed = app.add_subcommand("speed", "dedupe time and pairs per second");
  size_t records = 200000;
  speed->add_option("--records", records, "synthetic residents");
  auto* train = app.add_subcommand("train-default", "train the shipped default model");
  std::string out;
  train->add_option("--out", out, "model file")->required();
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  if (*quality) return Quality(data, chinese, verbose);
  if (*speed) return Speed(records);
  return TrainDefault(out);
}
