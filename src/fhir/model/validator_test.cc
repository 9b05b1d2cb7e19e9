#include "fhir/model/validator.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "core/strings.h"
#include "fhir/model/testing/r4_examples.h"

namespace rhip::fhir {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::AllOf;

json::Value ParseOrDie(std::string_view text) {
  absl::StatusOr<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : json::Value();
}

// The errors only: most small test resources lack a narrative (dom-6, a warning).
std::vector<Issue> Validate(std::string_view text, const ValidateOptions& options = {}) {
  std::vector<Issue> errors;
  for (Issue& i : ValidateResource(ParseOrDie(text), options)) {
    if (i.severity != "warning") errors.push_back(std::move(i));
  }
  return errors;
}

auto IssueAt(std::string_view code, std::string_view expression) {
  return AllOf(Field(&Issue::code, std::string(code)),
               Field(&Issue::expression, std::string(expression)),
               Field(&Issue::severity, "error"));
}

TEST(ValidatorTest, MinimalResourcesAreValid) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient"})"), IsEmpty());
  EXPECT_THAT(Validate(R"({"resourceType":"Observation","status":"final",
      "code":{"text":"血压"},"valueQuantity":{"value":120.50,"unit":"mm[Hg]"}})"),
              IsEmpty());
}

TEST(ValidatorTest, ChineseText) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","id":"p1",
      "name":[{"text":"张三","family":"张","given":["三"]}],
      "address":[{"city":"北京市","district":"海淀区","line":["中关村大街1号"]}],
      "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">张三</div>"}})"),
              IsEmpty());
}

TEST(ValidatorTest, NotAResource) {
  EXPECT_THAT(Validate(R"([1])"), ElementsAre(IssueAt("structure", "")));
  EXPECT_THAT(Validate(R"({"id":"x"})"), ElementsAre(IssueAt("structure", "")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patients"})"), ElementsAre(IssueAt("invalid", "")));
  EXPECT_THAT(Validate(R"({"resourceType":"DomainResource"})"), ElementsAre(IssueAt("invalid", "")));
}

TEST(ValidatorTest, UnknownElement) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","nmae":[{"family":"Li"}]})"),
              ElementsAre(IssueAt("structure", "Patient.nmae")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"family":"Li","surname":"x"}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0].surname")));
  // resourceType is a member of resources only.
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"resourceType":"x"}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0].resourceType")));
}

TEST(ValidatorTest, ChoiceTypes) {
  constexpr std::string_view kObs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)";
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("valueString":"ok"})")), IsEmpty());
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("valueFoo":"ok"})")),
              ElementsAre(IssueAt("structure", "Observation.valueFoo")));
  // The bare name of a choice element is not a JSON member.
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("value":"ok"})")),
              ElementsAre(IssueAt("structure", "Observation.value")));
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("valueString":"a","valueBoolean":true})")),
              ElementsAre(IssueAt("structure", "Observation.valueBoolean")));
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("valueString":"a","_valueBoolean":{"id":"x"}})")),
              ElementsAre(IssueAt("structure", "Observation._valueBoolean")));
  EXPECT_THAT(Validate(absl::StrCat(ToAbsl(kObs), R"("valueQuantity":"12 mg"})")),
              ElementsAre(IssueAt("structure", "Observation.valueQuantity")));
}

TEST(ValidatorTest, MissingRequired) {
  EXPECT_THAT(Validate(R"({"resourceType":"Observation"})"),
              ElementsAre(IssueAt("required", "Observation.status"),
                          IssueAt("required", "Observation.code")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","communication":[{"preferred":true}]})"),
              ElementsAre(IssueAt("required", "Patient.communication[0].language")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","extension":[{"valueString":"x"}]})"),
              ElementsAre(IssueAt("required", "Patient.extension[0].url")));
  // A primitive extension alone satisfies the minimum (e.g. a data-absent-reason).
  EXPECT_THAT(Validate(R"({"resourceType":"Observation","_status":{"extension":[
      {"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]},
      "code":{"text":"x"}})"),
              IsEmpty());
}

TEST(ValidatorTest, ArrayVersusSingle) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":{"family":"Li"}})"),
              ElementsAre(IssueAt("structure", "Patient.name")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","gender":["male"]})"),
              ElementsAre(IssueAt("structure", "Patient.gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"given":"Wei"}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0].given")));
}

TEST(ValidatorTest, EmptyAndNullValues) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[]})"),
              ElementsAre(IssueAt("structure", "Patient.name")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0]")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","gender":""})"),
              ElementsAre(IssueAt("value", "Patient.gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","gender":null})"),
              ElementsAre(IssueAt("structure", "Patient.gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[null]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0]")));
}

TEST(ValidatorTest, PrimitiveKindsAndFormats) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","birthDate":"1990-02-30"})"),
              ElementsAre(IssueAt("value", "Patient.birthDate")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","birthDate":"1990/01/01"})"),
              ElementsAre(IssueAt("value", "Patient.birthDate")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","active":"true"})"),
              ElementsAre(IssueAt("structure", "Patient.active")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","multipleBirthInteger":1.5})"),
              ElementsAre(IssueAt("value", "Patient.multipleBirthInteger")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","multipleBirthInteger":2147483648})"),
              ElementsAre(IssueAt("value", "Patient.multipleBirthInteger")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","id":"a_b"})"),
              ElementsAre(IssueAt("value", "Patient.id")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","gender":" male"})"),
              ElementsAre(IssueAt("value", "Patient.gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","meta":{"lastUpdated":"2020-01-01T10:00:00"}})"),
              ElementsAre(IssueAt("value", "Patient.meta.lastUpdated")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","photo":[{"data":"not base64!"}]})"),
              ElementsAre(IssueAt("value", "Patient.photo[0].data")));
}

TEST(ValidatorTest, DecimalWrittenAsString) {
  EXPECT_THAT(Validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "valueQuantity":{"value":"120.5"}})"),
              ElementsAre(IssueAt("structure", "Observation.valueQuantity.value")));
}

TEST(ValidatorTest, PrimitiveExtensions) {
  // Single value with its extension, and an extension without a value.
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","birthDate":"1970-03-30",
      "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime",
      "valueDateTime":"1970-03-30T10:00:00+08:00"}]}})"),
              IsEmpty());
  // Arrays aligned by index, null where one side has nothing.
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"given":["Wei",null],
      "_given":[null,{"id":"g2","extension":[{"url":"http://example.org/x","valueString":"y"}]}]}]})"),
              IsEmpty());
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"given":["Wei",null]}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0].given[1]")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"given":["Wei","Li"],"_given":[null]}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0]._given")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","name":[{"given":["Wei",null],"_given":[null,null]}]})"),
              ElementsAre(IssueAt("structure", "Patient.name[0].given[1]")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","_gender":"x"})"),
              ElementsAre(IssueAt("structure", "Patient._gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","_gender":{"value":"x"}})"),
              ElementsAre(IssueAt("structure", "Patient._gender.value")));
  // Only primitives have _ siblings.
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","_name":[{"id":"x"}]})"),
              ElementsAre(IssueAt("structure", "Patient._name")));
}

TEST(ValidatorTest, ContainedAndNestedResources) {
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","contained":[
      {"resourceType":"Organization","id":"o1","name":"卫生院"},
      {"resourceType":"Observation","id":"o2"}],
      "managingOrganization":{"reference":"#o1"}})"),
              ElementsAre(IssueAt("required", "Patient.contained[1].status"),
                          IssueAt("required", "Patient.contained[1].code")));
  EXPECT_THAT(Validate(R"({"resourceType":"Patient","contained":[{"id":"o1"}]})"),
              ElementsAre(IssueAt("structure", "Patient.contained[0]")));
  EXPECT_THAT(Validate(R"({"resourceType":"Bundle","type":"transaction","entry":[
      {"resource":{"resourceType":"Patient","gender":1},"request":{"method":"POST","url":"Patient"}}]})"),
              ElementsAre(IssueAt("structure", "Bundle.entry[0].resource.gender")));
  EXPECT_THAT(Validate(R"({"resourceType":"Parameters","parameter":[
      {"name":"p","resource":{"resourceType":"Patient","bogus":1}}]})"),
              ElementsAre(IssueAt("structure", "Parameters.parameter[0].resource.bogus")));
}

TEST(ValidatorTest, ContentReferenceBackbones) {
  EXPECT_THAT(Validate(R"({"resourceType":"Questionnaire","status":"active","item":[
      {"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string","text":"姓名"}]}]})"),
              IsEmpty());
  EXPECT_THAT(Validate(R"({"resourceType":"Questionnaire","status":"active","item":[
      {"linkId":"1","type":"group","item":[{"type":"string"}]}]})"),
              ElementsAre(IssueAt("required", "Questionnaire.item[0].item[0].linkId")));
}

// ---- Golden test: the official R4 examples ------------------------------------------------


TEST(ValidatorGoldenTest, OfficialR4Examples) {
  testing::R4Examples examples;
  if (!examples.ok()) GTEST_SKIP() << "the R4 examples archive is not available";

  int passed = 0, known_invalid = 0, not_resources = 0, warnings = 0;
  std::set<std::string> seen_known;
  for (const std::string& path : examples.JsonFiles()) {
    std::string name = std::filesystem::path(path).filename().string();
    const testing::KnownInvalid* known = testing::FindKnownInvalid(name);
    absl::StatusOr<json::Value> doc = json::Parse(testing::R4Examples::ReadFile(path));
    std::vector<Issue> issues;
    if (doc.ok()) {
      if (doc->FindString("resourceType") == nullptr) {  // package.json, .index.json
        ++not_resources;
        continue;
      }
      issues = ValidateResource(*doc);
    }
    if (known != nullptr) {
      seen_known.insert(name);
      ++known_invalid;
      EXPECT_TRUE(!doc.ok() || HasErrors(issues))
          << name << " is listed as invalid (" << known->reason << ") but passes";
      continue;
    }
    if (!doc.ok()) {
      ADD_FAILURE() << name << ": " << doc.status();
      continue;
    }
    // Warnings (best-practice invariants such as dom-6) do not make an example invalid.
    bool ok = !HasErrors(issues);
    for (const Issue& issue : issues) {
      if (issue.severity == "warning") {
        ++warnings;
        continue;
      }
      ADD_FAILURE() << name << ": " << issue.code << " at " << issue.expression << ": "
                    << issue.diagnostics;
    }
    absl::StatusOr<json::Value> again = json::Parse(json::Serialize(*doc));
    if (!again.ok() || !(*again == *doc)) {
      ADD_FAILURE() << name << ": does not round-trip";
      ok = false;
    }
    if (ok) ++passed;
  }
  for (const testing::KnownInvalid& k : testing::KnownInvalidExamples()) {
    EXPECT_TRUE(seen_known.count(std::string(k.file))) << "listed example not found: " << k.file;
  }
  std::cout << "R4 examples: " << passed << " valid and round-tripped, " << known_invalid
            << " known invalid, " << not_resources << " non-resource JSON files, " << warnings
            << " warnings; " << internal::InvariantEvaluationFailures()
            << " invariant evaluations failed (skipped)\n";
  EXPECT_GT(passed, 5000);
}

}  // namespace
}  // namespace rhip::fhir
