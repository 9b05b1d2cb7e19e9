// Prometheus-style metrics: counters, gauges and histograms keyed by name and label set,
// rendered as text exposition format at GET /metrics. Thread-safe; recording from many
// threads does not contend (per-thread shards).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace rhip {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();

  // Adds delta to a counter.
  void Increment(const std::string& name, const Labels& labels, double delta = 1);
  // Records one observation (seconds for latencies) into a histogram with fixed buckets.
  void Observe(const std::string& name, const Labels& labels, double value);
  // A gauge sampled when metrics are rendered (queue depth, pool size).
  void RegisterGauge(const std::string& name, const std::string& help, std::function<double()> fn);
  void SetHelp(const std::string& name, const std::string& type, const std::string& help);

  std::string RenderPrometheus() const;

  // The process-wide registry.
  static Metrics& Global();

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts are computed when rendering
    uint64_t count = 0;
    double sum = 0;
  };
  // What one thread recorded. Each thread writes only its own shard, so recording takes an
  // uncontended lock; rendering merges the shards.
  struct ShardFamily {
    std::map<Labels, double> counters;
    std::map<Labels, Histogram> histograms;
  };
  struct Shard {
    std::mutex mu;
    std::map<std::string, ShardFamily> families;  // guarded by mu
  };
  struct Family {
    std::string type;
    std::string help;
    std::function<double()> gauge;
  };

  Shard& LocalShard();
  void NoteType(const std::string& name, const char* type, Shard& shard);

  const uint64_t serial_;  // tells instances apart in the per-thread shard cache
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;     // guarded by mu_
  std::vector<std::unique_ptr<Shard>> shards_;  // guarded by mu_
};

}  // namespace rhip
