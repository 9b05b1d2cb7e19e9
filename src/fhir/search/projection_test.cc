#include "fhir/search/projection.h"

#include "core/json.h"
#include "gtest/gtest.h"

namespace rhip::fhir::search {
namespace {

json::Value ProjectPatient(Summary summary, std::vector<std::string> elements = {}) {
  const std::string patient = R"({"resourceType":"Patient","id":"p1","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">王芳</div>"},"name":[{"family":"王"}],
    "gender":"female","birthDate":"1985-04-12","_birthDate":{"extension":[{"url":"urn:x",
    "valueString":"y"}]},"deceasedBoolean":false,"multipleBirthBoolean":false,
    "contact":[{"name":{"family":"王"}}],"link":[{"other":{"reference":"Patient/p2"},"type":"seealso"}]})";
  absl::StatusOr<std::string> out = Project(patient, summary, elements);
  EXPECT_TRUE(out.ok()) << out.status();
  absl::StatusOr<json::Value> parsed = json::Parse(out.ok() ? *out : "{}");
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? std::move(*parsed) : json::Value();
}

TEST(ProjectionTest, SummaryTrueKeepsSummaryElementsWhole) {
  json::Value p = ProjectPatient(Summary::kTrue);
  for (const char* kept : {"resourceType", "id", "meta", "name", "gender", "birthDate", "_birthDate",
                           "deceasedBoolean", "link"}) {
    EXPECT_NE(p.Find(kept), nullptr) << kept;
  }
  for (const char* dropped : {"text", "contact", "multipleBirthBoolean"}) {
    EXPECT_EQ(p.Find(dropped), nullptr) << dropped;
  }
  EXPECT_NE(p.Find("link")->as_array()[0].Find("other"), nullptr);  // nested content whole
  EXPECT_EQ(*p.Find("meta")->Find("tag")->as_array()[0].FindString("code"), "SUBSETTED");
}

TEST(ProjectionTest, TextAndData) {
  json::Value text = ProjectPatient(Summary::kText);
  EXPECT_NE(text.Find("text"), nullptr);
  EXPECT_EQ(text.Find("name"), nullptr);
  json::Value data = ProjectPatient(Summary::kData);
  EXPECT_EQ(data.Find("text"), nullptr);
  EXPECT_NE(data.Find("contact"), nullptr);
}

}  // namespace
}  // namespace rhip::fhir::search
