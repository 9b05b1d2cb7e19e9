#include "core/metrics.h"

#include <array>
#include <cstdio>

namespace rhip {
namespace {

// Latency buckets in seconds, from 100 µs to 10 s.
constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                             0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
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

Metrics& Metrics::Global() {
  static Metrics* m = new Metrics();  // never destroyed: used from detached threads at exit
  return *m;
}

void Metrics::Increment(const std::string& name, const Labels& labels, double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = "counter";
  f.counters[labels] += delta;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = "histogram";
  Histogram& h = f.histograms[labels];
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
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(f.type).append("\n");
    if (f.gauge) {
      out.append(name).append(" ").append(FormatDouble(f.gauge())).append("\n");
    }
    for (const auto& [labels, v] : f.counters) {
      out.append(name);
      AppendLabels(labels, "", &out);
      out.append(" ").append(FormatDouble(v)).append("\n");
    }
    for (const auto& [labels, h] : f.histograms) {
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
