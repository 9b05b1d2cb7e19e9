#include "terminology/chinese_text.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip::terminology {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Fulls(const std::vector<PinyinKey>& keys) {
  std::vector<std::string> out;
  for (const PinyinKey& k : keys) out.push_back(k.full);
  return out;
}

TEST(FoldForSearchTest, TraditionalToSimplified) {
  EXPECT_EQ(FoldForSearch("張三豐"), "张三丰");
  EXPECT_EQ(FoldForSearch("劉德華"), "刘德华");
  // Simplified text is unchanged, including surnames that s2t would corrupt.
  EXPECT_EQ(FoldForSearch("余后干于"), "余后干于");
}

TEST(FoldForSearchTest, FullWidthCaseAndSpaces) {
  EXPECT_EQ(FoldForSearch("ＡＢＣ"), "abc");
  EXPECT_EQ(FoldForSearch("Wei  Zhang"), "weizhang");
  EXPECT_EQ(FoldForSearch("李\u3000明"), "李明");
  EXPECT_EQ(FoldForSearch("ｚｈａｎｇ　１２３"), "zhang123");
}

TEST(FoldForSearchTest, MiddleDots) {
  EXPECT_EQ(FoldForSearch("阿依古丽·买买提"), "阿依古丽买买提");
  EXPECT_EQ(FoldForSearch("阿依古丽•买买提"), "阿依古丽买买提");
  EXPECT_EQ(FoldForSearch("阿依古丽・买买提"), "阿依古丽买买提");
  EXPECT_EQ(FoldForSearch("阿依古丽‧买买提"), "阿依古丽买买提");
  // A period between Han characters is a middle dot typed on a plain keyboard; elsewhere it stays.
  EXPECT_EQ(FoldForSearch("阿依古丽．买买提"), "阿依古丽买买提");
  EXPECT_EQ(FoldForSearch("阿依古丽 . 买买提"), "阿依古丽买买提");
  EXPECT_EQ(FoldForSearch("St. Mary"), "st.mary");
  EXPECT_EQ(FoldForSearch("1.5"), "1.5");
  EXPECT_EQ(FoldForSearch("李."), "李.");
  EXPECT_EQ(FoldForSearch("李.a"), "李.a");
}

TEST(FoldForSearchTest, MalformedUtf8IsReplaced) {
  EXPECT_EQ(FoldForSearch(std::string("a\xFF" "b")), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(FoldForSearch(std::string("\xE5\xBC")), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ContainsHanTest, Ranges) {
  EXPECT_TRUE(ContainsHan("张"));
  EXPECT_TRUE(ContainsHan("abc㐀"));   // Extension A
  EXPECT_TRUE(ContainsHan("𠮷"));      // Extension B
  EXPECT_FALSE(ContainsHan("abc"));
  EXPECT_FALSE(ContainsHan("・〇ＡＢ"));
  EXPECT_FALSE(ContainsHan(""));
}

TEST(PinyinKeysTest, PlainName) {
  const auto keys = PinyinKeys("张三丰");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].full, "zhangsanfeng");
  EXPECT_EQ(keys[0].initials, "zsf");
  EXPECT_EQ(PinyinKeys("張三豐"), keys);
}

TEST(PinyinKeysTest, NoHanNoKeys) {
  EXPECT_THAT(PinyinKeys("zhang san"), IsEmpty());
  EXPECT_THAT(PinyinKeys(""), IsEmpty());
}

TEST(PinyinKeysTest, SurnameReadings) {
  // Without the surname hint 曾 reads ceng first (曾经) and zeng second.
  const auto plain = PinyinKeys("曾小明");
  ASSERT_GE(plain.size(), 2u);
  EXPECT_EQ(plain[0].full, "cengxiaoming");
  EXPECT_EQ(plain[1].full, "zengxiaoming");
  const auto keys = PinyinKeys("曾小明", /*surname_first=*/true);
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys[0].full, "zengxiaoming");
  EXPECT_EQ(keys[0].initials, "zxm");
  EXPECT_EQ(PinyinKeys("单", true)[0].full, "shan");
  EXPECT_EQ(PinyinKeys("单")[0].full, "dan");
  EXPECT_EQ(PinyinKeys("单单", true)[0].full, "shandan");  // only the first character is the surname
  EXPECT_EQ(PinyinKeys("区小华", true)[0].full, "ouxiaohua");
  EXPECT_EQ(PinyinKeys("解放", true)[0].full, "xiefang");
  EXPECT_THAT(Fulls(PinyinKeys("乐", true)), ElementsAre("yue", "le"));
}

TEST(PinyinKeysTest, CompoundSurnames) {
  const auto keys = PinyinKeys("欧阳娜娜", true);
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys[0].full, "ouyangnana");
  EXPECT_EQ(keys[0].initials, "oynn");
  EXPECT_EQ(PinyinKeys("尉迟恭", true)[0].full, "yuchigong");
  EXPECT_EQ(PinyinKeys("万俟卨", true)[0].full, "moqixie");
  EXPECT_EQ(PinyinKeys("万俟卨", false)[0].full, "wanqixie");
  EXPECT_EQ(PinyinKeys("诸葛亮", true)[0].initials, "zgl");
}

TEST(PinyinKeysTest, MiddleDotName) {
  const auto keys = PinyinKeys("阿依古丽·买买提");
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys[0].full, "ayigulimaimaiti");
  EXPECT_EQ(keys[0].initials, "ayglmmt");
}

TEST(PinyinKeysTest, NonHanKeptFolded) {
  const auto keys = PinyinKeys("李Ａ1");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].full, "lia1");
  EXPECT_EQ(keys[0].initials, "la1");
}

TEST(PinyinKeysTest, UmlautKeptDistinct) {
  EXPECT_EQ(PinyinKeys("吕")[0].full, "lv");
  EXPECT_EQ(PinyinKeys("卢")[0].full, "lu");
  EXPECT_EQ(PinyinKeys("女")[0].full, "nv");
}

TEST(PinyinKeysTest, PolyphonicCappedAtFour) {
  // 单 dan/chan/shan, 乐 le/yue, 重 zhong/chong: second readings first, then third.
  const auto keys = PinyinKeys("单乐重");
  EXPECT_THAT(Fulls(keys), ElementsAre("danlezhong", "chanlezhong", "danyuezhong", "danlechong"));
}

TEST(PinyinKeysTest, ExtensionCharacters) {
  EXPECT_EQ(PinyinKeys("㐀")[0].full, "qiu");   // U+3400, Extension A
  EXPECT_EQ(PinyinKeys("\U00020000")[0].full, "he");  // Extension B
  EXPECT_EQ(PinyinKeys("\U00020003")[0].full, "qie");
}

// The shared OpenCC converter and the tables are used from many request threads at once.
TEST(ChineseTextTest, ConcurrentCallsAgree) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &mismatches] {
      for (int i = 0; i < 500; ++i) {
        if (FoldForSearch("歐陽娜娜·張") != "欧阳娜娜张") ++mismatches[t];
        const auto keys = PinyinKeys("歐陽娜娜", true);
        if (keys.empty() || keys[0].full != "ouyangnana") ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace rhip::terminology
