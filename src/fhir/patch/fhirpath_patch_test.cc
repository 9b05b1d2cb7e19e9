#include <cstdlib>
#include <iostream>
#include <string>

#include <pugixml.hpp>

#include "core/testing/paths.h"
#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "fhir/patch/patch.h"
#include "fhir/patch/testing/fhir_xml.h"
#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

// Test inputs are literals: a parse error is a bug in the test and may throw.
json::Value ParseOrDie(std::string_view text) { return json::Parse(text).value(); }

pugi::xml_node FirstElement(const pugi::xml_node& parent) {
  for (pugi::xml_node n : parent.children()) {
    if (n.type() == pugi::node_element) return n;
  }
  return {};
}

// fhir-patch-tests.xml: every case applies its diff to its input and must give its output,
// or fail when the case names an error. ("mode" says whether a diff engine could also
// produce the diff; rhip only applies patches, so every mode is applied forwards.)
TEST(FhirPathPatchTest, SharedCases) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file(
      (rhip::testing::SharedDataDir() + "/fhir-patch/fhir-patch-tests.xml").c_str()));
  int passed = 0, total = 0;
  for (pugi::xml_node c : doc.child("tests").children("case")) {
    ++total;
    const std::string name = c.attribute("name").value();
    absl::StatusOr<json::Value> input = testing::FhirXmlToJson(FirstElement(c.child("input")));
    absl::StatusOr<json::Value> diff = testing::FhirXmlToJson(FirstElement(c.child("diff")));
    ASSERT_TRUE(input.ok() && diff.ok()) << name;
    json::Value resource = *input;
    absl::Status s = ApplyFhirPathPatch(*diff, &resource);
    if (pugi::xml_node error = c.child("error")) {
      EXPECT_FALSE(s.ok()) << name;
      EXPECT_EQ(KindOf(s), ErrorKind::kUnprocessable) << name << ": " << s;
      EXPECT_NE(std::string(s.message()).find(error.attribute("msg").value()), std::string::npos)
          << name << ": " << s;
      passed += !s.ok();
      continue;
    }
    absl::StatusOr<json::Value> output = testing::FhirXmlToJson(FirstElement(c.child("output")));
    ASSERT_TRUE(output.ok()) << name;
    EXPECT_TRUE(s.ok()) << name << ": " << s;
    // A patched narrative is text; compare it as XHTML, as the expected output was parsed.
    if (json::Value* text = resource.Find("text"); text != nullptr && text->FindString("div")) {
      text->as_object().Set("div", testing::CanonicalXhtml(*text->FindString("div")));
    }
    EXPECT_TRUE(resource == *output) << name << "\n got:      " << json::Serialize(resource)
                                     << "\n expected: " << json::Serialize(*output);
    passed += s.ok() && resource == *output;
  }
  std::cout << "fhir-patch-tests.xml: " << passed << "/" << total << " passed\n";
}

json::Value Operation(std::string_view parts) {
  return ParseOrDie(absl::StrCat(R"({"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [)",
                                 std::string(parts), "]}]}"));
}

TEST(FhirPathPatchTest, ChoiceTypeReplaceRenamesMember) {
  json::Value obs = ParseOrDie(R"({"resourceType": "Observation", "status": "final", "valueString": "x"})");
  ASSERT_TRUE(ApplyFhirPathPatch(Operation(R"({"name": "type", "valueCode": "replace"},
      {"name": "path", "valueString": "Observation.value"},
      {"name": "value", "valueQuantity": {"value": 5, "unit": "mg"}})"), &obs).ok());
  EXPECT_EQ(obs, ParseOrDie(R"({"resourceType": "Observation", "status": "final",
                                "valueQuantity": {"value": 5, "unit": "mg"}})"));
}

TEST(FhirPathPatchTest, ErrorsAndAtomicity) {
  const json::Value original = ParseOrDie(R"({"resourceType": "Patient", "name": [{"family": "A"}, {"family": "B"}]})");
  json::Value p = original;
  // Ambiguous replace: 422, and the resource is untouched even though an earlier op applied.
  json::Value two = ParseOrDie(R"({"resourceType": "Parameters", "parameter": [
      {"name": "operation", "part": [{"name": "type", "valueCode": "delete"},
                                     {"name": "path", "valueString": "Patient.name[0].family"}]},
      {"name": "operation", "part": [{"name": "type", "valueCode": "replace"},
                                     {"name": "path", "valueString": "Patient.name"},
                                     {"name": "value", "valueString": "C"}]}]})");
  absl::Status s = ApplyFhirPathPatch(two, &p);
  EXPECT_EQ(KindOf(s), ErrorKind::kUnprocessable) << s;
  EXPECT_EQ(p, original);
  // Malformed documents are 400.
  EXPECT_EQ(KindOf(ApplyFhirPathPatch(Operation(R"({"name": "type", "valueCode": "explode"},
      {"name": "path", "valueString": "Patient"})"), &p)), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(ApplyFhirPathPatch(Operation(R"({"name": "type", "valueCode": "delete"},
      {"name": "path", "valueString": "Patient.name.where("})"), &p)), ErrorKind::kInvalid);
  EXPECT_EQ(KindOf(ApplyFhirPathPatch(ParseOrDie(R"({"resourceType": "Patient"})"), &p)),
            ErrorKind::kInvalid);
  // Deleting nothing is fine.
  EXPECT_TRUE(ApplyFhirPathPatch(Operation(R"({"name": "type", "valueCode": "delete"},
      {"name": "path", "valueString": "Patient.birthDate"})"), &p).ok());
  // Move out of range is 422.
  EXPECT_EQ(KindOf(ApplyFhirPathPatch(Operation(R"({"name": "type", "valueCode": "move"},
      {"name": "path", "valueString": "Patient.name"}, {"name": "source", "valueInteger": 0},
      {"name": "destination", "valueInteger": 5})"), &p)), ErrorKind::kUnprocessable);
}

}  // namespace
}  // namespace rhip::fhir
