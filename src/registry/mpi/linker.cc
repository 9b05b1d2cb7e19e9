#include "registry/mpi/linker.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>

#include "registry/mpi/blocking.h"
#include "registry/mpi/comparisons.h"
#include "registry/resident_id.h"

namespace rhip::registry::mpi {
namespace {

int ThreadCount(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Runs body(thread_index) on `threads` threads (the caller's thread is one of them).
template <typename Body>
void RunOnThreads(int threads, Body body) {
  std::vector<std::jthread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back([&body, t] { body(t); });
  body(0);
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Entry {
  int64_t key;
  uint32_t record;
  bool operator<(const Entry& o) const { return key != o.key ? key < o.key : record < o.record; }
};

// Every (key, record) of the set, sorted by key then record.
std::vector<Entry> SortedEntries(std::span<const PersonRecord> records, int threads) {
  std::vector<std::vector<Entry>> parts(static_cast<size_t>(threads));
  const size_t n = records.size();
  RunOnThreads(threads, [&](int t) {
    const size_t begin = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
    const size_t end = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    auto& part = parts[static_cast<size_t>(t)];
    part.reserve((end - begin) * 10);
    for (size_t i = begin; i < end; ++i) {
      for (int64_t key : BlockingKeys(records[i])) part.push_back({key, static_cast<uint32_t>(i)});
    }
    std::sort(part.begin(), part.end());
  });
  std::vector<Entry> all = std::move(parts[0]);
  for (size_t t = 1; t < parts.size(); ++t) {
    const auto middle = static_cast<std::ptrdiff_t>(all.size());
    all.insert(all.end(), parts[t].begin(), parts[t].end());
    parts[t] = {};
    std::inplace_merge(all.begin(), all.begin() + middle, all.end());
  }
  return all;
}

struct Block {
  uint32_t begin, end;  // range of entries
};

// The first key two sorted key lists share, or -1 (keys are non-negative).
int64_t FirstCommonKey(std::span<const int64_t> a, std::span<const int64_t> b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) return a[i];
    if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return -1;
}

uint32_t Find(std::vector<uint32_t>& parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

bool CheckedResidentId(const std::string& id) {
  if (id.size() != 18) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
  }
  return registry::ResidentIdCheckCharacter(std::string_view(id).substr(0, 17)) == id[17];
}

}  // namespace

Decision DecidePair(const PersonRecord& a, const PersonRecord& b, double probability,
                    const Thresholds& thresholds) {
  const Decision decision = Decide(probability, thresholds);
  if (decision == Decision::kLink && CompareResidentId(a, b) == IdLevel::kElse &&
      CheckedResidentId(a.resident_id) && CheckedResidentId(b.resident_id)) {
    return Decision::kReview;
  }
  return decision;
}

std::vector<uint32_t> Clusters(size_t n, std::span<const std::pair<uint32_t, uint32_t>> pairs) {
  std::vector<uint32_t> parent(n);
  for (size_t i = 0; i < n; ++i) parent[i] = static_cast<uint32_t>(i);
  for (const auto& [a, b] : pairs) {
    const uint32_t ra = Find(parent, a), rb = Find(parent, b);
    // The smaller index becomes the root, so a root is its component's smallest index.
    if (ra < rb) {
      parent[rb] = ra;
    } else if (rb < ra) {
      parent[ra] = rb;
    }
  }
  for (size_t i = 0; i < n; ++i) parent[i] = Find(parent, static_cast<uint32_t>(i));
  return parent;
}

LinkResult Deduplicate(std::span<const PersonRecord> records, const Scorer& scorer,
                       const LinkOptions& options) {
  const int threads = ThreadCount(options.threads);
  const size_t n = records.size();
  LinkResult result;
  double start = Seconds();
  const std::vector<Entry> entries = SortedEntries(records, threads);

  // Blocks to score, and per record the keys of those blocks (sorted, as entries are), so that a
  // pair sharing several blocks is scored only in the block of its smallest shared key.
  std::vector<Block> blocks;
  std::vector<uint32_t> key_offsets(n + 1, 0);
  int64_t total_pairs = 0;
  for (size_t begin = 0; begin < entries.size();) {
    size_t end = begin + 1;
    while (end < entries.size() && entries[end].key == entries[begin].key) ++end;
    const auto size = static_cast<int64_t>(end - begin);
    if (size > static_cast<int64_t>(options.max_block)) {
      ++result.blocks_skipped;
      result.pairs_in_skipped_blocks += size * (size - 1) / 2;
    } else if (size >= 2) {
      blocks.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
      total_pairs += size * (size - 1) / 2;
      for (size_t e = begin; e < end; ++e) ++key_offsets[entries[e].record + 1];
    }
    begin = end;
  }
  result.blocks = static_cast<int64_t>(blocks.size());
  for (size_t i = 0; i < n; ++i) key_offsets[i + 1] += key_offsets[i];
  std::vector<int64_t> keys(key_offsets[n]);
  {
    std::vector<uint32_t> fill(key_offsets.begin(), key_offsets.end() - 1);
    for (const Block& block : blocks) {
      for (uint32_t e = block.begin; e < block.end; ++e) {
        keys[fill[entries[e].record]++] = entries[e].key;
      }
    }
  }
  auto keys_of = [&](uint32_t record) {
    return std::span<const int64_t>(keys.data() + key_offsets[record],
                                    key_offsets[record + 1] - key_offsets[record]);
  };

  result.blocking_seconds = Seconds() - start;
  start = Seconds();
  // Threads take batches of blocks in order; a batch is small enough to balance the load.
  constexpr size_t kBatch = 256;
  std::atomic<size_t> next_block{0};
  std::atomic<int64_t> done_pairs{0};
  std::atomic<int64_t> reported_percent{0};
  std::mutex progress_mu;
  std::vector<std::vector<ScoredPair>> found(static_cast<size_t>(threads));
  std::vector<int64_t> scored(static_cast<size_t>(threads), 0);
  std::vector<double> cpu(static_cast<size_t>(threads), 0);
  RunOnThreads(threads, [&](int t) {
    const double cpu_start = ThreadCpuSeconds();
    auto& out = found[static_cast<size_t>(t)];
    int64_t count = 0;
    for (;;) {
      const size_t first = next_block.fetch_add(kBatch);
      if (first >= blocks.size()) break;
      const size_t last = std::min(first + kBatch, blocks.size());
      int64_t batch_pairs = 0;
      for (size_t bi = first; bi < last; ++bi) {
        const Block& block = blocks[bi];
        const int64_t key = entries[block.begin].key;
        const int64_t size = block.end - block.begin;
        batch_pairs += size * (size - 1) / 2;
        for (uint32_t x = block.begin; x < block.end; ++x) {
          const uint32_t a = entries[x].record;
          const auto keys_a = keys_of(a);
          const PersonRecord& ra = records[a];
          for (uint32_t y = x + 1; y < block.end; ++y) {
            const uint32_t b = entries[y].record;
            if (FirstCommonKey(keys_a, keys_of(b)) != key) continue;
            ++count;
            const double weight = scorer.Weight(ra, records[b]);
            const double p = MatchProbability(weight);
            const Decision decision = DecidePair(ra, records[b], p, options.thresholds);
            if (decision != Decision::kSeparate) out.push_back({a, b, weight, p, decision});
          }
        }
      }
      const int64_t done = done_pairs.fetch_add(batch_pairs) + batch_pairs;
      if (options.progress && total_pairs > 0) {
        int64_t percent = done * 100 / total_pairs;
        int64_t previous = reported_percent.load();
        if (percent > previous && reported_percent.compare_exchange_strong(previous, percent)) {
          std::lock_guard lock(progress_mu);
          options.progress(done, total_pairs);
        }
      }
    }
    scored[static_cast<size_t>(t)] = count;
    cpu[static_cast<size_t>(t)] = ThreadCpuSeconds() - cpu_start;
  });
  for (double c : cpu) result.scoring_cpu_seconds += c;
  if (options.progress) options.progress(total_pairs, total_pairs);

  result.scoring_seconds = Seconds() - start;
  start = Seconds();
  size_t found_count = 0;
  for (const auto& part : found) found_count += part.size();
  result.pairs.reserve(found_count);
  for (auto& part : found) {
    result.pairs.insert(result.pairs.end(), part.begin(), part.end());
    part = {};
  }
  std::sort(result.pairs.begin(), result.pairs.end(), [](const ScoredPair& x, const ScoredPair& y) {
    return x.a != y.a ? x.a < y.a : x.b < y.b;
  });
  for (int64_t c : scored) result.pairs_scored += c;

  std::vector<std::pair<uint32_t, uint32_t>> links;
  for (const ScoredPair& p : result.pairs) {
    if (p.decision == Decision::kLink) links.emplace_back(p.a, p.b);
  }
  result.cluster_of = Clusters(n, links);
  result.clustering_seconds = Seconds() - start;
  return result;
}

std::vector<ScoredCandidate> MatchOne(const PersonRecord& probe,
                                      std::span<const PersonRecord> candidates,
                                      const Scorer& scorer, const Thresholds& thresholds) {
  std::vector<ScoredCandidate> out;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const double weight = scorer.Weight(probe, candidates[i]);
    const double p = MatchProbability(weight);
    const Decision decision = DecidePair(probe, candidates[i], p, thresholds);
    if (decision != Decision::kSeparate) {
      out.push_back({static_cast<uint32_t>(i), weight, p, decision});
    }
  }
  std::sort(out.begin(), out.end(), [](const ScoredCandidate& x, const ScoredCandidate& y) {
    return x.weight != y.weight ? x.weight > y.weight : x.index < y.index;
  });
  return out;
}

}  // namespace rhip::registry::mpi
