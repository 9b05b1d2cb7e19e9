#include "terminology/icd10_csv.h"

#include <string>

#include "gtest/gtest.h"
#include "terminology/code_system_index.h"

namespace rhip::terminology {
namespace {

TEST(Icd10CsvTest, NestsByParentInAnyOrder) {
  // A BOM, CRLF, a quoted name with a comma and a doubled quote, a child before its parent.
  std::string csv =
      "\xEF\xBB\xBF" "code,name_zh,level,parent,source_version\r\n"
      "I10.x00x002,高血压,extension,I10.x00,x\r\n"
      "I00-I99,循环系统疾病,chapter,,x\r\n"
      "I10-I15,高血压病,block,I00-I99,x\r\n"
      "I10,\"特发性(原发性)高血压, \"\"原发\"\"\",category,I10-I15,x\r\n"
      "I10.x00,特发性（原发性）高血压,extension,I10,x\r\n";
  auto load = Icd10FromCsv(csv, {.version = "2.0", .source = "test.csv"});
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->concepts, 5);
  EXPECT_EQ(*load->code_system.FindString("url"), kDefaultIcd10Url);
  EXPECT_EQ(*load->code_system.FindString("version"), "2.0");
  EXPECT_EQ(*load->value_set.FindString("url"), "https://rhip.cn/fhir/ValueSet/icd-10-cn");
  auto index = CodeSystemIndex::Build(load->code_system);
  ASSERT_TRUE(index.ok());
  const CodeSystemIndex& cs = **index;
  int i10 = cs.Find("I10");
  ASSERT_GE(i10, 0);
  EXPECT_EQ(cs.concepts()[i10].display, "特发性(原发性)高血压, \"原发\"");
  EXPECT_EQ(cs.concepts()[cs.concepts()[i10].parents[0]].code, "I10-I15");
  EXPECT_EQ(cs.Descendants(cs.Find("I00-I99"), false).size(), 4u);
  std::string level = json::Serialize(*cs.concepts()[i10].properties[0]);
  EXPECT_EQ(level, R"({"code":"level","valueCode":"category"})");
}

TEST(Icd10CsvTest, OtherUrlsGetTheImplicitValueSet) {
  EXPECT_EQ(AllCodesValueSetUrl("http://example.org/icd"), "http://example.org/icd?fhir_vs");
  EXPECT_EQ(AllCodesValueSetUrl("https://x.org/fhir/CodeSystem/icd"), "https://x.org/fhir/ValueSet/icd");
}

TEST(Icd10CsvTest, ErrorsNameTheLine) {
  auto message = [](const std::string& csv) {
    auto r = Icd10FromCsv(csv, {});
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(message(""), "the file is empty (expected a header: code,name_zh,level,parent)");
  EXPECT_NE(message("code,parent\nA,\n").find("line 1: the header must name"), std::string::npos);
  EXPECT_EQ(message("code,name,parent\n"), "the file has a header but no codes");
  EXPECT_EQ(message("code,name,parent\nA,a,\nA,b,\n"), "line 3: code A appears twice (first on line 2)");
  EXPECT_EQ(message("code,name,parent\nA,a,B\n"), "line 2: parent B of A is not in the file");
  EXPECT_EQ(message("code,name,parent\nA,a,B\nB,b,A\n"), "line 2: A is its own ancestor (a parent cycle)");
  EXPECT_EQ(message("code,name,parent\nA,,\n"), "line 2: code A has no name");
  EXPECT_EQ(message("code,name,parent\n\"A,a,\n"), "line 2: unterminated quoted field");
}

}  // namespace
}  // namespace rhip::terminology
