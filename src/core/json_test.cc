#include "core/json.h"

#include "gtest/gtest.h"

namespace rhip::json {
namespace {

TEST(JsonTest, RoundTripsDecimalPrecisionAndOrder) {
  std::string text = R"({"b":1.10,"a":[1,-0.5e3,true,null],"c":"x\"y\u00e9\n","d":{}})";
  auto v = Parse(text);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(Serialize(*v), R"({"b":1.10,"a":[1,-0.5e3,true,null],"c":"x\"yé\n","d":{}})");
}

TEST(JsonTest, KeepsChineseText) {
  auto v = Parse(R"({"family":"张","given":["三丰"]})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->FindString("family"), "张");
  EXPECT_EQ(Serialize(*v), R"({"family":"张","given":["三丰"]})");
}

TEST(JsonTest, DecodesSurrogatePairs) {
  auto v = Parse(R"("\ud83d\ude00")");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_string(), "\xF0\x9F\x98\x80");
}

TEST(JsonTest, RejectsBadInputWithOffset) {
  for (std::string_view bad :
       {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"\\x\"", "{\"a\":1,\"a\":2}", "\"\xff\"",
        "\"\\ud800\"", "tru", "[1] 2", "\"a\tb\""}) {
    auto v = Parse(bad);
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) {
      EXPECT_NE(v.status().message().find("byte"), std::string_view::npos);
    }
  }
}

TEST(JsonTest, LimitsDepth) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_FALSE(Parse(deep).ok());
  ParseOptions opts;
  opts.max_depth = 200;
  EXPECT_TRUE(Parse(deep, opts).ok());
}

TEST(JsonTest, ObjectEqualityIgnoresOrder) {
  EXPECT_EQ(*Parse(R"({"a":1,"b":2})"), *Parse(R"({"b":2,"a":1})"));
  EXPECT_FALSE(*Parse(R"({"a":1.0})") == *Parse(R"({"a":1})"));
}

TEST(JsonTest, ObjectSetReplacesInPlace) {
  Object o;
  o.Set("a", 1);
  o.Set("b", 2);
  o.Set("a", 3);
  EXPECT_EQ(Serialize(Value(o)), R"({"a":3,"b":2})");
  EXPECT_TRUE(o.Erase("a"));
  EXPECT_FALSE(o.Erase("a"));
}

TEST(JsonTest, AsInt64) {
  EXPECT_EQ(Parse("42")->AsInt64(), 42);
  EXPECT_EQ(Parse("4.2")->AsInt64(), std::nullopt);
  EXPECT_EQ(Parse("99999999999999999999")->AsInt64(), std::nullopt);
}

}  // namespace
}  // namespace rhip::json
