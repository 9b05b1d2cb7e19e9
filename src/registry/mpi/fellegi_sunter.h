// Fellegi–Sunter scoring and training over the comparisons of comparisons.h (docs/MPI.md).
//
//   weight M = log2(λ / (1 − λ)) + Σ_k log2(m_k[γ_k] / u_k[γ_k])   (null levels add 0)
//              + term-frequency adjustment on an exact name
//   probability p = 2^M / (1 + 2^M); two thresholds on p: link / review / separate.
// u comes from random pairs (EstimateU), m from EM on aggregated agreement patterns (EstimateM).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "registry/mpi/comparisons.h"
#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

// Per comparison, indexed by level (kLevelCounts[k] entries; entry 0, the null level, is unused).
using LevelProbabilities = std::array<std::vector<double>, kComparisonCount>;

struct Model {
  double lambda = 1e-4;  // prior probability that two records picked for comparison match
  LevelProbabilities m;  // P(level | match)
  LevelProbabilities u;  // P(level | non-match)
  // Term frequency on an exact name: w and the floor tf_min of the formula in docs/MPI.md.
  double tf_weight = 1.0;
  double tf_min = 1e-7;
};

// Plausible hand-set values: the starting point of EM and of the u sampler's first model, not a
// trained model.
Model StartingModel();

// kInvalid unless every comparison has kLevelCounts[k] levels, every non-null m and u lies in
// (0, 1], and 0 < λ < 1.
absl::Status ValidateModel(const Model& model);

// Share of records (0..1] that carry a folded full name; 0 when unknown.
class TermFrequencies {
 public:
  virtual ~TermFrequencies() = default;
  virtual double NameFrequency(std::string_view folded_full_name) const = 0;
};

// Frequencies counted from a set of records (the store's own data: names differ by province).
class NameFrequencyTable final : public TermFrequencies {
 public:
  explicit NameFrequencyTable(std::span<const PersonRecord> records);
  double NameFrequency(std::string_view folded_full_name) const override;

 private:
  absl::flat_hash_map<std::string, double> frequency_;
};

// Weights precomputed from a Model. Immutable and thread-safe; scoring does not allocate.
class Scorer {
 public:
  // REQUIRES: ValidateModel(model).ok(). tf may be null (no adjustment); it must outlive the
  // Scorer.
  explicit Scorer(const Model& model, const TermFrequencies* tf = nullptr);

  double PriorWeight() const { return prior_weight_; }
  double LevelWeight(Comparison comparison, uint8_t level) const;
  // Without term-frequency adjustment.
  double Weight(const AgreementPattern& pattern) const;
  // The pair's full match weight, with the term-frequency adjustment when the names are exact.
  double Weight(const PersonRecord& a, const PersonRecord& b) const;
  // w · (log2(u_exact) − log2(max(tf_a, tf_b, tf_min))) for an exact name; 0 otherwise.
  double NameFrequencyAdjustment(const PersonRecord& a, const PersonRecord& b) const;

 private:
  double prior_weight_;
  std::array<std::array<double, kMaxLevels>, kComparisonCount> weights_{};
  const TermFrequencies* tf_;
  double tf_weight_;
  double tf_min_;
  double log2_u_exact_name_;
};

double MatchProbability(double weight);

enum class Decision : uint8_t { kLink, kReview, kSeparate };

struct Thresholds {
  double link = 0.99;   // p ≥ link → link automatically
  double review = 0.5;  // review ≤ p < link → manual review; below → separate
};
Decision Decide(double probability, const Thresholds& thresholds);

// --- Training ---

struct PatternCount {
  AgreementPattern pattern;
  double count = 0;
};

// Aggregated agreement patterns of the given pairs (indices into records), in first-seen order.
std::vector<PatternCount> CountPatterns(std::span<const PersonRecord> records,
                                        std::span<const std::pair<uint32_t, uint32_t>> pairs);

// u for every level from pair_count random pairs (i ≠ j, uniform, std::mt19937_64 seeded with
// seed). A level never seen gets half a count, so that no weight is infinite. REQUIRES:
// records.size() >= 2.
LevelProbabilities EstimateU(std::span<const PersonRecord> records, int64_t pair_count,
                             uint64_t seed);

struct EmOptions {
  int max_iterations = 25;
  double tolerance = 1e-4;    // stop when no m (and λ) moves by more
  double start_lambda = 0.1;  // share of matches among the training pairs, first guess
  // Comparisons whose m stays as given and which the E step leaves out: the fields of the training
  // blocking rule agree on every training pair, so they say nothing about match status there.
  std::array<bool, kComparisonCount> fixed_m{};
};

struct EmResult {
  Model model;                 // the start model with m replaced
  double training_lambda = 0;  // share of matches among the training pairs (not the prior)
  int iterations = 0;
  bool converged = false;
};

// EM for m with u fixed, on aggregated patterns (cost independent of the pair count).
// REQUIRES: ValidateModel(start).ok().
EmResult EstimateM(const Model& start, std::span<const PatternCount> patterns,
                   const EmOptions& options = {});

}  // namespace rhip::registry::mpi
