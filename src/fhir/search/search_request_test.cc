#include "fhir/search/search_request.h"

#include "gtest/gtest.h"

namespace rhip::fhir::search {
namespace {

absl::StatusOr<SearchRequest> Parse(std::string_view type, QueryParams params, bool lenient = false) {
  ParseOptions options;
  options.lenient = lenient;
  return ParseSearchRequest(SearchParamRegistry::Default(), type, params, options);
}

TEST(SearchRequestTest, ParsesCriteriaModifiersAndResultParameters) {
  auto r = Parse("Observation", {{"code", "http://loinc.org|1234-5,5678-9"},
                                 {"subject:Patient.name", "zhang"},
                                 {"_has:Provenance:target:agent", "Practitioner/1"},
                                 {"_sort", "-date,_id"}, {"_count", "5"},
                                 {"_include", "Observation:subject"},
                                 {"_revinclude:iterate", "Provenance:target"}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->criteria.size(), 3u);
  EXPECT_EQ(r->criteria[0].values.size(), 2u);
  EXPECT_EQ(r->criteria[1].kind, Criterion::Kind::kChain);
  EXPECT_EQ(r->criteria[1].other_types, std::vector<std::string>{"Patient"});
  EXPECT_EQ(r->criteria[2].kind, Criterion::Kind::kHas);
  ASSERT_EQ(r->sort.size(), 2u);
  EXPECT_TRUE(r->sort[0].descending);
  EXPECT_EQ(r->count, 5);
  ASSERT_EQ(r->includes.size(), 2u);
  EXPECT_TRUE(r->includes[1].reverse && r->includes[1].iterate);
}

TEST(SearchRequestTest, UnknownParametersFailUnlessLenient) {
  auto strict = Parse("Patient", {{"shoe-size", "42"}});
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(std::string(strict.status().message()).find("shoe-size"), std::string::npos);
  auto lenient = Parse("Patient", {{"shoe-size", "42"}, {"gender", "male"}}, true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->criteria.size(), 1u);
  EXPECT_EQ(lenient->understood.size(), 1u);
  // Lenient never hides a malformed value of a known parameter.
  EXPECT_FALSE(Parse("Patient", {{"gender:contains", "m"}}, true).ok());
}

TEST(SearchRequestTest, RejectsBadModifiersAndForms) {
  EXPECT_FALSE(Parse("Patient", {{"name:below", "x"}}).ok());
  EXPECT_FALSE(Parse("Patient", {{"gender:missing", "maybe"}}).ok());
  EXPECT_FALSE(Parse("Patient", {{"_has:Observation:code", "x"}}).ok());
  EXPECT_FALSE(Parse("Observation", {{"code.name", "x"}}).ok());
  EXPECT_FALSE(Parse("Patient", {{"_summary", "maybe"}}).ok());
  EXPECT_FALSE(Parse("Patient", {{"_type", "Patient"}}).ok());
}

// Regression: SQLite's LIKE stopped at the NUL of "name:contains=%00", which then matched
// every Patient.
TEST(SearchRequestTest, RejectsNulInNamesAndValues) {
  using namespace std::string_literals;
  for (bool lenient : {false, true}) {
    EXPECT_FALSE(Parse("Patient", {{"name:contains", "\0"s}}, lenient).ok());
    EXPECT_FALSE(Parse("Patient", {{"name", "a\0b"s}}, lenient).ok());
    EXPECT_FALSE(Parse("Patient", {{"_cursor", "\0"s}}, lenient).ok());
    EXPECT_FALSE(Parse("Patient", {{"name\0x"s, "a"}}, lenient).ok());
  }
  EXPECT_TRUE(Parse("Patient", {{"name:contains", "a"}}).ok());
}

TEST(SearchRequestTest, EscapesSplitCorrectly) {
  EXPECT_EQ(SplitUnescaped("a\\,b,c", ',').size(), 2u);
  EXPECT_EQ(UnescapeValue("a\\,b\\|c\\$d\\\\"), "a,b|c$d\\");
}

}  // namespace
}  // namespace rhip::fhir::search
