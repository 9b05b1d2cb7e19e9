#include <fstream>
#include <sstream>
#include <string>

#include "core/testing/paths.h"
#include "core/error.h"
#include "fhir/patch/patch.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

// Test inputs are literals: a parse error is a bug in the test and may throw.
json::Value ParseOrDie(std::string_view text) { return json::Parse(text).value(); }

// Every case of json-patch-tests.json (RFC 6902 appendix A and more): either the expected
// document or an error; none is skipped.
TEST(JsonPatchTest, SharedCases) {
  std::ifstream in(rhip::testing::SharedDataDir() + "/fhir-patch/json-patch-tests.json");
  std::stringstream ss;
  ss << in.rdbuf();
  json::Value cases = ParseOrDie(ss.str());
  ASSERT_TRUE(cases.is_array());
  int passed = 0;
  for (const json::Value& c : cases.as_array()) {
    const std::string comment = c.FindString("comment") ? *c.FindString("comment") : "";
    json::Value doc = *c.Find("doc");
    absl::Status s = ApplyJsonPatch(*c.Find("patch"), &doc);
    if (const json::Value* expected = c.Find("expected")) {
      EXPECT_TRUE(s.ok()) << comment << ": " << s;
      EXPECT_TRUE(doc == *expected) << comment << ": got " << json::Serialize(doc);
      passed += s.ok() && doc == *expected;
    } else {
      EXPECT_FALSE(s.ok()) << comment;
      // On error the document is unchanged (all or nothing).
      EXPECT_EQ(doc, *c.Find("doc")) << comment;
      passed += !s.ok();
    }
  }
  std::cout << "json-patch-tests.json: " << passed << "/" << cases.as_array().size() << " passed\n";
}

TEST(JsonPatchTest, PointerEscapesAndErrors) {
  json::Value doc = ParseOrDie(R"({"a/b": 1, "m~n": 2, "arr": [1, 2]})");
  EXPECT_TRUE(ApplyJsonPatch(ParseOrDie(R"([{"op": "replace", "path": "/a~1b", "value": 3},
                                            {"op": "remove", "path": "/m~0n"},
                                            {"op": "add", "path": "/arr/-", "value": 9},
                                            {"op": "test", "path": "/arr/2", "value": 9.0}])"),
                             &doc)
                  .ok());
  EXPECT_EQ(doc, ParseOrDie(R"({"a/b": 3, "arr": [1, 2, 9]})"));
  absl::Status bad_path = ApplyJsonPatch(ParseOrDie(R"([{"op": "remove", "path": "/nope"}])"), &doc);
  EXPECT_EQ(KindOf(bad_path), ErrorKind::kUnprocessable);
  absl::Status malformed = ApplyJsonPatch(ParseOrDie(R"([{"op": "frobnicate", "path": "/a"}])"), &doc);
  EXPECT_EQ(KindOf(malformed), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(ApplyJsonPatch(ParseOrDie(R"([{"op": "add", "path": "a"}])"), &doc)),
            ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(ApplyJsonPatch(ParseOrDie(R"({"op": "add"})"), &doc)), ErrorKind::kInvalid);
  EXPECT_FALSE(ApplyJsonPatch(ParseOrDie(R"([{"op": "move", "from": "/arr", "path": "/arr/0"}])"), &doc).ok());
  EXPECT_FALSE(ApplyJsonPatch(ParseOrDie(R"([{"op": "add", "path": "/arr/01", "value": 1}])"), &doc).ok());
}

}  // namespace
}  // namespace rhip::fhir
