// Terminology bindings, invariants and profiles in ValidateResource (structure: validator_test.cc).
#include <iostream>
#include <optional>
#include <string>

#include "fhir/model/rules.h"
#include "fhir/model/validator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rhip {
// Readable gMock output for issues.
void PrintTo(const Issue& i, std::ostream* os) {
  *os << i.severity << " " << i.code << " at " << i.expression << ": " << i.diagnostics;
}

namespace fhir {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

json::Value ParseOrDie(std::string_view text) {
  absl::StatusOr<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : json::Value();
}

std::vector<Issue> Issues(std::string_view text, std::string_view severity,
                          const ValidateOptions& options = {}) {
  std::vector<Issue> out;
  for (Issue& i : ValidateResource(ParseOrDie(text), options)) {
    if (i.severity == severity) out.push_back(std::move(i));
  }
  return out;
}

std::vector<Issue> Errors(std::string_view text, const ValidateOptions& options = {}) {
  return Issues(text, "error", options);
}

auto IssueAt(std::string_view code, std::string_view expression, std::string_view message_part) {
  return AllOf(Field(&Issue::code, std::string(code)),
               Field(&Issue::expression, std::string(expression)),
               Field(&Issue::diagnostics, HasSubstr(std::string(message_part))));
}

TEST(BindingTest, CodeOutsideTheRequiredValueSet) {
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","gender":"female"})"), IsEmpty());
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","gender":"F"})"),
              ElementsAre(IssueAt("code-invalid", "Patient.gender",
                                  "http://hl7.org/fhir/ValueSet/administrative-gender")));
  EXPECT_THAT(Errors(R"({"resourceType":"Observation","status":"done","code":{"text":"x"}})"),
              ElementsAre(IssueAt("code-invalid", "Observation.status", "observation-status")));
  // Backbone elements and arrays.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","contact":[{"name":{"text":"a"}},
                         {"name":{"text":"b"},"gender":"m"}]})"),
              ElementsAre(IssueAt("code-invalid", "Patient.contact[1].gender", "administrative-gender")));
}

// The model knows the R4B backport SubscriptionStatus; the server names it in its metadata.
TEST(BindingTest, ResourceTypesOfTheModel) {
  EXPECT_THAT(Errors(R"({"resourceType":"CapabilityStatement","status":"active","date":"2026-01-01",
      "kind":"instance","implementation":{"description":"rhip"},"fhirVersion":"4.0.1",
      "format":["json"],"rest":[{"mode":"server",
      "resource":[{"type":"Patient"},{"type":"SubscriptionStatus"}]}]})"),
              IsEmpty());
  EXPECT_THAT(Errors(R"({"resourceType":"CapabilityStatement","status":"active","date":"2026-01-01",
      "kind":"instance","implementation":{"description":"rhip"},"fhirVersion":"4.0.1",
      "format":["json"],"rest":[{"mode":"server",
      "resource":[{"type":"Patients"}]}]})"),
              ElementsAre(IssueAt("code-invalid", "CapabilityStatement.rest[0].resource[0].type", "Patients")));
}

TEST(BindingTest, CodeableConceptJudgedByTheValueSetsSystems) {
  constexpr std::string_view kSystem = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
  auto allergy = [&](std::string_view coding) {
    return std::string(R"({"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"},
        "clinicalStatus":{"coding":[)") + std::string(coding) + "]}}";
  };
  EXPECT_THAT(Errors(allergy(std::string(R"({"system":")") + std::string(kSystem) + R"(","code":"active"})")),
              IsEmpty());
  EXPECT_THAT(Errors(allergy(std::string(R"({"system":")") + std::string(kSystem) + R"(","code":"gone"})")),
              ElementsAre(IssueAt("code-invalid", "AllergyIntolerance.clinicalStatus", "gone")));
  // Only codings of other systems: not judged.
  EXPECT_THAT(Errors(allergy(R"({"system":"http://example.org/local","code":"gone"})")), IsEmpty());
}

TEST(BindingTest, ExtensibleAndPreferredBindingsAreNotErrors) {
  // Patient.maritalStatus is extensible, Observation.interpretation extensible.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","maritalStatus":{"coding":[
      {"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"ZZ"}]}})"),
              IsEmpty());
}

TEST(BindingTest, AStructurallyInvalidCodeIsReportedOnce) {
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","gender":" female"})"),
              ElementsAre(Field(&Issue::code, "value")));
}

TEST(InvariantTest, PatientContactNeedsDetails) {
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","contact":[{"gender":"male"}]})"),
              ElementsAre(IssueAt("invariant", "Patient.contact[0]", "pat-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","contact":[{"telecom":[{"system":"phone","value":"1"}]}]})"),
              IsEmpty());
}

TEST(InvariantTest, ResourceAndDatatypeInvariants) {
  // obs-6: dataAbsentReason only without a value.
  EXPECT_THAT(Errors(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "valueString":"a","dataAbsentReason":{"text":"unknown"}})"),
              ElementsAre(IssueAt("invariant", "Observation", "obs-6")));
  // per-1 on a Period inside a HumanName.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","name":[{"family":"王",
      "period":{"start":"2020-02-01","end":"2020-01-01"}}]})"),
              ElementsAre(IssueAt("invariant", "Patient.name[0].period", "per-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","name":[{"family":"王",
      "period":{"start":"2020-01-01","end":"2020-02-01"}}]})"),
              IsEmpty());
  // qty-3: a unit code needs a system.
  EXPECT_THAT(Errors(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "valueQuantity":{"value":1,"code":"mg"}})"),
              ElementsAre(IssueAt("invariant", "Observation.valueQuantity", "qty-3")));
}

// Regression: a leading type name ("Appointment.cancelationReason") reads the focus, so the
// shortcut must not treat the invariant as reading only a member named "Appointment".
TEST(InvariantTest, TypePrefixedExpressions) {
  std::string appointment = R"({"resourceType":"Appointment","status":"booked",
      "start":"2026-01-05T09:00:00+08:00","end":"2026-01-05T09:30:00+08:00",
      "cancelationReason":{"text":"x"},"participant":[{"status":"accepted","actor":{"reference":"Patient/1"}}]})";
  EXPECT_THAT(Errors(appointment), ElementsAre(IssueAt("invariant", "Appointment", "app-4")));
}

TEST(InvariantTest, WarningsDoNotReject) {
  std::string patient = R"({"resourceType":"Patient"})";
  EXPECT_THAT(Issues(patient, "warning"), ElementsAre(IssueAt("invariant", "Patient", "dom-6")));
  EXPECT_FALSE(HasErrors(ValidateResource(ParseOrDie(patient))));
  EXPECT_THAT(ValidateResource(ParseOrDie(R"({"resourceType":"Patient","text":{"status":"generated",
      "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}})")),
              IsEmpty());
}

TEST(InvariantTest, ElementsAndExtensionsInCpp) {
  // ele-1: an element with only an id.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","name":[{"id":"n1"}]})"),
              ElementsAre(IssueAt("invariant", "Patient.name[0]", "ele-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","_birthDate":{"id":"b"}})"),
              ElementsAre(IssueAt("invariant", "Patient._birthDate", "ele-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","birthDate":"1970","_birthDate":{"id":"b"}})"), IsEmpty());
  // ext-1: value and nested extensions together, or neither.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","extension":[{"url":"http://x/a","valueString":"v",
      "extension":[{"url":"b","valueString":"w"}]}]})"),
              ElementsAre(IssueAt("invariant", "Patient.extension[0]", "ext-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","extension":[{"url":"http://x/a"}]})"),
              ElementsAre(IssueAt("invariant", "Patient.extension[0]", "ext-1")));
  // A primitive value with only extensions counts as a value.
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","extension":[{"url":"http://x/a",
      "_valueString":{"extension":[{"url":"http://x/b","valueCode":"c"}]}}]})"),
              IsEmpty());
}

TEST(InvariantTest, LocalReferencesNeedTheContainedResource) {
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","managingOrganization":{"reference":"#org"}})"),
              ElementsAre(IssueAt("invariant", "Patient.managingOrganization", "ref-1")));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org",
      "name":"卫生院"}],"managingOrganization":{"reference":"#org"}})"),
              IsEmpty());
}

TEST(InvariantTest, ContainedResourcesMustBeReferenced) {
  EXPECT_THAT(Errors(R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"org",
      "name":"卫生院"}]})"),
              ElementsAre(IssueAt("invariant", "Patient", "dom-3")));
  // Referenced from a canonical, or referring back to the container.
  EXPECT_THAT(Errors(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
      "contained":[{"resourceType":"Patient","id":"p","link":[{"other":{"reference":"#"},"type":"seealso"}]}]})"),
              IsEmpty());
}

TEST(InvariantTest, RulesTableLoadsWithFewGaps) {
  const ValidationRules::Stats& stats = ValidationRules::R4().stats();
  std::cout << stats.value_sets << " value sets, " << stats.required_bindings
            << " required bindings, " << stats.unexpandable_value_sets.size()
            << " bound value sets not expandable, " << stats.invariants << " invariants, "
            << stats.not_compiled.size() << " not compiled:\n";
  for (const std::string& s : stats.not_compiled) std::cout << "  " << s << "\n";
  EXPECT_GT(stats.required_bindings, 300u);
  EXPECT_GT(stats.invariants, 750u);  // without ele-1, ext-1, ref-1 and dom-3 (checked in C++)
  // htmlChecks() (txt-1, txt-2), R4B type names (dom-r4b) and que-7 (see rules.cc).
  EXPECT_LE(stats.not_compiled.size(), 4u);
  EXPECT_LE(stats.unexpandable_value_sets.size(), 6u);
}

// ---- Profiles ------------------------------------------------------------------------------

constexpr std::string_view kProfileUrl = "http://example.org/fhir/StructureDefinition/cn-patient";

ValidateOptions WithProfiles() {
  ValidateOptions options;
  options.profile_lookup = [](std::string_view url) -> std::optional<json::Value> {
    if (url != kProfileUrl) return std::nullopt;
    return ParseOrDie(R"({"resourceType":"StructureDefinition","url":"http://example.org/fhir/StructureDefinition/cn-patient",
      "type":"Patient","derivation":"constraint","snapshot":{"element":[
        {"id":"Patient","path":"Patient","min":0,"max":"*"},
        {"id":"Patient.birthDate","path":"Patient.birthDate","min":1,"max":"1"},
        {"id":"Patient.name","path":"Patient.name","min":0,"max":"1"},
        {"id":"Patient.name.family","path":"Patient.name.family","min":1,"max":"1","maxLength":4},
        {"id":"Patient.name.use","path":"Patient.name.use","min":0,"max":"1","fixedCode":"official"},
        {"id":"Patient.deceased[x]","path":"Patient.deceased[x]","min":0,"max":"1","type":[{"code":"boolean"}]},
        {"id":"Patient.maritalStatus","path":"Patient.maritalStatus","min":0,"max":"1",
         "binding":{"strength":"required","valueSet":"http://hl7.org/fhir/ValueSet/marital-status"}},
        {"id":"Patient.identifier:idcard","path":"Patient.identifier","sliceName":"idcard","min":1,"max":"1"}]}})");
  };
  return options;
}

std::string ProfiledPatient(std::string_view members) {
  return std::string(R"({"resourceType":"Patient","meta":{"profile":["http://example.org/fhir/StructureDefinition/cn-patient"]})") +
         std::string(members) + "}";
}

TEST(ProfileTest, CardinalityFromTheSnapshot) {
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980-05-01")"), WithProfiles()), IsEmpty());
  EXPECT_THAT(Errors(ProfiledPatient(""), WithProfiles()),
              ElementsAre(IssueAt("required", "Patient.birthDate", "cn-patient")));
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980","name":[{"family":"李"},{"family":"张"}])"),
                     WithProfiles()),
              ElementsAre(IssueAt("structure", "Patient.name", "at most 1")));
  // Without a lookup, profiles are not checked.
  EXPECT_THAT(Errors(ProfiledPatient("")), IsEmpty());
}

TEST(ProfileTest, FixedValuesMaxLengthTypesAndBindings) {
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980","name":[{"use":"usual","family":"李"}])"),
                     WithProfiles()),
              ElementsAre(IssueAt("value", "Patient.name[0].use", "exactly \"official\"")));
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980","name":[{"family":"欧阳修远之"}])"),
                     WithProfiles()),
              ElementsAre(IssueAt("value", "Patient.name[0].family", "maximum length 4")));
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980","deceasedDateTime":"2020")"), WithProfiles()),
              ElementsAre(IssueAt("structure", "Patient.deceasedDateTime", "DateTime")));
  EXPECT_THAT(Errors(ProfiledPatient(R"(,"birthDate":"1980","maritalStatus":{"coding":[
      {"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"ZZ"}]})"),
                     WithProfiles()),
              ElementsAre(IssueAt("code-invalid", "Patient.maritalStatus", "marital-status")));
}

TEST(ProfileTest, UnknownProfileIsAWarning) {
  std::string patient = R"({"resourceType":"Patient","text":{"status":"generated",
      "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
      "meta":{"profile":["http://example.org/unknown"]}})";
  EXPECT_THAT(Errors(patient, WithProfiles()), IsEmpty());
  EXPECT_THAT(Issues(patient, "warning", WithProfiles()),
              ElementsAre(IssueAt("not-found", "Patient", "http://example.org/unknown")));
  ValidateOptions extra = WithProfiles();
  extra.extra_profiles.push_back(std::string(kProfileUrl));
  EXPECT_THAT(Errors(R"({"resourceType":"Patient"})", extra),
              ElementsAre(IssueAt("required", "Patient.birthDate", "cn-patient")));
}

}  // namespace
}  // namespace fhir
}  // namespace rhip
