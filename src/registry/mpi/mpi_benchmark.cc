// Scored pairs per second per core: random pairs of normalized synthetic residents through the
// full Fellegi–Sunter weight (all six comparisons, term-frequency lookup on exact names), and the
// same pairs through Jaro–Winkler of the first pinyin keys alone as a same-run baseline.
// Two pair sets: uniformly random pairs (the worst case for memory), and one probe against a run
// of consecutive records (a block's candidates, as the matcher will fetch them).
// Single thread; CPU time of this thread, so other load on the machine matters less.
// usage: mpi_benchmark [records] [pairs]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "registry/mpi/fellegi_sunter.h"
#include "registry/mpi/jaro_winkler.h"
#include "registry/mpi/normalize.h"

namespace {

using rhip::StrCat;
using namespace rhip::registry::mpi;

double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

std::vector<PersonRecord> MakeRecords(size_t n, std::mt19937_64& rng) {
  const std::vector<std::string> family = {"王", "李", "张", "刘", "陈",   "杨",  "黄",
                                           "赵", "吴", "周", "徐", "孙",   "马",  "朱",
                                           "胡", "郭", "何", "曾", "欧阳", "诸葛"};
  const std::vector<std::string> given = {"伟", "芳",   "娜",   "秀英", "敏",   "静",   "丽",
                                          "强", "磊",   "军",   "洋",   "勇",   "艳",   "杰",
                                          "娟", "涛",   "明",   "超",   "秀兰", "霞",   "平",
                                          "刚", "桂英", "建国", "小明", "志强", "玉兰", "海燕"};
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  std::vector<PersonRecord> records;
  records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string given_name = rng() % 2 ? pick(given) : pick(given) + pick(given);
    const int year = 1930 + rng() % 90, month = 1 + rng() % 12, day = 1 + rng() % 28;
    const std::string birth = StrCat(year * 10000 + month * 100 + day);
    const std::string village = StrCat(110105001000 + rng() % 30 * 1000 + 1 + rng() % 20);
    const std::string id = StrCat("110105", birth, 100 + rng() % 900);
    records.push_back(Normalize({.family = pick(family),
                                 .given = given_name,
                                 .resident_id = rng() % 10 ? id : "",
                                 .birth_date = birth,
                                 .sex = rng() % 2 ? "male" : "female",
                                 .phone = rng() % 3 ? StrCat(13800000000 + rng() % 100000000) : "",
                                 .division_code = village}));
  }
  return records;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  const size_t pair_count = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 5000000;
  std::mt19937_64 rng(1);
  const std::vector<PersonRecord> records = MakeRecords(n, rng);
  using Pairs = std::vector<std::pair<uint32_t, uint32_t>>;
  Pairs random_pairs(pair_count);
  for (auto& p : random_pairs) {
    p = {static_cast<uint32_t>(rng() % n), static_cast<uint32_t>(rng() % n)};
  }
  // How a matcher works: one incoming record against a block of candidates stored together.
  constexpr size_t kBlock = 100;
  Pairs block_pairs(pair_count);
  for (size_t k = 0; k < pair_count; k += kBlock) {
    const auto probe = static_cast<uint32_t>(rng() % n);
    const size_t first = rng() % (n > kBlock ? n - kBlock : 1);
    for (size_t c = 0; c < kBlock && k + c < pair_count; ++c) {
      block_pairs[k + c] = {probe, static_cast<uint32_t>((first + c) % n)};
    }
  }
  const NameFrequencyTable tf(records);
  const Scorer scorer(StartingModel(), &tf);

  auto run = [&](const char* label, const Pairs& pairs, auto score) {
    double sink = 0;
    const double start = ThreadSeconds();
    for (const auto& [i, j] : pairs) sink += score(records[i], records[j]);
    const double seconds = ThreadSeconds() - start;
    std::printf("%-44s %7.2f M pairs/s  %6.1f ns/pair  (checksum %.3f)\n", label,
                pair_count / seconds / 1e6, seconds / pair_count * 1e9, sink);
  };
  const auto baseline = [](const PersonRecord& a, const PersonRecord& b) {
    return JaroWinkler(a.pinyin.front(), b.pinyin.front());
  };
  const auto compare = [](const PersonRecord& a, const PersonRecord& b) {
    return static_cast<double>(Compare(a, b).Pack() & 0xFF);
  };
  const auto weight = [&](const PersonRecord& a, const PersonRecord& b) {
    return scorer.Weight(a, b);
  };
  std::printf("%zu records, %zu pairs per row, one thread\n", n, pair_count);
  for (const auto& [name, pairs] :
       {std::pair<const char*, const Pairs*>{"random pairs", &random_pairs},
        {"probe vs block of 100 stored together", &block_pairs}}) {
    std::printf("-- %s\n", name);
    run("baseline: JaroWinkler(pinyin[0], pinyin[0])", *pairs, baseline);
    run("Compare (agreement pattern only)", *pairs, compare);
    run("Scorer::Weight (6 comparisons + tf)", *pairs, weight);
  }
  return 0;
}
