#include "fhir/search/index_extractor.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace rhip::fhir::search {
namespace {

IndexRows Extract(std::string_view text) {
  auto parsed = json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return IndexExtractor(SearchParamRegistry::Default(), TextFolding::Basic()).Extract(*parsed);
}

int64_t Key(std::string_view type, std::string_view code) {
  const SearchParam* p = SearchParamRegistry::Default().Find(type, code);
  EXPECT_NE(p, nullptr) << type << "." << code;
  return p != nullptr ? p->key : 0;
}

TEST(SearchParamRegistryTest, KnowsR4AndRhipParameters) {
  const SearchParamRegistry& r = SearchParamRegistry::Default();
  ASSERT_NE(r.Find("Observation", "code-value-quantity"), nullptr);
  EXPECT_EQ(r.Find("Observation", "code-value-quantity")->type, ParamType::kComposite);
  EXPECT_EQ(r.Find("Observation", "code-value-quantity")->components.size(), 2u);
  ASSERT_NE(r.Find("Patient", "_lastUpdated"), nullptr);
  ASSERT_NE(r.Find("Patient", "id-number"), nullptr);
  ASSERT_NE(r.Find("Patient", "pinyin"), nullptr);
  EXPECT_TRUE(r.Find("Patient", "pinyin")->phonetic);
  EXPECT_EQ(r.Find("Patient", "no-such-thing"), nullptr);
  EXPECT_GT(r.Indexed("Observation").size(), 20u);
  EXPECT_FALSE(r.PatientCompartmentParams("Observation").empty());
  EXPECT_NE(Key("Patient", "name"), Key("Practitioner", "name"));
}

TEST(IndexExtractorTest, PatientRows) {
  IndexRows rows = Extract(R"({"resourceType":"Patient","id":"p1",
    "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003074514"}],
    "name":[{"family":"Zhang","given":["Sanfeng"]}],"gender":"male","birthDate":"1990-03-07",
    "telecom":[{"system":"phone","value":"13800138000"}],
    "managingOrganization":{"reference":"Organization/o1"},
    "meta":{"tag":[{"system":"http://t","code":"demo"}]}})");
  auto has_token = [&](int64_t key, std::string_view system, std::string_view code) {
    return std::any_of(rows.tokens.begin(), rows.tokens.end(), [&](const TokenRow& t) {
      return t.key == key && t.system == system && t.code == code;
    });
  };
  EXPECT_TRUE(has_token(Key("Patient", "identifier"), "urn:oid:2.16.156.10011.1.3", "110101199003074514"));
  EXPECT_TRUE(has_token(Key("Patient", "id-number"), "urn:oid:2.16.156.10011.1.3", "110101199003074514"));
  EXPECT_TRUE(has_token(Key("Patient", "gender"), "", "male"));
  EXPECT_TRUE(has_token(Key("Patient", "phone"), "", "13800138000"));
  EXPECT_TRUE(has_token(Key("Patient", "_tag"), "http://t", "demo"));
  auto has_string = [&](int64_t key, std::string_view norm) {
    return std::any_of(rows.strings.begin(), rows.strings.end(),
                       [&](const StringRow& s) { return s.key == key && s.norm == norm; });
  };
  EXPECT_TRUE(has_string(Key("Patient", "family"), "zhang"));
  EXPECT_TRUE(has_string(Key("Patient", "name"), "sanfeng"));
  EXPECT_TRUE(std::any_of(rows.references.begin(), rows.references.end(), [&](const ReferenceRow& r) {
    return r.key == Key("Patient", "organization") && r.ref == "Organization/o1";
  }));
  ASSERT_FALSE(rows.dates.empty());
}

TEST(IndexExtractorTest, ObservationCompositeAndQuantity) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure"}]},
    "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-01T08:30:00+08:00",
    "component":[
      {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
       "valueQuantity":{"value":142,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
      {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},
       "valueQuantity":{"value":91,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
  int64_t ccvq = Key("Observation", "component-code-value-quantity");
  EXPECT_TRUE(std::any_of(rows.composites.begin(), rows.composites.end(), [&](const CompositeRow& c) {
    return c.key == ccvq && c.c1 == "8480-6" && c.lo == 142 && c.c2 == "mm[Hg]";
  }));
  int64_t cvq = Key("Observation", "component-value-quantity");
  EXPECT_TRUE(std::any_of(rows.numbers.begin(), rows.numbers.end(), [&](const NumberRow& n) {
    return n.key == cvq && n.value == 91;
  }));
  EXPECT_TRUE(std::any_of(rows.references.begin(), rows.references.end(), [&](const ReferenceRow& r) {
    return r.key == Key("Observation", "patient") && r.ref == "Patient/p1";
  }));
  // :text rows for the code's display.
  EXPECT_TRUE(std::any_of(rows.strings.begin(), rows.strings.end(), [&](const StringRow& s) {
    return s.key == DerivedKey(*SearchParamRegistry::Default().Find("Observation", "code"), "text") &&
           s.norm == "blood pressure";
  }));
}

TEST(IndexExtractorTest, ContainedResourcesHaveRowsPerPosition) {
  IndexRows rows = Extract(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
    "contained":[{"resourceType":"Substance","id":"s","code":{"coding":[{"code":"S1"}]}},
                 {"resourceType":"Medication","id":"m","code":{"coding":[{"system":"urn:atc","code":"C09AA05"}]}}],
    "medicationReference":{"reference":"#m"}})");
  auto has_token = [&](int64_t key, std::string_view system, std::string_view code) {
    return std::any_of(rows.tokens.begin(), rows.tokens.end(), [&](const TokenRow& t) {
      return t.key == key && t.system == system && t.code == code;
    });
  };
  EXPECT_TRUE(has_token(ContainedMarkerKey(0), "Substance", "s"));
  EXPECT_TRUE(has_token(ContainedMarkerKey(1), "Medication", "m"));
  EXPECT_TRUE(has_token(ContainedKey(Key("Medication", "code"), 1), "urn:atc", "C09AA05"));
  EXPECT_EQ(ContainedKey(Key("Medication", "code"), 1), ContainedKey(Key("Medication", "code"), 0) + 1);
  // The contained rows stay out of the container's own key spaces.
  EXPECT_FALSE(has_token(Key("Medication", "code"), "urn:atc", "C09AA05"));
  EXPECT_TRUE(has_token(Key("MedicationRequest", "status"), "", "active"));
}

}  // namespace
}  // namespace rhip::fhir::search
