// Cost of search-parameter extraction: evaluates every R4 search-parameter expression that
// applies to the official Patient-example and Observation-example (as search indexing does on
// each write) and prints ns per evaluation and µs per resource. Not run by ctest:
//
//   ninja -C build fhirpath_benchmark && build/src/fhir/fhirpath/fhirpath_benchmark [seconds [filter]]
//
// A negative `seconds` runs that many rounds of 100 evaluations instead, for
// valgrind --tool=callgrind (instruction counts hold still on a busy machine; timings do not).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/json.h"
#include "fhir/fhirpath/fhirpath.h"
#include "fhir/model/structure_model.h"
#include "fhir/model/testing/r4_examples.h"

namespace rhip::fhirpath {
namespace {

std::vector<Expression> ExpressionsFor(const json::Value& params, const fhir::TypeInfo& type) {
  std::vector<Expression> out;
  for (const json::Value& entry : params.Find("entry")->as_array()) {
    const json::Value& sp = *entry.Find("resource");
    const std::string* text = sp.FindString("expression");
    if (text == nullptr) continue;
    bool applies = false;
    for (const json::Value& b : sp.Find("base")->as_array()) {
      const fhir::TypeInfo* t = fhir::StructureModel::R4().FindType(b.as_string());
      applies = applies || (t != nullptr && type.IsA(*t));
    }
    if (!applies) continue;
    absl::StatusOr<Expression> e = Compile(*text);
    if (!e.ok()) {
      std::fprintf(stderr, "%s: %s\n", text->c_str(), std::string(e.status().message()).c_str());
      std::exit(1);
    }
    out.push_back(*e);
  }
  return out;
}

double Run(const std::vector<Expression>& expressions, const json::Value& resource, double seconds,
           size_t* items) {
  using Clock = std::chrono::steady_clock;
  long evaluations = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  // A negative duration asks for that many rounds instead (deterministic, for profilers).
  long rounds = seconds < 0 ? static_cast<long>(-seconds) : -1;
  while (rounds < 0 ? Clock::now() < deadline : rounds-- > 0) {
    for (int rep = 0; rep < 100; ++rep) {
      size_t n = 0;
      for (const Expression& e : expressions) {
        absl::StatusOr<Collection> c = Evaluate(e, resource);
        if (!c.ok()) {
          std::fprintf(stderr, "%s: %s\n", e.text().c_str(), std::string(c.status().message()).c_str());
          std::exit(1);
        }
        n += c->size();
      }
      *items = n;
      evaluations += static_cast<long>(expressions.size());
    }
  }
  double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  return ns / static_cast<double>(evaluations);
}

int Main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  // A second argument runs only the simple path with that text (for profiling).
  std::string only = argc > 2 ? argv[2] : "";
  fhir::StructureModel::R4();  // loaded once, not inside the first measured evaluation
  absl::StatusOr<json::Value> params =
      json::Parse(fhir::testing::R4Examples::ReadFile(RHIP_FHIR_SEARCH_PARAMETERS));
  if (!params.ok()) return 1;
  fhir::testing::R4Examples examples;
  if (!examples.ok()) return 1;
  for (const std::string& path : only.empty() ? examples.JsonFiles() : std::vector<std::string>{}) {
    std::string name = path.substr(path.rfind('/') + 1);
    if (name != "Patient-example.json" && name != "Observation-example.json") continue;
    absl::StatusOr<json::Value> resource = json::Parse(fhir::testing::R4Examples::ReadFile(path));
    if (!resource.ok()) return 1;
    const fhir::TypeInfo* type =
        fhir::StructureModel::R4().FindType(*resource->FindString("resourceType"));
    std::vector<Expression> expressions = ExpressionsFor(*params, *type);
    size_t items = 0;
    if (std::getenv("FHIRPATH_BENCHMARK_VERBOSE") != nullptr) {
      for (const Expression& e : expressions) {
        std::printf("  %6.0f ns  %.100s\n", Run({e}, *resource, seconds / 20, &items),
                    e.text().c_str());
      }
    }
    double ns = Run(expressions, *resource, seconds, &items);
    std::printf("%-24s %3zu expressions, %3zu items: %7.0f ns/evaluation, %6.2f us/resource\n",
                name.c_str(), expressions.size(), items, ns,
                ns * static_cast<double>(expressions.size()) / 1000.0);
  }
  // The simple paths indexing evaluates most.
  absl::StatusOr<json::Value> patient = json::Parse(
      R"({"resourceType":"Patient","id":"p","name":[{"family":"Li","given":["Wei"]}],"gender":"male","birthDate":"1970-01-01"})");
  absl::StatusOr<json::Value> observation = json::Parse(
      R"({"resourceType":"Observation","id":"o","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"Patient/p"},"valueQuantity":{"value":70,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}})");
  for (auto [text, resource] : {std::pair{"Patient.name", &*patient},
                                {"Patient.name.family", &*patient},
                                {"Observation.code", &*observation},
                                {"(Observation.value as Quantity)", &*observation},
                                {"Observation.subject.where(resolve() is Patient)", &*observation}}) {
    if (!only.empty() && text != only) continue;
    size_t items = 0;
    double ns = Run({*Compile(text)}, *resource, seconds / 4, &items);
    std::printf("%-48s %zu items: %6.0f ns\n", text, items, ns);
  }
  return 0;
}

}  // namespace
}  // namespace rhip::fhirpath

int main(int argc, char** argv) { return rhip::fhirpath::Main(argc, argv); }
