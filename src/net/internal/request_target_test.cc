#include "net/internal/request_target.h"

#include "gtest/gtest.h"

namespace rhip::net::internal {
namespace {

RequestTarget Parse(std::string_view target) {
  RequestTarget out;
  EXPECT_TRUE(ParseRequestTarget(target, &out)) << target;
  return out;
}

TEST(RequestTargetTest, OriginFormDecodesPathAndKeepsQueryRaw) {
  const RequestTarget t = Parse("/fhir/Patient/%E5%BC%A0%20x?name=a%20b&x");
  EXPECT_EQ(t.path, "/fhir/Patient/\xE5\xBC\xA0 x");
  EXPECT_EQ(t.query, "name=a%20b&x");
  EXPECT_EQ(Parse("/a?").query, "");
  EXPECT_EQ(Parse("/").path, "/");
}

TEST(RequestTargetTest, AbsoluteAndAsteriskForms) {
  const RequestTarget t = Parse("http://example.org:8080/fhir/metadata?_format=json");
  EXPECT_EQ(t.path, "/fhir/metadata");
  EXPECT_EQ(t.query, "_format=json");
  EXPECT_EQ(Parse("http://example.org").path, "/");
  EXPECT_EQ(Parse("*").path, "*");
}

TEST(RequestTargetTest, RejectsMalformedTargets) {
  RequestTarget out;
  for (std::string_view bad : {"", "relative/path", "/a%zz", "/a%2", "/%00", "mailto:x@y",
                               "/a b", "//\x7f"}) {
    EXPECT_FALSE(ParseRequestTarget(bad, &out)) << bad;
  }
}

}  // namespace
}  // namespace rhip::net::internal
