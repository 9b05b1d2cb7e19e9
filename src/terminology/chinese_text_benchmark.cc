// Throughput of FoldForSearch and PinyinKeys on short names, as every string index row pays it.
// usage: chinese_text_benchmark [iterations]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "terminology/chinese_text.h"

int main(int argc, char** argv) {
  using rhip::terminology::FoldForSearch;
  using rhip::terminology::PinyinKeys;
  const long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
  const std::vector<std::string> simplified = {"张三丰", "王小明", "李建国", "刘德华", "陈静怡", "曾小明", "单乐重", "欧阳娜娜"};
  const std::vector<std::string> traditional = {"張三豐", "劉德華", "陳靜怡", "歐陽娜娜"};
  auto run = [&](const char* label, const std::vector<std::string>& names, auto fn) {
    size_t sink = 0;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) sink += fn(names[i % names.size()]);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-38s %8.1f ns/call (checksum %zu)\n", label, ns / iterations, sink);
  };
  auto fold = [](const std::string& s) { return FoldForSearch(s).size(); };
  auto keys = [](const std::string& s) { return PinyinKeys(s).size(); };
  auto surname_keys = [](const std::string& s) { return PinyinKeys(s, true).size(); };
  run("FoldForSearch simplified", simplified, fold);
  run("PinyinKeys simplified", simplified, keys);
  run("PinyinKeys surname_first simplified", simplified, surname_keys);
  run("FoldForSearch traditional (OpenCC)", traditional, fold);
  run("PinyinKeys traditional (OpenCC)", traditional, keys);
  return 0;
}
