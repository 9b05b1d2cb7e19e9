// $expand filter cost on a large code system, in process: builds the index of an ICD-10 CSV
// (the format of icd10_csv.h) and times CodeSystemIndex::Search per filter. Run by hand:
//   build/src/terminology/code_system_index_benchmark ../shared/data/terminology/icd10-cn.csv
// Prints the build time and, per filter, matches and the median and p99 of 200 searches.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "terminology/code_system_index.h"
#include "terminology/icd10_csv.h"

namespace {

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  using rhip::terminology::CodeSystemIndex;
  using rhip::terminology::TextFilter;
  if (argc != 2) {
    std::cerr << "usage: code_system_index_benchmark ICD10.csv\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto load = rhip::terminology::Icd10FromCsv(text.str(), {});
  if (!load.ok()) {
    std::cerr << load.status() << "\n";
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  auto index = CodeSystemIndex::Build(std::move(load->code_system));
  if (!index.ok()) {
    std::cerr << index.status() << "\n";
    return 1;
  }
  std::cout << (*index)->concepts().size() << " concepts, index built in "
            << Millis(std::chrono::steady_clock::now() - start) << " ms\n";
  for (const char* f : {"gxy", "gaoxueya", "高血压", "高血壓", "I10", "tnb", "e11.9", "肺炎", "x"}) {
    TextFilter filter(f);
    std::vector<double> times;
    size_t matches = 0;
    for (int i = 0; i < 200; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      matches = (*index)->Search(filter).size();
      times.push_back(Millis(std::chrono::steady_clock::now() - t0));
    }
    std::sort(times.begin(), times.end());
    std::cout << "filter " << f << ": " << matches << " matches, median " << times[100]
              << " ms, p99 " << times[198] << " ms\n";
  }
  return 0;
}
