#include "core/metrics.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace rhip {
namespace {

// Latency buckets in seconds, from 100 µs to 10 s.
constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};

// The shortest text that reads back as v (0.0025, not 0.0025000000000000001).
std::string FormatDouble(double v) {
  char buf[32];
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v > -1e15 && v < 1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));  // counts
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void AppendLabels(const Labels& labels, const std::string& extra, std::string* out) {
  if (labels.empty() && extra.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(k).append("=\"");
    for (char c : v) {
      if (c == '"' || c == '\\') out->push_back('\\');
      if (c == '\n') {
        out->append("\\n");
        continue;
      }
      out->push_back(c);
    }
    out->push_back('"');
  }
  if (!extra.empty()) {
    if (!first) out->push_back(',');
    out->append(extra);
  }
  out->push_back('}');
}

}  // namespace

Metrics::Metrics()
    : serial_([] {
        static std::atomic<uint64_t> next{1};
        return next++;
      }()) {}

Metrics& Metrics::Global() {
  static Metrics* m = new Metrics();  // never destroyed: used from detached threads at exit
  return *m;
}

Metrics::Shard& Metrics::LocalShard() {
  thread_local std::vector<std::pair<uint64_t, Shard*>> cache;
  for (const auto& [serial, shard] : cache) {
    if (serial == serial_) return *shard;
  }
  std::lock_guard<std::mutex> lock(mu_);
  shards_.push_back(std::make_unique<Shard>());
  cache.emplace_back(serial_, shards_.back().get());
  return *shards_.back();
}

void Metrics::NoteType(const std::string& name, const char* type, Shard& shard) {
  // Only the first record of a family in this thread registers its type.
  if (shard.families.count(name) != 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = type;
}

void Metrics::Increment(const std::string& name, const Labels& labels, double delta) {
  Shard& shard = LocalShard();
  NoteType(name, "counter", shard);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.families[name].counters[labels] += delta;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  Shard& shard = LocalShard();
  NoteType(name, "histogram", shard);
  std::lock_guard<std::mutex> lock(shard.mu);
  Histogram& h = shard.families[name].histograms[labels];
  if (h.buckets.empty()) h.buckets.resize(kBuckets.size(), 0);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (value <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += value;
}

void Metrics::RegisterGauge(const std::string& name, const std::string& help,
                            std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.type = "gauge";
  f.help = help;
  f.gauge = std::move(fn);
}

void Metrics::SetHelp(const std::string& name, const std::string& type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.type = type;
  f.help = help;
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, ShardFamily> merged;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> shard_lock(shard->mu);
    for (const auto& [name, sf] : shard->families) {
      ShardFamily& m = merged[name];
      for (const auto& [labels, v] : sf.counters) m.counters[labels] += v;
      for (const auto& [labels, h] : sf.histograms) {
        Histogram& into = m.histograms[labels];
        if (into.buckets.empty()) into.buckets.resize(h.buckets.size(), 0);
        for (size_t i = 0; i < h.buckets.size(); ++i) into.buckets[i] += h.buckets[i];
        into.count += h.count;
        into.sum += h.sum;
      }
    }
  }
  std::string out;
  for (const auto& [name, f] : families_) {
    const ShardFamily& recorded = merged[name];
    if (!f.help.empty()) out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(f.type).append("\n");
    if (f.gauge) {
      out.append(name).append(" ").append(FormatDouble(f.gauge())).append("\n");
    }
    for (const auto& [labels, v] : recorded.counters) {
      out.append(name);
      AppendLabels(labels, "", &out);
      out.append(" ").append(FormatDouble(v)).append("\n");
    }
    for (const auto& [labels, h] : recorded.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out.append(name).append("_bucket");
        AppendLabels(labels, "le=\"" + FormatDouble(kBuckets[i]) + "\"", &out);
        out.append(" ").append(std::to_string(cumulative)).append("\n");
      }
      out.append(name).append("_bucket");
      AppendLabels(labels, "le=\"+Inf\"", &out);
      out.append(" ").append(std::to_string(h.count)).append("\n");
      out.append(name).append("_sum");
      AppendLabels(labels, "", &out);
      out.append(" ").append(FormatDouble(h.sum)).append("\n");
      out.append(name).append("_count");
      AppendLabels(labels, "", &out);
      out.append(" ").append(std::to_string(h.count)).append("\n");
    }
  }
  return out;
}

}  // namespace rhip
