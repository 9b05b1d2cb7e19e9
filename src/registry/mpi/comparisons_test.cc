// ID numbers here are the standard's published example (11010519491231002X) and edits of it.
#include "registry/mpi/comparisons.h"

#include "gtest/gtest.h"
#include "registry/mpi/normalize.h"

namespace rhip::registry::mpi {
namespace {

PersonRecord Name(std::string_view family, std::string_view given) {
  return Normalize({.family = family, .given = given});
}

NameLevel Names(std::string_view f1, std::string_view g1, std::string_view f2,
                std::string_view g2) {
  const NameLevel level = CompareName(Name(f1, g1), Name(f2, g2));
  EXPECT_EQ(level, CompareName(Name(f2, g2), Name(f1, g1))) << "not symmetric";
  return level;
}

TEST(CompareNameTest, Levels) {
  EXPECT_EQ(Names("", "", "张", "伟"), NameLevel::kNull);
  EXPECT_EQ(Names("张", "伟", "张", "伟"), NameLevel::kExact);
  // Traditional and simplified forms are the same name.
  EXPECT_EQ(Names("張", "三豐", "张", "三丰"), NameLevel::kExact);
  // Split differently across family/given, same person.
  EXPECT_EQ(Names("欧阳", "娜娜", "欧", "阳娜娜"), NameLevel::kExact);
  // Homophones typed by pinyin input: 章/张 zhang, 伟/玮 wei (same toneless pinyin outranks one
  // character different, so 张伟/张玮 lands here).
  EXPECT_EQ(Names("张", "伟", "章", "伟"), NameLevel::kSamePinyin);
  EXPECT_EQ(Names("张", "伟", "张", "玮"), NameLevel::kSamePinyin);
  EXPECT_EQ(Names("欧阳", "娜娜", "欧阳", "那那"), NameLevel::kSamePinyin);
  // Han against romanised pinyin from another system.
  EXPECT_EQ(Names("王", "伟", "Wang", "Wei"), NameLevel::kSamePinyin);
  EXPECT_EQ(Names("王", "伟", "伟", "王"), NameLevel::kSwapped);
  EXPECT_EQ(Names("Zhang", "Wei", "Wei", "Zhang"), NameLevel::kSwapped);
  EXPECT_EQ(Names("张", "伟", "张", "强"), NameLevel::kOneCharacter);
  EXPECT_EQ(Names("欧阳", "娜娜", "欧阳", "娜丽"), NameLevel::kOneCharacter);
  // zhangwei / zhangwen has JW 0.95, but one character different ranks first.
  EXPECT_EQ(Names("张", "伟", "张", "文"), NameLevel::kOneCharacter);
  EXPECT_EQ(Names("张", "伟", "张", "伟伟"), NameLevel::kPinyinJw92);  // zhangwei / zhangweiwei
  EXPECT_EQ(Names("Smith", "Jon", "Smyth", "John"), NameLevel::kPinyinJw80);
  EXPECT_EQ(Names("张", "伟", "李", "娜"), NameLevel::kElse);
}

TEST(CompareNameTest, SurnameReadingOfZeng) {
  // 曾 read zeng as a surname: a homophone of 增, not of 层 (ceng).
  EXPECT_EQ(Names("曾", "伟", "增", "伟"), NameLevel::kSamePinyin);
  EXPECT_NE(Names("曾", "伟", "层", "伟"), NameLevel::kSamePinyin);
}

// The level of one comparison for two records that carry only the field it reads.
template <auto kCompare, std::string_view PersonFields::*kField>
auto FieldLevel(std::string_view a, std::string_view b) {
  PersonFields x, y;
  x.*kField = a;
  y.*kField = b;
  return kCompare(Normalize(x), Normalize(y));
}
constexpr auto* Ids = &FieldLevel<CompareResidentId, &PersonFields::resident_id>;
constexpr auto* Births = &FieldLevel<CompareBirthDate, &PersonFields::birth_date>;
constexpr auto* Sexes = &FieldLevel<CompareSex, &PersonFields::sex>;
constexpr auto* Phones = &FieldLevel<ComparePhone, &PersonFields::phone>;
constexpr auto* Addresses = &FieldLevel<CompareAddress, &PersonFields::division_code>;

TEST(CompareResidentIdTest, Levels) {
  EXPECT_EQ(Ids("", "11010519491231002X"), IdLevel::kNull);
  EXPECT_EQ(Ids("11010519491231002X", "11010519491231002x"), IdLevel::kExact);
  EXPECT_EQ(Ids("110105491231002", "11010519491231002X"), IdLevel::kExact);
  EXPECT_EQ(Ids("11010519491231002X", "11010519491231003X"), IdLevel::kOneDigit);
  EXPECT_EQ(Ids("11010519491231002X", "11010519491213002X"), IdLevel::kTransposition);
  EXPECT_EQ(Ids("11010519491231002X", "11010519491231020X"), IdLevel::kTransposition);
  EXPECT_EQ(Ids("11010519491231002X", "11010519491231200X"), IdLevel::kElse);  // not adjacent
  EXPECT_EQ(Ids("11010519491231002X", "440524188001010014"), IdLevel::kElse);
  EXPECT_EQ(Ids("11010519491231002X", "1101051949123100"), IdLevel::kElse);
}

TEST(CompareBirthDateTest, Levels) {
  EXPECT_EQ(Births("1990-03-07", ""), BirthDateLevel::kNull);
  EXPECT_EQ(Births("1990-03-07", "19900307"), BirthDateLevel::kExact);
  EXPECT_EQ(Births("1990-03-07", "1990-03-01"), BirthDateLevel::kOneDigit);
  EXPECT_EQ(Births("1990-03-07", "1980-03-07"), BirthDateLevel::kOneDigit);
  EXPECT_EQ(Births("1990-03-07", "1990-07-03"), BirthDateLevel::kDayMonthSwapped);
  EXPECT_EQ(Births("1990-03-07", "1990-03-25"), BirthDateLevel::kSameYearMonth);
  EXPECT_EQ(Births("1990-03-07", "1991-07-03"), BirthDateLevel::kElse);
}

TEST(CompareSexTest, Levels) {
  EXPECT_EQ(Sexes("male", ""), SexLevel::kNull);
  EXPECT_EQ(Sexes("male", "1"), SexLevel::kEqual);
  EXPECT_EQ(Sexes("男", "女"), SexLevel::kDifferent);
}

TEST(ComparePhoneTest, Levels) {
  EXPECT_EQ(Phones("", "13812345678"), PhoneLevel::kNull);
  EXPECT_EQ(Phones("+86 13812345678", "138-1234-5678"), PhoneLevel::kExact);
  EXPECT_EQ(Phones("13812345678", "13912345678"), PhoneLevel::kLast8);
  EXPECT_EQ(Phones("010-65123456", "65123456"), PhoneLevel::kLast8);
  EXPECT_EQ(Phones("13812345678", "13812345679"), PhoneLevel::kElse);
}

TEST(CompareAddressTest, Levels) {
  EXPECT_EQ(Addresses("", "110105001002"), AddressLevel::kNull);
  EXPECT_EQ(Addresses("110105001002", "110105001002"), AddressLevel::kSameVillage);
  EXPECT_EQ(Addresses("110105001002", "110105001003"), AddressLevel::kSameTownship);
  EXPECT_EQ(Addresses("110105001002", "110105001000"), AddressLevel::kSameTownship);
  EXPECT_EQ(Addresses("110105001002", "110105002002"), AddressLevel::kSameCounty);
  EXPECT_EQ(Addresses("110105001002", "110105"), AddressLevel::kSameCounty);
  EXPECT_EQ(Addresses("110105001002", "110106001002"), AddressLevel::kElse);
}

TEST(AgreementPatternTest, PackRoundTripsAndCompareFillsEveryField) {
  const PersonRecord a = Normalize({.family = "张",
                                    .given = "伟",
                                    .resident_id = "11010519491231002X",
                                    .birth_date = "1949-12-31",
                                    .sex = "female",
                                    .phone = "13812345678",
                                    .division_code = "110105001002"});
  PersonRecord b = a;
  b.phone = "13912345678";
  const AgreementPattern p = Compare(a, b);
  EXPECT_EQ(p.levels[0], static_cast<uint8_t>(NameLevel::kExact));
  EXPECT_EQ(p.levels[1], static_cast<uint8_t>(IdLevel::kExact));
  EXPECT_EQ(p.levels[2], static_cast<uint8_t>(BirthDateLevel::kExact));
  EXPECT_EQ(p.levels[3], static_cast<uint8_t>(SexLevel::kEqual));
  EXPECT_EQ(p.levels[4], static_cast<uint8_t>(PhoneLevel::kLast8));
  EXPECT_EQ(p.levels[5], static_cast<uint8_t>(AddressLevel::kSameVillage));
  EXPECT_EQ(AgreementPattern::Unpack(p.Pack()), p);
}

}  // namespace
}  // namespace rhip::registry::mpi
