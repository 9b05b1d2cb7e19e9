#include "terminology/code_system_index.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rhip::terminology {
namespace {

// A small ICD-10-like hierarchy: chapter → block → category → subcategory → extension.
constexpr char kIcd[] = R"({"resourceType":"CodeSystem","url":"https://example.org/icd","version":"1",
  "name":"Icd","status":"active","content":"complete","hierarchyMeaning":"is-a",
  "concept":[{"code":"I00-I99","display":"循环系统疾病","concept":[
    {"code":"I10-I15","display":"高血压性疾病","concept":[
      {"code":"I10","display":"特发性(原发性)高血压","concept":[
        {"code":"I10.x00","display":"特发性（原发性）高血压","concept":[
          {"code":"I10.x00x002","display":"高血压"},
          {"code":"I10.x00x003","display":"高血压1级"}]}]},
      {"code":"I11","display":"高血压性心脏病"}]},
    {"code":"I20-I25","display":"缺血性心脏病"}]},
   {"code":"G00-G99","display":"神经系统疾病","concept":[
    {"code":"G40","display":"癫痫","designation":[{"language":"en","value":"Epilepsy"}]}]}]})";

std::shared_ptr<const CodeSystemIndex> Icd() {
  auto json = json::Parse(kIcd);
  EXPECT_TRUE(json.ok()) << json.status();
  auto index = CodeSystemIndex::Build(*std::move(json));
  EXPECT_TRUE(index.ok()) << index.status();
  return *index;
}

std::vector<std::string> Codes(const CodeSystemIndex& cs, std::string_view filter) {
  std::vector<std::string> out;
  for (const auto& m : cs.Search(TextFilter(filter))) out.push_back(cs.concepts()[m.concept_index].code);
  return out;
}

TEST(CodeSystemIndexTest, NestedConceptsMakeTheHierarchy) {
  auto cs = Icd();
  ASSERT_EQ(cs->concepts().size(), 10u);
  int i10 = cs->Find("I10");
  ASSERT_GE(i10, 0);
  const Concept& c = cs->concepts()[i10];
  ASSERT_EQ(c.parents.size(), 1u);
  EXPECT_EQ(cs->concepts()[c.parents[0]].code, "I10-I15");
  std::vector<std::string> below;
  for (int d : cs->Descendants(cs->Find("I10-I15"), /*include_self=*/false)) {
    below.push_back(cs->concepts()[d].code);
  }
  EXPECT_EQ(below, (std::vector<std::string>{"I10", "I10.x00", "I10.x00x002", "I10.x00x003", "I11"}));
  EXPECT_EQ(cs->Find("nope"), -1);
}

TEST(CodeSystemIndexTest, ParentPropertiesMakeTheHierarchyOfAFlatSystem) {
  auto json = json::Parse(R"({"resourceType":"CodeSystem","url":"u","content":"complete","concept":[
    {"code":"a","display":"A"},
    {"code":"b","display":"B","property":[{"code":"parent","valueCode":"a"}]}]})");
  ASSERT_TRUE(json.ok());
  auto cs = CodeSystemIndex::Build(*std::move(json));
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ((*cs)->concepts()[0].children, std::vector<int>{1});
  EXPECT_EQ((*cs)->concepts()[1].parents, std::vector<int>{0});
}

TEST(CodeSystemIndexTest, PinyinInitialsFindChineseDisplays) {
  auto cs = Icd();
  // 拼音码: the initials prefix; 高血压 (shortest display) first.
  std::vector<std::string> got = Codes(*cs, "gxy");
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[0], "I10.x00x002");
  EXPECT_EQ(got[1], "I10.x00x003");
  EXPECT_EQ(got[2], "I10-I15");  // 高血压性疾病
  // Upper case and full-width letters fold.
  EXPECT_EQ(Codes(*cs, "GXY"), got);
  EXPECT_EQ(Codes(*cs, "ｇｘｙ"), got);
}

TEST(CodeSystemIndexTest, FullPinyinPrefix) {
  auto cs = Icd();
  std::vector<std::string> got = Codes(*cs, "gaoxueya");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0], "I10.x00x002");
  EXPECT_EQ(Codes(*cs, "dianxian"), std::vector<std::string>{"G40"});
  EXPECT_TRUE(Codes(*cs, "xyz").empty());
}

TEST(CodeSystemIndexTest, TraditionalAndSimplifiedTextMatch) {
  auto cs = Icd();
  std::vector<std::string> simplified = Codes(*cs, "高血压");
  EXPECT_EQ(Codes(*cs, "高血壓"), simplified);
  ASSERT_EQ(simplified.size(), 6u);  // every display containing 高血压
  EXPECT_EQ(simplified[0], "I10.x00x002");
  // A designation is searched too.
  EXPECT_EQ(Codes(*cs, "epilep"), std::vector<std::string>{"G40"});
}

TEST(CodeSystemIndexTest, RankOrder) {
  // exact code < code prefix < initials prefix < pinyin prefix < text contains.
  Concept exact{.code = "gx"};
  Concept code_prefix{.code = "gx1"};
  Concept initials{.code = "1", .display = "高血"};
  Concept pinyin{.code = "2", .display = "个"};  // ge
  Concept text{.code = "3", .display = "ABGXYZ"};
  for (Concept* c : {&exact, &code_prefix, &initials, &pinyin, &text}) ComputeSearchKeys(c);
  TextFilter gx("gx");
  EXPECT_EQ(Rank(gx, exact), MatchRank::kExactCode);
  EXPECT_EQ(Rank(gx, code_prefix), MatchRank::kCodePrefix);
  EXPECT_EQ(Rank(gx, initials), MatchRank::kInitialsPrefix);
  EXPECT_EQ(Rank(TextFilter("ge"), pinyin), MatchRank::kPinyinPrefix);
  EXPECT_EQ(Rank(gx, text), MatchRank::kTextContains);
  EXPECT_EQ(Rank(TextFilter("zz"), text), MatchRank::kNone);
}

TEST(CodeSystemIndexTest, CodePrefixComesBeforeText) {
  auto cs = Icd();
  std::vector<std::string> got = Codes(*cs, "i10");
  EXPECT_EQ(got, (std::vector<std::string>{"I10", "I10-I15", "I10.x00", "I10.x00x002", "I10.x00x003"}));
}

// RankAll (sorted keys and a text scan) agrees with Rank concept by concept.
TEST(CodeSystemIndexTest, RankAllAgreesWithRank) {
  auto cs = Icd();
  for (const char* f : {"", "gxy", "gx", "g", "gaoxueya", "i10", "I10.x00x002", "高血压", "高血壓",
                        "血压", "压", "epilep", "xyz", "i", "1"}) {
    TextFilter filter(f);
    std::vector<MatchRank> all = cs->RankAll(filter);
    ASSERT_EQ(all.size(), cs->concepts().size());
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i], Rank(filter, cs->concepts()[i])) << f << " on " << cs->concepts()[i].code;
    }
  }
}

TEST(CodeSystemIndexTest, RejectsOtherResources) {
  auto json = json::Parse(R"({"resourceType":"ValueSet"})");
  ASSERT_TRUE(json.ok());
  EXPECT_FALSE(CodeSystemIndex::Build(*std::move(json)).ok());
}

}  // namespace
}  // namespace rhip::terminology
