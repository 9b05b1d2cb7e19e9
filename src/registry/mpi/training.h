// Training a Fellegi–Sunter model from unlabelled records (the Splink recipe, docs/MPI.md):
//   u  from random pairs (EstimateU), on all threads;
//   m  by EM on the pairs of several training blocking rules, one round per rule with the
//      comparisons that rule fixes left out, averaged over the rounds that estimated them;
//   λ  from strict deterministic rules (same ID; same name, birth date and phone or county) and
//      a guess of their recall.
// `rhip mpi train` and the default model (model_io.h) are made with it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/mpi/fellegi_sunter.h"
#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

// Pairs of records with the same key are the training pairs of a round.
struct TrainingRule {
  std::string name;
  // The record's key; empty: the record takes no part in this round.
  std::function<std::string(const PersonRecord&)> key;
  // Comparisons that (nearly) always agree on the rule's pairs: their m is not estimated here.
  std::array<bool, kComparisonCount> fixed{};
};

// Birth date, resident ID, first pinyin key of the name.
std::vector<TrainingRule> DefaultTrainingRules();

struct TrainingOptions {
  int64_t u_pairs = 10'000'000;  // random pairs for u
  uint64_t seed = 1;
  // Share of true matches the deterministic rules are assumed to find (λ = found / recall / all
  // pairs); 0.6–0.95 changes the prior weight by less than one bit.
  double recall = 0.8;
  size_t max_block = 100;               // training blocks larger than this are left out
  int64_t max_pairs_per_rule = 5'000'000;  // a random subset above this
  EmOptions em;                          // fixed_m is set per rule
  std::vector<TrainingRule> rules = DefaultTrainingRules();
  Model start = StartingModel();  // EM's first m; tf_weight and tf_min are kept
  int threads = 0;                // 0: hardware
};

struct TrainingRound {
  std::string rule;
  int64_t pairs = 0;
  size_t patterns = 0;
  int iterations = 0;
  bool converged = false;
  double training_lambda = 0;  // match share among the round's pairs
};

struct TrainingResult {
  Model model;
  int64_t u_pairs = 0;
  int64_t deterministic_pairs = 0;  // pairs the strict rules link (λ's numerator before recall)
  std::vector<TrainingRound> rounds;
};

// kInvalid when there are fewer than 2 records or no round has pairs for some comparison's m
// and the result would not validate.
absl::StatusOr<TrainingResult> Train(std::span<const PersonRecord> records,
                                     const TrainingOptions& options = {});

// Human-readable report: λ, per comparison and level m, u and weight, and the rounds.
std::string DescribeTraining(const TrainingResult& result);

}  // namespace rhip::registry::mpi
