#include "registry/mpi/blocking.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "registry/mpi/normalize.h"

namespace rhip::registry::mpi {
namespace {

bool ShareKey(const PersonFields& a, const PersonFields& b) {
  std::vector<int64_t> ka = BlockingKeys(Normalize(a));
  std::vector<int64_t> kb = BlockingKeys(Normalize(b));
  std::vector<int64_t> common;
  std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(common));
  return !common.empty();
}

TEST(BlockingKeyHashTest, IsStableAndNonNegative) {
  // Persisted: this value must never change (it is stored in mpi_block).
  EXPECT_EQ(BlockingKeyHash(BlockingRule::kResidentId, "110101199003074514"),
            BlockingKeyHash(BlockingRule::kResidentId, "110101199003074514"));
  EXPECT_NE(BlockingKeyHash(BlockingRule::kResidentId, "13800138000"),
            BlockingKeyHash(BlockingRule::kPhone, "13800138000"));
  EXPECT_GE(BlockingKeyHash(BlockingRule::kPhone, "\xff\xff\xff"), 0);
}

TEST(BlockingKeysTest, EmptyRecordHasNoKeys) { EXPECT_TRUE(BlockingKeys(Normalize({})).empty()); }

TEST(BlockingKeysTest, FindsTheUsualErrors) {
  PersonFields base{.family = "张", .given = "伟", .resident_id = "110101199003074514",
                    .birth_date = "1990-03-07", .sex = "male", .phone = "13800138000",
                    .division_code = "110101001001"};
  PersonFields homophone = base;  // pinyin input picked 章, no ID or phone given
  homophone.family = "章";
  homophone.resident_id = "";
  homophone.phone = "";
  EXPECT_TRUE(ShareKey(base, homophone));

  PersonFields swapped_date = homophone;  // and day / month exchanged
  swapped_date.birth_date = "1990-07-03";
  EXPECT_TRUE(ShareKey(base, swapped_date));

  PersonFields renamed_child = base;  // given name changed, ID and phone unknown
  renamed_child.given = "子豪";
  renamed_child.resident_id = "";
  renamed_child.phone = "";
  EXPECT_TRUE(ShareKey(base, renamed_child));

  PersonFields no_birth_date = base;  // only name and village in common
  no_birth_date.birth_date = "";
  no_birth_date.resident_id = "";
  no_birth_date.phone = "";
  EXPECT_TRUE(ShareKey(base, no_birth_date));

  PersonFields other_family = base;  // a different family name, nothing but given name and date
  other_family.family = "王";
  other_family.resident_id = "";
  other_family.phone = "";
  other_family.division_code = "";
  EXPECT_TRUE(ShareKey(base, other_family));

  PersonFields other{.family = "李", .given = "娜", .birth_date = "1985-11-02", .sex = "female",
                     .division_code = "110102"};
  EXPECT_FALSE(ShareKey(base, other));
}

TEST(BlockingKeysTest, SevenDigitNumbersBlockShorterDoNot) {
  // FEBRL-style 7-digit numbers identify; a 6-digit fragment would make large blocks.
  EXPECT_TRUE(ShareKey({.resident_id = "2161417"}, {.resident_id = "2161417"}));
  EXPECT_FALSE(ShareKey({.resident_id = "216141"}, {.resident_id = "216141"}));
}

}  // namespace
}  // namespace rhip::registry::mpi
