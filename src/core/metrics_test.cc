#include "core/metrics.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rhip {
namespace {

TEST(MetricsTest, MergesWhatEveryThreadRecorded) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.Increment("rhip_test_total", {{"route", "/fhir/{type}"}, {"status", "200"}});
        m.Observe("rhip_test_seconds", {{"route", "/fhir/{type}"}}, 0.003);
      }
    });
  }
  for (auto& t : threads) t.join();
  m.RegisterGauge("rhip_test_depth", "queue depth", [] { return 7.0; });
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE rhip_test_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("rhip_test_total{route=\"/fhir/{type}\",status=\"200\"} 4000"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE rhip_test_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("rhip_test_seconds_bucket{route=\"/fhir/{type}\",le=\"0.0025\"} 0"),
            std::string::npos) << text;
  EXPECT_NE(text.find("rhip_test_seconds_bucket{route=\"/fhir/{type}\",le=\"0.005\"} 4000"),
            std::string::npos) << text;
  EXPECT_NE(text.find("rhip_test_seconds_count{route=\"/fhir/{type}\"} 4000"), std::string::npos);
  EXPECT_NE(text.find("# HELP rhip_test_depth queue depth"), std::string::npos);
  EXPECT_NE(text.find("rhip_test_depth 7"), std::string::npos);
}

TEST(MetricsTest, InstancesAreIndependent) {
  Metrics a, b;
  a.Increment("rhip_only_in_a_total", {});
  EXPECT_NE(a.RenderPrometheus().find("rhip_only_in_a_total 1"), std::string::npos);
  EXPECT_EQ(b.RenderPrometheus().find("rhip_only_in_a_total"), std::string::npos);
}

}  // namespace
}  // namespace rhip
