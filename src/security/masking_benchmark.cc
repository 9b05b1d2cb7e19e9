// MaskResourceJson on a typical Patient, against the baseline of parsing and serializing the
// same text without masking, and the skip path for an Observation. Run by hand:
//   ninja -C build masking_benchmark && build/masking_benchmark [N]
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "core/json.h"
#include "security/masking.h"

namespace {

constexpr char kPatient[] =
    R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"},)"
    R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">张三 110101199003071234</div>"},)"
    R"("identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003071234"},)"
    R"({"system":"https://rhip.cn/id/health-record","value":"HR110101001000123"}],)"
    R"("name":[{"text":"张三","family":"张","given":["三"]}],"gender":"male","birthDate":"1990-03-07",)"
    R"("telecom":[{"system":"phone","value":"13812345678","use":"mobile"}],)"
    R"("address":[{"use":"home","text":"北京市东城区东华门街道1号","line":["东华门街道1号"],)"
    R"("state":"北京市","city":"北京市","district":"东城区","postalCode":"100010"}]})";

constexpr char kObservation[] =
    R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org",)"
    R"("code":"8480-6"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":120,"unit":"mm[Hg]"}})";

template <typename F>
double MicrosPerCall(int n, F f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f();
  std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - start;
  return d.count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  size_t sink = 0;
  double mask = MicrosPerCall(n, [&] {
    std::string text = kPatient;
    if (!rhip::security::MaskResourceJson("Patient", &text).ok()) std::abort();
    sink += text.size();
  });
  double baseline =
      MicrosPerCall(n, [&] { sink += rhip::json::Serialize(*rhip::json::Parse(kPatient)).size(); });
  double skip = MicrosPerCall(n, [&] {
    std::string text = kObservation;
    if (!rhip::security::MaskResourceJson("Observation", &text).ok()) std::abort();
    sink += text.size();
  });
  std::cout << "Patient MaskResourceJson: " << mask << " us/resource\n"
            << "baseline Parse+Serialize of the same text: " << baseline << " us/resource\n"
            << "Observation (skipped without parsing, incl. copying the text): " << skip
            << " us/resource\n"
            << "(" << n << " calls each; " << sink % 10 << ")\n";
  return 0;
}
