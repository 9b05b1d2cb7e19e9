#include "registry/mpi/training.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "registry/mpi/model_io.h"

namespace rhip::registry::mpi {
namespace {

using Pairs = std::vector<std::pair<uint32_t, uint32_t>>;

// Below this, EM has not seen the level among matches (it floors m at 1e-9).
constexpr double kUnseenM = 1e-6;

std::array<bool, kComparisonCount> Fixed(std::initializer_list<Comparison> comparisons) {
  std::array<bool, kComparisonCount> fixed{};
  for (Comparison c : comparisons) fixed[static_cast<size_t>(c)] = true;
  return fixed;
}

// Pairs of records with equal keys, from blocks of at most max_block records; visit(a, b) each.
template <typename Visit>
void ForEachKeyPair(std::span<const PersonRecord> records,
                    const std::function<std::string(const PersonRecord&)>& key, size_t max_block,
                    Visit visit) {
  std::vector<std::pair<size_t, uint32_t>> keyed;
  keyed.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    std::string k = key(records[i]);
    if (!k.empty()) keyed.emplace_back(std::hash<std::string>{}(k), static_cast<uint32_t>(i));
  }
  std::sort(keyed.begin(), keyed.end());
  for (size_t begin = 0; begin < keyed.size();) {
    size_t end = begin + 1;
    while (end < keyed.size() && keyed[end].first == keyed[begin].first) ++end;
    if (end - begin <= max_block) {
      for (size_t x = begin; x < end; ++x) {
        for (size_t y = x + 1; y < end; ++y) visit(keyed[x].second, keyed[y].second);
      }
    }
    begin = end;
  }
}

LevelProbabilities ParallelU(std::span<const PersonRecord> records, int64_t pairs, uint64_t seed,
                             int threads) {
  std::vector<LevelProbabilities> parts(static_cast<size_t>(threads));
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        parts[static_cast<size_t>(t)] =
            EstimateU(records, pairs / threads + (t < pairs % threads ? 1 : 0), seed + 7919 * t);
      });
    }
  }
  LevelProbabilities u = parts[0];
  for (size_t k = 0; k < kComparisonCount; ++k) {
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      double sum = 0;
      for (const auto& part : parts) sum += part[k][level];
      u[k][level] = sum / threads;
    }
  }
  return u;
}

// Random pairs include the true matches (many, in a set with many duplicates): a level's share
// among them is f = λ·m + (1 − λ)·u, so u = (f − λ·m) / (1 − λ), kept above half a count.
void CorrectU(Model& model, int64_t u_pairs) {
  const double floor = 0.5 / static_cast<double>(std::max<int64_t>(u_pairs, 1));
  for (size_t k = 0; k < kComparisonCount; ++k) {
    double total = 0;
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      double& u = model.u[k][level];
      u = std::max((u - model.lambda * model.m[k][level]) / (1 - model.lambda), std::min(u, floor));
      total += u;
    }
    for (size_t level = 1; level < kLevelCounts[k]; ++level) model.u[k][level] /= total;
  }
}

std::string Digits(int32_t date) { return date == 0 ? std::string() : StrCat(date); }

}  // namespace

// No phone rule: a shared phone is mostly a household's, and EM then learns "same household"
// instead of "same person" (measured on the synthetic residents: m(ID exact) fell to 0.5).
std::vector<TrainingRule> DefaultTrainingRules() {
  return {
      {"birth_date", [](const PersonRecord& r) { return Digits(r.birth_date); },
       Fixed({Comparison::kBirthDate})},
      {"resident_id",
       [](const PersonRecord& r) { return r.resident_id.size() >= 6 ? r.resident_id : ""; },
       Fixed({Comparison::kResidentId})},
      {"name_pinyin",
       [](const PersonRecord& r) { return r.pinyin.empty() ? std::string() : r.pinyin.front(); },
       Fixed({Comparison::kName})},
  };
}

absl::StatusOr<TrainingResult> Train(std::span<const PersonRecord> records,
                                     const TrainingOptions& options) {
  if (records.size() < 2) return MakeError(ErrorKind::kInvalid, "MPI training needs 2 records");
  if (!(options.recall > 0 && options.recall <= 1)) {
    return MakeError(ErrorKind::kInvalid, "MPI training: recall must lie in (0, 1]");
  }
  RETURN_IF_ERROR(ValidateModel(options.start));
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  TrainingResult result;
  Model& model = result.model;
  model = options.start;
  result.u_pairs = options.u_pairs;
  model.u = ParallelU(records, options.u_pairs, options.seed, threads);

  // λ: pairs the strict rules link, over all pairs, corrected by the guessed recall.
  absl::flat_hash_set<uint64_t> linked;
  auto note = [&](uint32_t a, uint32_t b) { linked.insert(uint64_t{a} << 32 | b); };
  ForEachKeyPair(
      records, [](const PersonRecord& r) { return r.resident_id.size() >= 7 ? r.resident_id : ""; },
      options.max_block, [&](uint32_t a, uint32_t b) {
        // A shared number alone can be a household's or a mistyped one: with the name or the
        // birth date as well.
        const PersonRecord &x = records[a], &y = records[b];
        if ((!x.full.empty() && x.full == y.full) || (x.birth_date != 0 && x.birth_date == y.birth_date)) {
          note(a, b);
        }
      });
  ForEachKeyPair(
      records,
      [](const PersonRecord& r) {
        return r.full.empty() || r.birth_date == 0 ? std::string() : StrCat(r.full, "|", r.birth_date);
      },
      options.max_block, [&](uint32_t a, uint32_t b) {
        const PersonRecord &x = records[a], &y = records[b];
        const bool same_phone = !x.phone.empty() && x.phone == y.phone;
        const bool same_county = x.division_code.size() >= 6 && y.division_code.size() >= 6 &&
                                 x.division_code.compare(0, 6, y.division_code, 0, 6) == 0;
        if (same_phone || same_county) note(a, b);
      });
  result.deterministic_pairs = static_cast<int64_t>(linked.size());
  const double n = static_cast<double>(records.size());
  const double all_pairs = n * (n - 1) / 2;
  model.lambda = std::clamp(static_cast<double>(linked.size()) / options.recall / all_pairs,
                            1e-12, 0.5);

  // m: EM per training rule, averaged over the rounds that estimated each comparison.
  LevelProbabilities m_sum;
  std::array<int, kComparisonCount> rounds_estimating{};
  for (size_t k = 0; k < kComparisonCount; ++k) m_sum[k].assign(kLevelCounts[k], 0.0);
  std::mt19937_64 rng(options.seed ^ 0x5eedull);
  for (const TrainingRule& rule : options.rules) {
    Pairs pairs;
    ForEachKeyPair(records, rule.key, options.max_block,
                   [&](uint32_t a, uint32_t b) { pairs.emplace_back(a, b); });
    if (static_cast<int64_t>(pairs.size()) > options.max_pairs_per_rule) {
      std::shuffle(pairs.begin(), pairs.end(), rng);
      pairs.resize(static_cast<size_t>(options.max_pairs_per_rule));
    }
    TrainingRound round{rule.name, static_cast<int64_t>(pairs.size())};
    if (!pairs.empty()) {
      const std::vector<PatternCount> patterns = CountPatterns(records, pairs);
      EmOptions em = options.em;
      em.fixed_m = rule.fixed;
      Model start = options.start;
      start.u = model.u;
      const EmResult fit = EstimateM(start, patterns, em);
      round.patterns = patterns.size();
      round.iterations = fit.iterations;
      round.converged = fit.converged;
      round.training_lambda = fit.training_lambda;
      for (size_t k = 0; k < kComparisonCount; ++k) {
        if (rule.fixed[k]) continue;
        ++rounds_estimating[k];
        for (size_t level = 1; level < kLevelCounts[k]; ++level) {
          m_sum[k][level] += fit.model.m[k][level];
        }
      }
    }
    result.rounds.push_back(round);
  }
  for (size_t k = 0; k < kComparisonCount; ++k) {
    if (rounds_estimating[k] == 0) continue;  // keeps the start model's m
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      model.m[k][level] = m_sum[k][level] / rounds_estimating[k];
    }
    // A level the training pairs never show among matches (no landline in the data, no sex
    // errors) keeps the start model's m: EM's floor of 1e-9 would make such evidence count
    // strongly against a match wherever it does occur.
    bool floored = false;
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      if (model.m[k][level] < kUnseenM) {
        model.m[k][level] = options.start.m[k][level];
        floored = true;
      }
    }
    if (floored) {
      double total = 0;
      for (size_t level = 1; level < kLevelCounts[k]; ++level) total += model.m[k][level];
      for (size_t level = 1; level < kLevelCounts[k]; ++level) model.m[k][level] /= total;
    }
  }
  if (result.deterministic_pairs == 0) {
    // No strict rule applies (no IDs, no division codes): the matches EM found in its rounds,
    // over all pairs, stand in for them.
    double matches = 0;
    for (const auto& r : result.rounds) matches = std::max(matches, r.training_lambda * static_cast<double>(r.pairs));
    model.lambda = std::clamp(matches / options.recall / all_pairs, 1e-12, 0.5);
  }
  CorrectU(model, options.u_pairs);
  RETURN_IF_ERROR(ValidateModel(model));
  return result;
}

std::string DescribeTraining(const TrainingResult& result) {
  std::string out = StrCat("lambda ", result.model.lambda, " (", result.deterministic_pairs,
                           " pairs linked by the strict rules); u from ", result.u_pairs,
                           " random pairs\n");
  out += DescribeModel(result.model);
  out += "EM rounds:\n";
  for (const auto& r : result.rounds) {
    char line[200];
    std::snprintf(line, sizeof line, "  %-12s %10lld pairs %5zu patterns %3d iterations%s  match share %.4f\n",
                  r.rule.c_str(), static_cast<long long>(r.pairs), r.patterns, r.iterations,
                  r.converged ? "" : " (not converged)", r.training_lambda);
    out += line;
  }
  return out;
}

}  // namespace rhip::registry::mpi
