#include "registry/mpi/normalize.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::registry::mpi {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

TEST(NormalizeTest, TraditionalNameFoldsToSimplified) {
  const PersonRecord r = Normalize({.family = "張", .given = "三豐"});
  EXPECT_EQ(r.family, "张");
  EXPECT_EQ(r.given, "三丰");
  EXPECT_EQ(r.full, "张三丰");
  EXPECT_THAT(r.pinyin, Contains("zhangsanfeng"));
  EXPECT_EQ(r.pinyin.front(), "zhangsanfeng");
  EXPECT_EQ(r.initials, "zsf");
  EXPECT_EQ(r.full_char_count, 3);
  EXPECT_EQ(r.full_chars[0], U'张');
}

TEST(NormalizeTest, SurnameReadings) {
  // 曾 as a surname is zeng only (ceng otherwise); 欧阳 is a compound surname.
  EXPECT_THAT(Normalize({.family = "曾", .given = "伟"}).pinyin, ElementsAre("zengwei"));
  const PersonRecord ouyang = Normalize({.family = "欧阳", .given = "娜娜"});
  EXPECT_EQ(ouyang.pinyin.front(), "ouyangnana");
  EXPECT_EQ(ouyang.family_pinyin, "ouyang");
  EXPECT_EQ(ouyang.given_pinyin, "nana");
  // The whole name in one field: still read surname-first.
  EXPECT_EQ(Normalize({.family = "欧阳娜娜"}).pinyin.front(), "ouyangnana");
}

TEST(NormalizeTest, LatinNameAndMiddleDots) {
  const PersonRecord r = Normalize({.family = "Smith", .given = "John Paul"});
  EXPECT_EQ(r.full, "smithjohnpaul");
  EXPECT_THAT(r.pinyin, ElementsAre("smithjohnpaul"));
  EXPECT_EQ(r.initials, "sj");
  EXPECT_EQ(Normalize({.given = "阿依古丽·买买提"}).full,
            Normalize({.given = "阿依古丽•买买提"}).full);
}

TEST(NormalizeTest, ResidentId) {
  EXPECT_EQ(NormalizeResidentId("11010519491231002x"), "11010519491231002X");
  EXPECT_EQ(NormalizeResidentId("110105 19491231 002X"), "11010519491231002X");
  // 15-digit legacy number upgraded with its computed check character.
  EXPECT_EQ(NormalizeResidentId("110105491231002"), "11010519491231002X");
  // Not an ID's shape: digits and X kept as given so that typos still compare.
  EXPECT_EQ(NormalizeResidentId("1101-0519x"), "11010519X");
  EXPECT_EQ(NormalizeResidentId(""), "");
}

TEST(NormalizeTest, BirthDateSexPhoneDivision) {
  EXPECT_EQ(NormalizeBirthDate("1990-03-07"), 19900307);
  EXPECT_EQ(NormalizeBirthDate("19900307"), 19900307);
  EXPECT_EQ(NormalizeBirthDate("1990-03-07T08:00:00+08:00"), 19900307);
  EXPECT_EQ(NormalizeBirthDate("1990-03"), 0);
  EXPECT_EQ(NormalizeBirthDate("1990-13-07"), 0);
  EXPECT_EQ(NormalizeSex("male"), Sex::kMale);
  EXPECT_EQ(NormalizeSex("2"), Sex::kFemale);
  EXPECT_EQ(NormalizeSex("女"), Sex::kFemale);
  EXPECT_EQ(NormalizeSex("unknown"), Sex::kUnknown);
  EXPECT_EQ(NormalizePhone("+86 138-1234-5678"), "13812345678");
  EXPECT_EQ(NormalizePhone("0086 13812345678"), "13812345678");
  EXPECT_EQ(NormalizePhone("(010) 6512 3456"), "01065123456");
  EXPECT_EQ(NormalizeDivisionCode("110105000000"), "110105");
  EXPECT_EQ(NormalizeDivisionCode("110105001000"), "110105001");
  EXPECT_EQ(NormalizeDivisionCode("110105001002"), "110105001002");
  EXPECT_EQ(NormalizeDivisionCode("1101"), "");
  EXPECT_EQ(NormalizeDivisionCode("11010500100a"), "");
}

}  // namespace
}  // namespace rhip::registry::mpi
