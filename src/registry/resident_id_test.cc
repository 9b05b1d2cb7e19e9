// Every ID here is the standard's published example (11010519491231002X), its 15-digit form, or a
// number computed for the test; none belongs to a real person as far as the authors know.
#include "registry/resident_id.h"

#include <random>
#include <set>
#include <string>

#include "core/json.h"
#include "core/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::registry {
namespace {

using std::chrono::year_month_day;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr year_month_day kToday{std::chrono::year(2026), std::chrono::month(11),
                                std::chrono::day(29)};

std::vector<ResidentIdProblem> Problems(std::string_view text) {
  std::vector<ResidentIdProblem> out;
  for (const auto& issue : CheckResidentId(text, kToday).issues) out.push_back(issue.problem);
  return out;
}

TEST(ResidentIdTest, PublishedExampleParses) {
  auto id = ParseResidentId("11010519491231002X", kToday);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->normalized, "11010519491231002X");
  EXPECT_EQ(id->birth_date, "1949-12-31");
  EXPECT_EQ(id->sex, 'F');
  EXPECT_EQ(id->province_code, "11");
  EXPECT_EQ(id->area_code, "110105");
  EXPECT_FALSE(id->upgraded_from_15);
}

TEST(ResidentIdTest, CheckCharacterIsMod11_2) {
  EXPECT_EQ(ResidentIdCheckCharacter("11010519491231002"), 'X');
  EXPECT_EQ(ResidentIdCheckCharacter("32010219900307123"), '9');
  EXPECT_EQ(ResidentIdCheckCharacter("32010219900307124"), '7');
  EXPECT_EQ(ResidentIdCheckCharacter("11010519490101001"), '3');
  // Every remainder appears: all 11 characters are reachable by varying the last sequence digit
  // and the one before it.
  std::set<char> seen;
  for (int a = 0; a < 10; ++a) {
    for (int b = 0; b < 10; ++b) {
      seen.insert(
          ResidentIdCheckCharacter("110105194912310" + std::to_string(a) + std::to_string(b)));
    }
  }
  EXPECT_EQ(seen.size(), 11u);
}

TEST(ResidentIdTest, WrongCheckCharacterNamesBothCharacters) {
  auto id = ParseResidentId("320102199003071235", kToday);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(KindOf(id.status()), ErrorKind::kInvalid);
  EXPECT_THAT(std::string(id.status().message()),
              HasSubstr("校验码错误 check character should be 9, got 5"));
  EXPECT_THAT(Problems("320102199003071235"), ElementsAre(ResidentIdProblem::kCheckCharacter));
}

TEST(ResidentIdTest, EverySingleDigitErrorAndAdjacentSwapIsCaught) {
  const std::string good = "320102199003071239";
  for (size_t i = 0; i < 17; ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == good[i]) continue;
      std::string bad = good;
      bad[i] = d;
      EXPECT_NE(ResidentIdCheckCharacter(bad), '9') << bad;
    }
    if (i < 16 && good[i] != good[i + 1]) {
      std::string swapped = good;
      std::swap(swapped[i], swapped[i + 1]);
      EXPECT_NE(ResidentIdCheckCharacter(swapped), '9') << swapped;
    }
  }
}

TEST(ResidentIdTest, SexFromSeventeenthDigit) {
  EXPECT_EQ(ParseResidentId("320102199003071239", kToday)->sex, 'M');  // 3: odd
  EXPECT_EQ(ParseResidentId("320102199003071247", kToday)->sex, 'F');  // 4: even
}

TEST(ResidentIdTest, NormalisesCaseFullWidthAndSeparators) {
  const char* forms[] = {
      "11010519491231002x",
      "１１０１０５１９４９１２３１００２Ｘ",
      "１１０１０５１９４９１２３１００２ｘ",
      " 110105 19491231 002X ",
      "110105-19491231-002X",
      "110105\xE3\x80\x80"
      "19491231\xE2\x80\x94"
      "002X",  // ideographic space, em dash
  };
  for (const char* form : forms) {
    auto id = ParseResidentId(form, kToday);
    ASSERT_TRUE(id.ok()) << form << ": " << id.status();
    EXPECT_EQ(id->normalized, "11010519491231002X") << form;
  }
}

TEST(ResidentIdTest, InvalidCharactersAreNamedWithTheirPosition) {
  auto id = ParseResidentId("1101051949123100A2", kToday);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("invalid character A at position 17"));
  auto han = ParseResidentId("110105一9491231002X", kToday);
  ASSERT_FALSE(han.ok());
  EXPECT_THAT(std::string(han.status().message()), HasSubstr("U+4E00 at position 7"));
  EXPECT_THAT(Problems("11010519491231X02X"), ElementsAre(ResidentIdProblem::kCharacters));
  EXPECT_THAT(Problems("11010549123100X"), ElementsAre(ResidentIdProblem::kCharacters));
  EXPECT_THAT(Problems("\xC0\xB1"
                       "1010519491231002X"),  // overlong '1' is not a '1'
              ElementsAre(ResidentIdProblem::kCharacters));
}

TEST(ResidentIdTest, LengthOtherThan15Or18IsRefused) {
  for (std::string_view text :
       {"", "1101051949123100", "11010519491231002X1", "1234567890123456"}) {
    EXPECT_THAT(Problems(text), ElementsAre(ResidentIdProblem::kLength)) << text;
  }
  EXPECT_THAT(std::string(ParseResidentId("11010519491231002", kToday).status().message()),
              HasSubstr("got 17"));
  EXPECT_FALSE(ParseResidentId(std::string(100000, '1'), kToday).ok());
}

TEST(ResidentIdTest, FirstGenerationIdsAreUpgraded) {
  auto id = ParseResidentId("110105491231002", kToday);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->normalized, "11010519491231002X");
  EXPECT_EQ(id->birth_date, "1949-12-31");
  EXPECT_EQ(id->sex, 'F');
  EXPECT_TRUE(id->upgraded_from_15);
  // A 15-digit ID has no check character to get wrong, but its date still counts.
  EXPECT_THAT(Problems("110105491331002"), ElementsAre(ResidentIdProblem::kBirthDate));
}

TEST(ResidentIdTest, BirthDateMustBeARealPastDateFrom1900) {
  // 2020-02-29 is a leap day; 1900 is not a leap year.
  EXPECT_TRUE(ParseResidentId("530123202002290056", kToday).ok());
  EXPECT_TRUE(ParseResidentId("11010519000101001X", kToday).ok());
  // Check characters below are correct, so the date is the only problem.
  EXPECT_THAT(Problems("530123202102290053"), ElementsAre(ResidentIdProblem::kBirthDate));
  auto future = ParseResidentId("110105202701010016", kToday);
  ASSERT_FALSE(future.ok());
  EXPECT_THAT(std::string(future.status().message()),
              HasSubstr("birth date 2027-01-01 is after today 2026-11-29"));
  // A check-valid example that circulates widely, born 1880: flagged, its birth date still read.
  ResidentIdCheck old = CheckResidentId("440524188001010014", kToday);
  ASSERT_TRUE(old.info.has_value());
  EXPECT_EQ(old.info->birth_date, "1880-01-01");
  ASSERT_EQ(old.issues.size(), 1u);
  EXPECT_THAT(old.issues[0].message, HasSubstr("before 1900-01-01"));
  // Today itself is allowed (a newborn registered on the day).
  const year_month_day birthday{std::chrono::year(2026), std::chrono::month(1),
                                std::chrono::day(1)};
  EXPECT_TRUE(ParseResidentId("650102202601010023", birthday).ok());
  EXPECT_FALSE(ParseResidentId("650102202601010023", birthday - std::chrono::months(1)).ok());
}

TEST(ResidentIdTest, ProvinceCodes) {
  for (std::string_view p : {"11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65",
                             "71", "81", "82", "83"}) {
    EXPECT_TRUE(IsProvinceCode(p)) << p;
  }
  for (std::string_view p : {"00", "10", "16", "20", "24", "30", "38", "40", "47",  "49", "55",
                             "60", "66", "70", "72", "80", "84", "99", "1",  "111", "1a"}) {
    EXPECT_FALSE(IsProvinceCode(p)) << p;
  }
  EXPECT_TRUE(ParseResidentId("830000198506150032", kToday).ok());  // Taiwan residence permit
  auto bad = ParseResidentId("990101199001010019", kToday);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("省级代码无效 province code 99 is not a GB/T 2260 province-level code"));
}

TEST(ResidentIdTest, LenientCheckListsEveryProblemAndKeepsTheNumber) {
  // Province 99, 13th month, wrong check character: all three reported at once.
  ResidentIdCheck check = CheckResidentId("99010519491331002x", kToday);
  ASSERT_TRUE(check.info.has_value());
  EXPECT_EQ(check.info->normalized, "99010519491331002X");
  EXPECT_EQ(check.info->birth_date, "");
  EXPECT_FALSE(check.ok());
  EXPECT_THAT(Problems("99010519491331002x"),
              ElementsAre(ResidentIdProblem::kProvince, ResidentIdProblem::kBirthDate,
                          ResidentIdProblem::kCheckCharacter));
  EXPECT_TRUE(CheckResidentId("11010519491231002X", kToday).ok());
}

TEST(ResidentIdTest, MismatchesWithBirthDateAndGender) {
  ResidentIdInfo id = *ParseResidentId("11010519491231002X", kToday);  // 1949-12-31, female
  EXPECT_THAT(ResidentIdMismatches(id, "1949-12-31", "female"), IsEmpty());
  EXPECT_THAT(ResidentIdMismatches(id, "1949-12", "unknown"), IsEmpty());
  EXPECT_THAT(ResidentIdMismatches(id, "1949", "other"), IsEmpty());
  EXPECT_THAT(ResidentIdMismatches(id, "", ""), IsEmpty());
  EXPECT_THAT(ResidentIdMismatches(id, "1949-12-30", "male"),
              ElementsAre(HasSubstr("birthDate 1949-12-30 differs from the ID's 1949-12-31"),
                          HasSubstr("gender male differs from the ID's female (17th digit even)")));
  EXPECT_THAT(ResidentIdMismatches(id, "1950", "female"), ElementsAre(HasSubstr("出生日期")));
}

TEST(HealthRecordNumberTest, MakeAndParse) {
  auto number = MakeHealthRecordNumber("320102001101", 42);
  ASSERT_TRUE(number.ok()) << number.status();
  EXPECT_EQ(*number, "32010200110100042");
  auto info = ParseHealthRecordNumber("３２０１０２-００１-１０１-００042");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->normalized, "32010200110100042");
  EXPECT_EQ(info->county_code, "320102");
  EXPECT_EQ(info->township_code, "001");
  EXPECT_EQ(info->village_code, "101");
  EXPECT_EQ(info->serial, 42);
  EXPECT_EQ(*MakeHealthRecordNumber("320102001101", 99999), "32010200110199999");
}

TEST(HealthRecordNumberTest, RefusesBadInput) {
  EXPECT_THAT(std::string(ParseHealthRecordNumber("3201020011010004").status().message()),
              HasSubstr("17 digits, got 16"));
  EXPECT_THAT(std::string(ParseHealthRecordNumber("32010200110100000").status().message()),
              HasSubstr("serial 00000"));
  EXPECT_THAT(std::string(ParseHealthRecordNumber("99010200110100001").status().message()),
              HasSubstr("province code 99"));
  EXPECT_FALSE(ParseHealthRecordNumber("3201020011010004X").ok());
  EXPECT_FALSE(ParseHealthRecordNumber("320102001101a0004").ok());
  EXPECT_FALSE(MakeHealthRecordNumber("32010200110", 1).ok());
  EXPECT_FALSE(MakeHealthRecordNumber("32010200110a", 1).ok());
  EXPECT_FALSE(MakeHealthRecordNumber("990102001101", 1).ok());
  EXPECT_FALSE(MakeHealthRecordNumber("320102001101", 0).ok());
  EXPECT_FALSE(MakeHealthRecordNumber("320102001101", 100000).ok());
  EXPECT_EQ(KindOf(MakeHealthRecordNumber("320102001101", 0).status()), ErrorKind::kInvalid);
}

TEST(PatientIdentifiersTest, ReportsPerIdentifierWithPaths) {
  auto patient = json::Parse(R"({"resourceType":"Patient",
    "identifier":[
      {"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"},
      {"system":"https://example.org/mrn","value":"not checked"},
      {"system":"urn:oid:2.16.156.10011.1.3","value":"320102199003071235"},
      {"system":"https://rhip.cn/fhir/sid/health-record-number","value":"32010200110100000"},
      {"system":"urn:oid:2.16.156.10011.1.3","value":"110105491231002"},
      {"system":"urn:oid:2.16.156.10011.1.3"},
      "junk"],
    "gender":"male","birthDate":"1949-12-31"})");
  ASSERT_TRUE(patient.ok());
  std::vector<Issue> issues = CheckPatientIdentifiers(*patient, kToday);
  std::vector<std::string> seen;
  for (const Issue& issue : issues) {
    seen.push_back(StrCat(issue.severity, " ", issue.expression, " ", issue.diagnostics));
  }
  EXPECT_THAT(
      seen,
      ElementsAre(
          HasSubstr("warning Patient.identifier[0].value 性别与身份证号不符 gender male"),
          HasSubstr(
              "error Patient.identifier[2].value 校验码错误 check character should be 9, got 5"),
          HasSubstr("warning Patient.identifier[2].value 出生日期与身份证号不符"),
          HasSubstr("error Patient.identifier[3].value 健康档案编号无效"),
          HasSubstr("warning Patient.identifier[4].value 性别与身份证号不符"),
          HasSubstr(
              "information Patient.identifier[4].value 一代身份证号 first-generation 15-digit "
              "ID; the 18-digit form is 11010519491231002X"),
          HasSubstr("error Patient.identifier[5].value 标识缺少值")));
}

TEST(PatientIdentifiersTest, CleanPatientHasNoIssues) {
  auto patient =
      json::Parse(R"({"resourceType":"Patient","gender":"female","birthDate":"1949-12-31",
    "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"11010519491231002X"},
                  {"system":"https://rhip.cn/fhir/sid/health-record-number","value":"32010200110100042"}]})");
  ASSERT_TRUE(patient.ok());
  EXPECT_THAT(CheckPatientIdentifiers(*patient, kToday), IsEmpty());
  EXPECT_THAT(CheckPatientIdentifiers(json::Value("not an object"), kToday), IsEmpty());
}

TEST(ResidentIdTest, ShanghaiDateIsUtcPlusEight) {
  // 2026-11-28T16:00:00Z is midnight of the 29th in Beijing time.
  constexpr int64_t kMidnight = 1795881600LL * 1000000;
  EXPECT_EQ(ShanghaiDate(kMidnight), kToday);
  EXPECT_EQ(ShanghaiDate(kMidnight - 1),
            year_month_day(std::chrono::sys_days(kToday) - std::chrono::days(1)));
}

// Bounded mutation fuzzing: whatever the bytes, no crash, and the strict and lenient paths agree.
// Deterministic seed keeps failures reproducible.
TEST(ResidentIdFuzzTest, MutatedInputNeverCrashes) {
  const std::string seeds[] = {"11010519491231002X", "110105491231002",
                               "１１０１０５１９４９１２３１００２ｘ", "110105-19491231 002x"};
  const char kAlphabet[] = "0123456789Xx -\t\x80\xbf\xc0\xe3\xef\xbc\x90\xff\xf4\x8f";
  std::mt19937 rng(20261129);
  int valid = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string text = seeds[i % 4];
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      size_t pos = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 5) {
        case 0:
          if (!text.empty()) text[pos] = kAlphabet[rng() % (sizeof kAlphabet - 1)];
          break;
        case 1:
          if (!text.empty()) text.erase(pos, 1 + rng() % 3);
          break;
        case 2:
          text.insert(pos, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]);
          break;
        case 3:
          text = text.substr(0, pos);
          break;
        case 4:
          text.insert(pos, 1, static_cast<char>(rng() % 256));
          break;
      }
    }
    auto parsed = ParseResidentId(text, kToday);
    ResidentIdCheck check = CheckResidentId(text, kToday);
    ASSERT_EQ(parsed.ok(), check.ok()) << text;
    if (parsed.ok()) {
      ++valid;
      ASSERT_EQ(parsed->normalized.size(), 18u);
      ASSERT_EQ(ResidentIdCheckCharacter(parsed->normalized), parsed->normalized[17]);
      ASSERT_EQ(ParseResidentId(parsed->normalized, kToday)->normalized, parsed->normalized);
    }
    (void)ParseHealthRecordNumber(text);
  }
  EXPECT_GT(valid, 0);
}

}  // namespace
}  // namespace rhip::registry
