#include "registry/mpi/fellegi_sunter.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"
#include "core/strings.h"

namespace rhip::registry::mpi {
namespace {

// Probabilities of levels 1..n-1 given, the last ("else") takes the rest.
std::vector<double> WithRest(std::initializer_list<double> given) {
  std::vector<double> p = {0.0};
  double sum = 0;
  for (double x : given) {
    p.push_back(x);
    sum += x;
  }
  p.push_back(1.0 - sum);
  return p;
}

constexpr size_t Index(Comparison c) { return static_cast<size_t>(c); }

}  // namespace

Model StartingModel() {
  Model model;
  auto set = [&](Comparison c, std::initializer_list<double> m, std::initializer_list<double> u) {
    model.m[Index(c)] = WithRest(m);
    model.u[Index(c)] = WithRest(u);
  };
  // name: exact, same pinyin, swapped, one character, JW ≥ 0.92, JW ≥ 0.80 (else = rest)
  set(Comparison::kName, {0.85, 0.04, 0.01, 0.04, 0.03, 0.02},
      {5e-4, 5e-4, 5e-5, 2e-3, 1e-2, 5e-2});
  // ID: exact, one digit, transposition
  set(Comparison::kResidentId, {0.93, 0.03, 0.01}, {1e-7, 2e-6, 1e-7});
  // birth date: exact, one digit, day/month swapped, same year-month
  set(Comparison::kBirthDate, {0.90, 0.03, 0.01, 0.03}, {4e-5, 3e-4, 1e-5, 8e-4});
  // sex: equal (different = rest)
  set(Comparison::kSex, {0.98}, {0.5});
  // phone: exact, last 8
  set(Comparison::kPhone, {0.70, 0.05}, {1e-5, 1e-5});
  // address: village, township, county
  set(Comparison::kAddress, {0.60, 0.15, 0.15}, {5e-4, 5e-3, 5e-2});
  return model;
}

absl::Status ValidateModel(const Model& model) {
  if (!(model.lambda > 0 && model.lambda < 1)) {
    return MakeError(ErrorKind::kInvalid, "MPI model: lambda must lie in (0, 1)");
  }
  for (size_t k = 0; k < kComparisonCount; ++k) {
    if (model.m[k].size() != kLevelCounts[k] || model.u[k].size() != kLevelCounts[k]) {
      return MakeError(ErrorKind::kInvalid, StrCat("MPI model: comparison ", k, " needs ",
                                                   int{kLevelCounts[k]}, " levels"));
    }
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      for (double p : {model.m[k][level], model.u[k][level]}) {
        if (!(p > 0 && p <= 1)) {
          return MakeError(ErrorKind::kInvalid,
                           StrCat("MPI model: comparison ", k, " level ", level,
                                  ": probabilities must lie in (0, 1]"));
        }
      }
    }
  }
  if (model.tf_weight < 0 || model.tf_weight > 1 || !(model.tf_min > 0)) {
    return MakeError(ErrorKind::kInvalid, "MPI model: tf_weight must lie in [0, 1], tf_min > 0");
  }
  return absl::OkStatus();
}

NameFrequencyTable::NameFrequencyTable(std::span<const PersonRecord> records) {
  size_t named = 0;
  for (const auto& r : records) {
    if (r.full.empty()) continue;
    frequency_[r.full] += 1;
    ++named;
  }
  for (auto& [name, f] : frequency_) f /= static_cast<double>(named);
}

double NameFrequencyTable::NameFrequency(std::string_view folded_full_name) const {
  auto it = frequency_.find(ToAbsl(folded_full_name));
  return it == frequency_.end() ? 0.0 : it->second;
}

Scorer::Scorer(const Model& model, const TermFrequencies* tf)
    : prior_weight_(std::log2(model.lambda / (1 - model.lambda))),
      tf_(tf),
      tf_weight_(model.tf_weight),
      tf_min_(model.tf_min),
      log2_u_exact_name_(
          std::log2(model.u[Index(Comparison::kName)][static_cast<size_t>(NameLevel::kExact)])) {
  for (size_t k = 0; k < kComparisonCount; ++k) {
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      weights_[k][level] = std::log2(model.m[k][level] / model.u[k][level]);
    }
  }
}

double Scorer::LevelWeight(Comparison comparison, uint8_t level) const {
  return weights_[Index(comparison)][level];
}

double Scorer::Weight(const AgreementPattern& pattern) const {
  double w = prior_weight_;
  for (size_t k = 0; k < kComparisonCount; ++k) w += weights_[k][pattern.levels[k]];
  return w;
}

double Scorer::NameFrequencyAdjustment(const PersonRecord& a, const PersonRecord& b) const {
  if (tf_ == nullptr || tf_weight_ == 0 || a.full.empty() || a.full != b.full) return 0;
  const double tf = std::max({tf_->NameFrequency(a.full), tf_->NameFrequency(b.full), tf_min_});
  return tf_weight_ * (log2_u_exact_name_ - std::log2(tf));
}

double Scorer::Weight(const PersonRecord& a, const PersonRecord& b) const {
  const AgreementPattern pattern = Compare(a, b);
  double w = Weight(pattern);
  if (pattern.levels[Index(Comparison::kName)] == static_cast<uint8_t>(NameLevel::kExact)) {
    w += NameFrequencyAdjustment(a, b);
  }
  return w;
}

double MatchProbability(double weight) {
  // 2^M / (1 + 2^M), written to stay finite for large |M|.
  return 1.0 / (1.0 + std::exp2(-weight));
}

Decision Decide(double probability, const Thresholds& thresholds) {
  if (probability >= thresholds.link) return Decision::kLink;
  if (probability >= thresholds.review) return Decision::kReview;
  return Decision::kSeparate;
}

std::vector<PatternCount> CountPatterns(std::span<const PersonRecord> records,
                                        std::span<const std::pair<uint32_t, uint32_t>> pairs) {
  std::vector<PatternCount> out;
  absl::flat_hash_map<uint32_t, size_t> index;
  for (const auto& [i, j] : pairs) {
    const AgreementPattern p = Compare(records[i], records[j]);
    auto [it, inserted] = index.try_emplace(p.Pack(), out.size());
    if (inserted) out.push_back({p, 0});
    out[it->second].count += 1;
  }
  return out;
}

LevelProbabilities EstimateU(std::span<const PersonRecord> records, int64_t pair_count,
                             uint64_t seed) {
  std::array<std::array<double, kMaxLevels>, kComparisonCount> counts{};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> first(0, records.size() - 1);
  std::uniform_int_distribution<size_t> other(0, records.size() - 2);
  for (int64_t n = 0; n < pair_count; ++n) {
    const size_t i = first(rng);
    size_t j = other(rng);
    if (j >= i) ++j;  // uniform over j ≠ i
    const AgreementPattern p = Compare(records[i], records[j]);
    for (size_t k = 0; k < kComparisonCount; ++k) counts[k][p.levels[k]] += 1;
  }
  LevelProbabilities u;
  for (size_t k = 0; k < kComparisonCount; ++k) {
    u[k].assign(kLevelCounts[k], 0.0);
    double total = 0;
    for (size_t level = 1; level < kLevelCounts[k]; ++level) {
      total += u[k][level] = std::max(counts[k][level], 0.5);
    }
    for (size_t level = 1; level < kLevelCounts[k]; ++level) u[k][level] /= total;
  }
  return u;
}

EmResult EstimateM(const Model& start, std::span<const PatternCount> patterns,
                   const EmOptions& options) {
  EmResult result{start, options.start_lambda, 0, false};
  Model& model = result.model;
  double lambda = options.start_lambda;
  std::vector<double> posterior(patterns.size());
  for (int iteration = 1; iteration <= options.max_iterations; ++iteration) {
    result.iterations = iteration;
    // E step: P(match | γ) for every pattern.
    double match_total = 0, total = 0;
    for (size_t i = 0; i < patterns.size(); ++i) {
      double pm = lambda, pu = 1 - lambda;
      for (size_t k = 0; k < kComparisonCount; ++k) {
        const uint8_t level = patterns[i].pattern.levels[k];
        // A comparison of the training blocking rule agrees on every pair whatever the match
        // status: counting it would call every pair a match.
        if (level == 0 || options.fixed_m[k]) continue;
        pm *= model.m[k][level];
        pu *= model.u[k][level];
      }
      posterior[i] = pm + pu > 0 ? pm / (pm + pu) : 0;
      match_total += patterns[i].count * posterior[i];
      total += patterns[i].count;
    }
    // M step: m from the expected level counts among matches; λ as the expected match share.
    double change = 0;
    std::array<std::array<double, kMaxLevels>, kComparisonCount> expected{};
    for (size_t i = 0; i < patterns.size(); ++i) {
      for (size_t k = 0; k < kComparisonCount; ++k) {
        expected[k][patterns[i].pattern.levels[k]] += patterns[i].count * posterior[i];
      }
    }
    for (size_t k = 0; k < kComparisonCount; ++k) {
      if (options.fixed_m[k]) continue;
      double non_null = 0;
      for (size_t level = 1; level < kLevelCounts[k]; ++level) non_null += expected[k][level];
      if (non_null <= 0) continue;
      for (size_t level = 1; level < kLevelCounts[k]; ++level) {
        // Kept above 0 so that a level unseen among matches still has a finite weight.
        const double m = std::max(expected[k][level] / non_null, 1e-9);
        change = std::max(change, std::abs(m - model.m[k][level]));
        model.m[k][level] = m;
      }
    }
    const double new_lambda = total > 0 ? match_total / total : lambda;
    change = std::max(change, std::abs(new_lambda - lambda));
    lambda = new_lambda;
    if (change < options.tolerance) {
      result.converged = true;
      break;
    }
  }
  result.training_lambda = lambda;
  return result;
}

}  // namespace rhip::registry::mpi
