#include "fhir/fhirpath/fhirpath.h"

#include <string>

#include "gtest/gtest.h"

namespace rhip::fhirpath {
namespace {

json::Value Observation() {
  return *json::Parse(R"({
    "resourceType": "Observation", "id": "o1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"},
                        {"system": "http://snomed.info/sct", "code": "27113001"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01T10:00:00+08:00",
    "valueQuantity": {"value": 72.50, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    "component": [{"code": {"text": "a"}, "valueString": "x"}, {"code": {"text": "b"}, "valueInteger": 3}]
  })");
}

std::vector<std::string> Texts(std::string_view expr, const json::Value& resource,
                               const EvalContext& ctx = {}) {
  absl::StatusOr<Expression> e = Compile(expr);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return {};
  absl::StatusOr<Collection> c = Evaluate(*e, resource, ctx);
  EXPECT_TRUE(c.ok()) << expr << ": " << c.status();
  std::vector<std::string> out;
  if (c.ok()) {
    for (const Item& i : *c) out.push_back(ToText(i));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(FhirPathTest, PathsFlattenArrays) {
  EXPECT_EQ(Texts("Observation.code.coding.code", Observation()), (V{"29463-7", "27113001"}));
  EXPECT_EQ(Texts("code.coding[1].system", Observation()), (V{"http://snomed.info/sct"}));
  EXPECT_EQ(Texts("Patient.id", Observation()), V{});
}

TEST(FhirPathTest, ChoiceTypes) {
  EXPECT_EQ(Texts("Observation.value.ofType(Quantity).unit", Observation()), V{"kg"});
  EXPECT_EQ(Texts("Observation.value is Quantity", Observation()), V{"true"});
  EXPECT_EQ(Texts("component.value.ofType(integer)", Observation()), V{"3"});
  EXPECT_EQ(Texts("Observation.value > 70 'kg'", Observation()), V{"true"});
  EXPECT_EQ(Texts("(Observation.value as Quantity).value", Observation()), V{"72.50"});
}

TEST(FhirPathTest, WhereAndFunctions) {
  EXPECT_EQ(Texts("code.coding.where(system = %loinc).code", Observation()), V{"29463-7"});
  EXPECT_EQ(Texts("code.coding.exists(code.startsWith('27'))", Observation()), V{"true"});
  EXPECT_EQ(Texts("code.coding.count() + 1", Observation()), V{"3"});
  EXPECT_EQ(Texts("component.select(code.text).last()", Observation()), V{"b"});
  EXPECT_EQ(Texts("iif(status = 'final', 'done', 'open')", Observation()), V{"done"});
  EXPECT_EQ(Texts("code.coding.code.skip(1) | code.coding.code.take(1)", Observation()),
            (V{"27113001", "29463-7"}));
}

// Above 32 strings, distinct() and isDistinct() hash instead of comparing pairwise (csd-1 on
// a 45k-code CodeSystem); the answers stay those of the pairwise path.
TEST(FhirPathTest, DistinctOnManyStrings) {
  std::string codes;
  for (int i = 0; i < 100; ++i) codes += (i ? "," : "") + std::string("{\"code\":\"c") + std::to_string(i % 60) + "\"}";
  json::Value cs = *json::Parse(R"({"resourceType":"CodeSystem","concept":[)" + codes + "]}");
  EXPECT_EQ(Texts("concept.code.isDistinct()", cs), V{"false"});
  EXPECT_EQ(Texts("concept.code.distinct().count()", cs), V{"60"});
  EXPECT_EQ(Texts("concept.code.distinct().first()", cs), V{"c0"});
  EXPECT_EQ(Texts("concept.code.take(60).isDistinct()", cs), V{"true"});
  // Mixed kinds fall back to pairwise comparison: 1 and '1' differ.
  EXPECT_EQ(Texts("(concept.code.take(40) | 1 | '1').count()", cs), V{"42"});
}

TEST(FhirPathTest, DatesCompareWithPrecision) {
  EXPECT_EQ(Texts("effectiveDateTime > @2024-03-01T01:00:00Z", Observation()), V{"true"});
  EXPECT_EQ(Texts("@2024-03 < @2024-03-01", Observation()), V{});
  EXPECT_EQ(Texts("@2024-03-01 + 1 month", Observation()), V{"2024-04-01"});
}

TEST(FhirPathTest, ResolveUsesHookOrReferenceType) {
  EXPECT_EQ(Texts("subject.where(resolve() is Patient).reference", Observation()), V{"Patient/p1"});
  json::Value patient = *json::Parse(R"({"resourceType": "Patient", "id": "p1", "gender": "male"})");
  EvalContext ctx;
  ctx.resolve = [&](std::string_view ref) { return ref == "Patient/p1" ? &patient : nullptr; };
  EXPECT_EQ(Texts("subject.resolve().gender", Observation(), ctx), V{"male"});
}

TEST(FhirPathTest, NodesKnowWhereTheyAre) {
  json::Value obs = Observation();
  absl::StatusOr<Collection> c = Evaluate(*Compile("code.coding[1]"), obs);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  const Node& n = (*c)[0].node();
  EXPECT_EQ(n.member, "coding");
  EXPECT_EQ(n.index, 1);
  EXPECT_EQ(n.parent, obs.Find("code"));
}

TEST(FhirPathTest, ErrorsGivePositions) {
  absl::StatusOr<Expression> e = Compile("name.where(given = 'x'");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(std::string(e.status().message()).find("offset"), std::string::npos);
  EXPECT_FALSE(Compile("name.nosuchfunction()").ok());
  EXPECT_FALSE(Compile("name.matches('[')").ok());
  absl::StatusOr<Collection> c = Evaluate(*Compile("code.coding.single()"), Observation());
  EXPECT_FALSE(c.ok());
}

TEST(FhirPathTest, HostileInputIsAnErrorNotACrash) {
  EXPECT_FALSE(Compile(std::string(100000, '(')).ok());
  EXPECT_FALSE(Compile(std::string(5000, '-') + "1").ok());
  std::string chain = "a";
  for (int i = 0; i < 2000; ++i) chain += ".a";
  EXPECT_FALSE(Compile(chain).ok());
  std::string sum = "1";
  for (int i = 0; i < 2000; ++i) sum += "+1";
  EXPECT_FALSE(Compile(sum).ok());
  // Overflow gives an empty result, not undefined behaviour.
  EXPECT_EQ(Texts("99999999999999999999.0 * 99999999999999999999.0", Observation()), V{});
  EXPECT_EQ(Texts("9223372036854775807 + 1", Observation()), V{});
  EXPECT_FALSE(Compile("'unterminated").ok());
  EXPECT_FALSE(Compile("@2024-13-01").ok());
}

TEST(FhirPathTest, PrimitiveExtensionsAndIds) {
  json::Value p = *json::Parse(R"({"resourceType": "Patient", "birthDate": "1970-01-01",
      "_birthDate": {"id": "b1", "extension": [{"url": "http://x/e", "valueString": "v"}]},
      "name": [{"given": ["A", null], "_given": [null, {"extension": [{"url": "u", "valueCode": "c"}]}]}]})");
  EXPECT_EQ(Texts("birthDate.extension('http://x/e').value", p), V{"v"});
  EXPECT_EQ(Texts("birthDate.id", p), V{"b1"});
  EXPECT_EQ(Texts("name.given.count()", p), V{"2"});
  EXPECT_EQ(Texts("name.given.hasValue()", p), V{"false"});  // two items
  EXPECT_EQ(Texts("name.given[1].extension.value", p), V{"c"});
  EXPECT_EQ(Texts("birthDate < @1971", p), V{"true"});
}

TEST(FhirPathTest, UnionChainsSkipOnlyBranchesThatMustBeEmpty) {
  json::Value o = Observation();
  EXPECT_EQ(Texts("Patient.name | Observation.status | Encounter.status", o), V{"final"});
  // A branch for another type still counts when a function makes something of nothing.
  EXPECT_EQ(Texts("Patient.name.exists() | Observation.status", o), (V{"false", "final"}));
  EXPECT_EQ(Texts("Observation.code.coding.system | Observation.code.coding.system", o),
            (V{"http://loinc.org", "http://snomed.info/sct"}));
  // On an element focus a capitalised name is just a member name.
  EXPECT_EQ(Texts("component.where(code.text = 'b').value | Patient.x", o), V{"3"});
}

TEST(FhirPathTest, EvaluateFromAnItem) {
  json::Value o = Observation();
  Collection components = *Evaluate(*Compile("Observation.component"), o);
  ASSERT_EQ(components.size(), 2u);
  absl::StatusOr<Collection> c =
      EvaluateFrom(*Compile("value.ofType(integer) | %resource.status"), components[1], o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ(ToText((*c)[0]), "3");
  EXPECT_EQ(ToText((*c)[1]), "final");
}

TEST(FhirPathTest, BoundariesTypesAndStrictMode) {
  json::Value o = Observation();
  EXPECT_EQ(Texts("1.587.lowBoundary(6)", o), V{"1.586500"});
  EXPECT_EQ(Texts("effective.lowBoundary(8)", o), V{"2024-03-01"});
  EXPECT_EQ(Texts("@2024.highBoundary(8)", o), V{"2024-12-31"});
  EXPECT_EQ(Texts("status.type().name | Observation.type().namespace", o), (V{"code", "FHIR"}));
  EXPECT_EQ(Texts("(2.0 'cm' * 2.0 'm') = 0.04 'm2'", o), V{"true"});
  CompileOptions strict;
  strict.context_type = "Observation";
  strict.strict = true;
  EXPECT_TRUE(Compile("Observation.code.coding.code", strict).ok());
  EXPECT_TRUE(Compile("(Observation.value as Quantity).unit", strict).ok());
  EXPECT_FALSE(Compile("Observation.code.codings", strict).ok());
  EXPECT_FALSE(Compile("Patient.name", strict).ok());
  EXPECT_FALSE(Compile("(Observation.value as Period).unit", strict).ok());
  // Lenient by default: unknown members are empty.
  EXPECT_EQ(Texts("Observation.code.codings", o), V{});
}

}  // namespace
}  // namespace rhip::fhirpath
