// Validation throughput on typical resources from the official R4 examples. Run by hand:
//   validator_benchmark <dir with Patient-example.json ...>   (e.g. the unpacked
//   fhir-r4-examples.tar.xz, hl7.fhir.r4.examples-4.0.1/package)
// The write path validates every resource (structure, bindings, invariants), so this should
// stay above 60,000/s per core for typical resources; numbers in README.md.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/model/validator.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: validator_benchmark <examples dir>\n");
    return 2;
  }
  const char* kFiles[] = {"Patient-example.json", "Observation-example.json",
                          "Observation-blood-pressure.json", "Encounter-example.json",
                          "Condition-example.json", "MedicationRequest-medrx0302.json",
                          "Immunization-example.json", "AllergyIntolerance-example.json"};
  std::vector<rhip::json::Value> docs;
  size_t bytes = 0;
  for (const char* name : kFiles) {
    std::ifstream in(std::string(argv[1]) + "/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto doc = rhip::json::Parse(ss.str());
    if (!doc.ok()) {
      std::fprintf(stderr, "%s: cannot read or parse\n", name);
      return 1;
    }
    bytes += ss.str().size();
    docs.push_back(*std::move(doc));
  }
  rhip::fhir::ValidateResource(docs[0]);  // builds the model outside the timing
  constexpr int kRounds = 50000;
  size_t issues = 0;
  auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    for (const auto& doc : docs) issues += rhip::fhir::ValidateResource(doc).size();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double count = static_cast<double>(kRounds) * static_cast<double>(docs.size());
  std::printf("%.0f resources/s (%.0f MB/s of JSON text), %zu issues\n", count / seconds,
              static_cast<double>(bytes) * kRounds / seconds / 1e6, issues);
  // Per file: invariants and bindings make the cost depend on the content.
  for (size_t i = 0; i < docs.size(); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < kRounds / 5; ++r) issues += rhip::fhir::ValidateResource(docs[i]).size();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  %-36s %8.0f /s\n", kFiles[i], kRounds / 5 / s);
  }
  return 0;
}
