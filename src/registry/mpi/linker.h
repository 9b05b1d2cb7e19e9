// Linkage of a whole set of records in memory: blocking (blocking.h), scoring every candidate pair
// once on several threads, and clustering the auto-links. `rhip mpi dedupe`, the quality benchmark
// (bench/mpi) and training use it; matching one incoming record against the store uses MatchOne on
// the candidates that the store's key index returns.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "registry/mpi/fellegi_sunter.h"
#include "registry/mpi/person_record.h"

namespace rhip::registry::mpi {

struct LinkOptions {
  Thresholds thresholds;
  int threads = 0;  // 0: std::thread::hardware_concurrency()
  // A block (records sharing one key) larger than this is skipped and counted: its key is not
  // identifying (a shared household phone of a nursing home, "wangwei|1980"); its pairs are still
  // scored when they share another, smaller block.
  size_t max_block = 1000;
  // Called with (pairs done, pairs in all) now and then and once at the end; from worker threads,
  // never two calls at once. May be empty.
  std::function<void(int64_t done, int64_t total)> progress;
};

// The decision for a scored pair: Decide(probability) except that two different resident IDs
// that both pass the GB 11643 check (and are not one typo apart) cap it at review: such records
// are household members or twins far more often than one person (the model's independence
// assumption lets a shared phone, village and birth date outweigh the IDs).
Decision DecidePair(const PersonRecord& a, const PersonRecord& b, double probability,
                    const Thresholds& thresholds);

struct ScoredPair {
  uint32_t a = 0, b = 0;  // indices into the records, a < b
  double weight = 0;
  double probability = 0;
  Decision decision = Decision::kSeparate;
};

struct LinkResult {
  // The pairs decided link or review, sorted by (a, b). Separate pairs are only counted.
  std::vector<ScoredPair> pairs;
  // Per record: the smallest record index of its cluster (connected components of link pairs).
  std::vector<uint32_t> cluster_of;
  int64_t pairs_scored = 0;
  int64_t blocks = 0;               // blocks of two or more records that were scored
  int64_t blocks_skipped = 0;       // blocks over max_block
  int64_t pairs_in_skipped_blocks = 0;  // pairs those blocks would have produced (with repeats)
  // Wall time of the phases, for progress reports and benchmarks.
  double blocking_seconds = 0, scoring_seconds = 0, clustering_seconds = 0;
  double scoring_cpu_seconds = 0;  // CPU time of the scoring threads together
};

// Thread-safe for concurrent calls (the scorer is immutable). REQUIRES: records.size() < 2^32 - 1.
LinkResult Deduplicate(std::span<const PersonRecord> records, const Scorer& scorer,
                       const LinkOptions& options);

struct ScoredCandidate {
  uint32_t index = 0;  // into candidates
  double weight = 0;
  double probability = 0;
  Decision decision = Decision::kSeparate;
};

// The candidates of one incoming record that reach the review threshold, best first.
std::vector<ScoredCandidate> MatchOne(const PersonRecord& probe,
                                      std::span<const PersonRecord> candidates,
                                      const Scorer& scorer, const Thresholds& thresholds);

// Connected components of the given pairs over n records: per record, the smallest index of its
// component.
std::vector<uint32_t> Clusters(size_t n, std::span<const std::pair<uint32_t, uint32_t>> pairs);

}  // namespace rhip::registry::mpi
