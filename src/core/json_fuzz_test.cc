// Bounded mutation fuzzing of the JSON parser: mutated documents must never crash or hang,
// and whatever parses must serialize and parse back to the same value. Deterministic seeds
// keep failures reproducible. (GCC has no libFuzzer; a clang build can reuse FuzzOne.)
#include <random>
#include <string>

#include "core/json.h"
#include "gtest/gtest.h"

namespace rhip::json {
namespace {

void FuzzOne(std::string_view input) {
  auto v = Parse(input);
  if (!v.ok()) return;
  std::string out = Serialize(*v);
  auto again = Parse(out);
  ASSERT_TRUE(again.ok()) << "serialized output does not parse: " << out;
  EXPECT_EQ(*again, *v);
  EXPECT_EQ(Serialize(*again), out);
}

TEST(JsonFuzzTest, MutatedDocumentsNeverCrash) {
  const std::string seeds[] = {
      R"({"resourceType":"Patient","name":[{"family":"张","given":["三丰"]}],"birthDate":"1990-01-01"})",
      R"({"a":[1,2.50,-3e10,true,false,null,{"b":"\u00e9\ud83d\ude00\n"}],"_a":[null,{"id":"x"}]})",
      R"([[[[[]]]],{},"",0,-0.0,1E+2])",
  };
  const char kAlphabet[] = "{}[]\":,\\0123456789.eE+-truefalsnul \t\n\x80\xff\xe5\xbc\xa0u";
  std::mt19937 rng(20261122);
  int parsed = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string doc = seeds[i % 3];
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !doc.empty(); ++m) {
      size_t pos = rng() % doc.size();
      switch (rng() % 4) {
        case 0: doc[pos] = kAlphabet[rng() % (sizeof kAlphabet - 1)]; break;
        case 1: doc.erase(pos, 1 + rng() % 3); break;
        case 2: doc.insert(pos, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]); break;
        case 3: doc = doc.substr(0, pos); break;
      }
    }
    FuzzOne(doc);
    if (Parse(doc).ok()) ++parsed;
  }
  EXPECT_GT(parsed, 0);
}

TEST(JsonFuzzTest, DeepNestingIsRefusedNotAStackOverflow) {
  std::string deep(1000000, '[');
  EXPECT_FALSE(Parse(deep).ok());
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(Parse(objects).ok());
}

}  // namespace
}  // namespace rhip::json
