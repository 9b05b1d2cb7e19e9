#include "registry/mpi/testing/synthetic_residents.h"

#include <map>
#include <set>

#include "gtest/gtest.h"
#include "registry/resident_id.h"

namespace rhip::registry::mpi::testing {
namespace {

bool Has(const SyntheticRecord& r, DuplicateError e) {
  return std::find(r.errors.begin(), r.errors.end(), e) != r.errors.end();
}

TEST(SyntheticResidentsTest, DeterministicBySeed) {
  const auto a = GenerateResidents({.people = 500, .seed = 5});
  const auto b = GenerateResidents({.people = 500, .seed = 5});
  const auto c = GenerateResidents({.people = 500, .seed = 6});
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].family + a[i].given + a[i].resident_id, b[i].family + b[i].given + b[i].resident_id);
  }
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].given == c[i].given && a[i].family == c[i].family;
  EXPECT_LT(same, a.size() / 4);
}

TEST(SyntheticResidentsTest, RealisticOriginalsAndLabelledDuplicates) {
  const SyntheticOptions options{.people = 20000, .duplicate_share = 0.1, .seed = 1};
  const auto records = GenerateResidents(options);
  ASSERT_EQ(records.size(), 22000u);
  std::map<std::string, int> surnames;
  std::set<uint32_t> persons;
  std::map<DuplicateError, int> errors;
  const auto today = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{12},
                                                 std::chrono::day{31}};
  int originals = 0, ids = 0;
  for (const auto& r : records) {
    if (!r.duplicate) {
      ++originals;
      EXPECT_TRUE(persons.insert(r.person).second);
      ++surnames[r.family];
      EXPECT_EQ(r.division_code.size(), 12u);
      EXPECT_TRUE(std::find(options.counties.begin(), options.counties.end(),
                            r.division_code.substr(0, 6)) != options.counties.end())
          << r.division_code;
      EXPECT_EQ(r.errors.size(), 0u);
    } else {
      EXPECT_GE(r.errors.size(), 1u);
      for (auto e : r.errors) ++errors[e];
    }
    const bool id_changed = Has(r, DuplicateError::kIdDigit) || Has(r, DuplicateError::kIdTransposition);
    if (!r.resident_id.empty() && !id_changed) {
      ++ids;
      const ResidentIdCheck check = CheckResidentId(r.resident_id, today);
      EXPECT_TRUE(check.ok()) << r.resident_id;
      if (check.info && !Has(r, DuplicateError::kSexMissing)) {
        EXPECT_EQ(check.info->sex == 'M', r.sex == "male") << r.resident_id;
      }
    }
  }
  EXPECT_EQ(originals, 20000);
  EXPECT_GT(ids, 20000);  // most records carry an ID
  // 王 and 李 about 7 % each (published shares scaled into the generator's population).
  EXPECT_GT(surnames["王"], 1000);
  EXPECT_LT(surnames["王"], 2000);
  EXPECT_GT(surnames["李"], 1000);
  EXPECT_LT(surnames["欧阳"] + surnames["诸葛"] + surnames["司马"], 60);
  for (int e = 0; e <= static_cast<int>(DuplicateError::kSexMissing); ++e) {
    EXPECT_GT(errors[static_cast<DuplicateError>(e)], 10)
        << DuplicateErrorName(static_cast<DuplicateError>(e));
  }
}

}  // namespace
}  // namespace rhip::registry::mpi::testing
