// Scoring a pair must not allocate (the matcher scores millions of pairs per second): this binary
// counts every global operator new.
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "gtest/gtest.h"
#include "registry/mpi/fellegi_sunter.h"
#include "registry/mpi/jaro_winkler.h"
#include "registry/mpi/normalize.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace rhip::registry::mpi {
namespace {

TEST(ScoringAllocationTest, WeightOfNormalizedPairsDoesNotAllocate) {
  const std::vector<PersonRecord> records = {
      Normalize({.family = "张",
                 .given = "三丰",
                 .resident_id = "11010519491231002X",
                 .birth_date = "1949-12-31",
                 .sex = "female",
                 .phone = "13812345678",
                 .division_code = "110105001002"}),
      Normalize({.family = "張",
                 .given = "三豐",
                 .resident_id = "11010519491213002X",
                 .birth_date = "1949-12-13",
                 .sex = "female",
                 .phone = "13912345678",
                 .division_code = "110105001003"}),
      Normalize({.family = "三丰", .given = "张"}),
      Normalize({.family = "欧阳", .given = "娜娜", .resident_id = "440524188001010014"}),
      Normalize({.family = "阿依古丽", .given = "买买提·艾山江·吐尔逊"}),  // long name
      Normalize({.family = "Smith", .given = "John"}),
  };
  const NameFrequencyTable tf(records);
  const Scorer scorer(StartingModel(), &tf);
  double sink = 0;
  const long before = allocations.load();
  for (const auto& a : records) {
    for (const auto& b : records) sink += scorer.Weight(a, b) + JaroWinkler(a.full, b.full);
  }
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_NE(sink, 0);
  // The counter works: a vector of records allocates.
  const long check = allocations.load();
  std::vector<PersonRecord> copy = records;
  EXPECT_GT(allocations.load(), check);
}

}  // namespace
}  // namespace rhip::registry::mpi
