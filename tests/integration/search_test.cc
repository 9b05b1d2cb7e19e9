// FHIR search against the real build/rhip over HTTP, on SQLite and on PostgreSQL: every
// parameter type and modifier, chains, _has, includes, sorting, paging under concurrent writes,
// Chinese names.
#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "db/database.h"
#include "gtest/gtest.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

class SearchTest : public ServerTest {
 protected:
  // Creates a resource and returns its id.
  std::string Create(const std::string& body) {
    auto parsed = json::Parse(body);
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status() << "\n" << body;
      return "";
    }
    HttpResult r = client().Send("POST", "/fhir/" + *parsed->FindString("resourceType"), body);
    EXPECT_EQ(r.status, 201) << r.body;
    json::Value created = Json(r);
    const std::string* id = created.FindString("id");
    return id != nullptr ? *id : "";
  }

  json::Value Bundle(const std::string& query) {
    HttpResult r = client().Get("/fhir/" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    return Json(r);
  }

  // Ids of the matches of a search (first page).
  std::vector<std::string> Ids(const std::string& query, const char* mode = "match") {
    json::Value b = Bundle(query);
    std::vector<std::string> ids;
    const json::Value* entries = b.Find("entry");
    if (entries == nullptr) return ids;
    for (const json::Value& e : entries->as_array()) {
      if (*e.Find("search")->FindString("mode") != mode) continue;
      ids.push_back(*e.Find("resource")->FindString("id"));
    }
    return ids;
  }

  std::set<std::string> IdSet(const std::string& query, const char* mode = "match") {
    std::vector<std::string> v = Ids(query, mode);
    return {v.begin(), v.end()};
  }

  // The id of the golden-record Person the patient index made for a Patient.
  std::string PersonOf(const std::string& patient_id) {
    std::vector<std::string> v = Ids("Person?link=Patient/" + patient_id);
    EXPECT_EQ(v.size(), 1u) << patient_id;
    return v.empty() ? "" : v[0];
  }

  int64_t Total(const std::string& query) {
    json::Value b = Bundle(query);
    const json::Value* t = b.Find("total");
    EXPECT_NE(t, nullptr) << query;
    return t != nullptr ? *t->AsInt64() : -1;
  }

  int Status(const std::string& query) { return client().Get("/fhir/" + query).status; }

  // A small region: two patients, their observations, an organization.
  void Seed() {
    org_ = Create(R"({"resourceType":"Organization","name":"青山镇卫生院","identifier":[{"system":"urn:org","value":"QS"}]})");
    zhang_ = Create(R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003074514"}],
      "name":[{"family":"张","given":["三丰"]}],"gender":"male","birthDate":"1990-03-07",
      "telecom":[{"system":"phone","value":"13800138000"}],
      "address":[{"city":"杭州市","district":"西湖区","line":["青山村3组"]}],
      "managingOrganization":{"reference":"Organization/)" + org_ + R"("},
      "extension":[{"url":"https://rhip.cn/fhir/StructureDefinition/ethnicity","valueCoding":{"system":"https://rhip.cn/fhir/CodeSystem/gb-3304","code":"01","display":"汉族"}}]})");
    zeng_ = Create(R"({"resourceType":"Patient","name":[{"family":"曾","given":["小明"]}],"gender":"female",
      "birthDate":"1985-11","deceasedBoolean":false})");
    bp_ = Create(R"({"resourceType":"Observation","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},
      "subject":{"reference":"Patient/)" + zhang_ + R"("},"effectiveDateTime":"2024-05-01T08:30:00+08:00",
      "component":[
        {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":152,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
        {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":95,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
    glucose_ = Create(R"({"resourceType":"Observation","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}],"text":"血糖"},
      "subject":{"reference":"Patient/)" + zeng_ + R"("},"effectivePeriod":{"start":"2023-01-10","end":"2023-01-12"},
      "valueQuantity":{"value":7.2,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}})");
    Create(R"({"resourceType":"Provenance","target":[{"reference":"Observation/)" + bp_ + R"("}],
      "recorded":"2024-05-01T09:00:00Z","agent":[{"who":{"reference":"Organization/)" + org_ + R"("}}]})");
  }

  std::string org_, zhang_, zeng_, bp_, glucose_;
};

TEST_P(SearchTest, StringModifiersAndChineseNames) {
  Seed();
  EXPECT_EQ(IdSet("Patient?name=张"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?name=zhangsanfeng"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?name=zsf"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?name=%E5%BC%B5%E4%B8%89%E8%B1%90"), std::set<std::string>{zhang_});  // 張三豐
  EXPECT_EQ(IdSet("Patient?name=zengxiaoming"), std::set<std::string>{zeng_});  // 曾 read as zeng
  EXPECT_EQ(IdSet("Patient?pinyin=zxm"), std::set<std::string>{zeng_});
  EXPECT_TRUE(IdSet("Patient?pinyin=张").empty());  // pinyin keys only
  EXPECT_EQ(IdSet("Patient?name:exact=张三丰"), std::set<std::string>{zhang_});
  EXPECT_TRUE(IdSet("Patient?name:exact=张三").empty());
  EXPECT_EQ(IdSet("Patient?name:contains=丰"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?address-city=杭州"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?address=青山"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Organization?name=qszwsy"), std::set<std::string>{org_});
  EXPECT_EQ(IdSet("Patient?name=zhang,zeng"), (std::set<std::string>{zhang_, zeng_}));
  EXPECT_EQ(IdSet("Patient?family:missing=false").size(), 2u);
}

TEST_P(SearchTest, TokenModifiers) {
  Seed();
  EXPECT_EQ(IdSet("Patient?gender=male"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?gender:not=male"), std::set<std::string>{zeng_});
  EXPECT_EQ(IdSet("Patient?identifier=urn:oid:2.16.156.10011.1.3%7C110101199003074514"),
            std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?id-number=110101199003074514"), std::set<std::string>{zhang_});
  EXPECT_TRUE(IdSet("Patient?identifier=urn:other%7C110101199003074514").empty());
  EXPECT_EQ(IdSet("Patient?identifier=urn:oid:2.16.156.10011.1.3%7C").size(), 1u);
  EXPECT_EQ(IdSet("Patient?phone=13800138000"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?ethnicity=01"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Observation?code=http://loinc.org%7C2339-0"), std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?code:text=%E8%A1%80%E7%B3%96"), std::set<std::string>{glucose_});  // 血糖
  EXPECT_EQ(IdSet("Observation?code:text=blood"), std::set<std::string>{bp_});
  // R4's deceased is "deceased.exists() and deceased != false": false for both.
  EXPECT_EQ(IdSet("Patient?deceased=false").size(), 2u);
  EXPECT_TRUE(IdSet("Patient?deceased=true").empty());
  EXPECT_EQ(IdSet("Patient?_id=" + zhang_ + "," + zeng_).size(), 2u);
  EXPECT_EQ(Status("Observation?code:in=http://example.org/vs"), 400);  // unknown value set
  // Subsumption needs a code-system hierarchy, which the server does not hold.
  EXPECT_EQ(Status("Observation?code:below=http://loinc.org|85354-9"), 400);
  EXPECT_EQ(Status("Observation?code:above=85354-9"), 400);
  // :in / :not-in with an official value set and with one stored on the server.
  EXPECT_EQ(IdSet("Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender").size(), 2u);
  Create(R"({"resourceType":"ValueSet","url":"https://rhip.cn/fhir/ValueSet/diabetes-labs","status":"active",
    "compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"2339-0"},{"code":"4548-4"}]}]}})");
  EXPECT_EQ(IdSet("Observation?code:in=https://rhip.cn/fhir/ValueSet/diabetes-labs"),
            std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?code:not-in=https://rhip.cn/fhir/ValueSet/diabetes-labs"),
            std::set<std::string>{bp_});
}

TEST_P(SearchTest, DatesNumbersQuantitiesAndComposites) {
  Seed();
  EXPECT_EQ(IdSet("Patient?birthdate=1990"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?birthdate=1990-03-07"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?birthdate=lt1986"), std::set<std::string>{zeng_});
  EXPECT_EQ(IdSet("Patient?birthdate=ge1990-01-01"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?birthdate=ne1990-03-07"), std::set<std::string>{zeng_});
  EXPECT_EQ(IdSet("Patient?birthdate=sa1985-11-30"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?birthdate=eb1990"), std::set<std::string>{zeng_});
  // 1985-11 is a month: it is not wholly inside 1985-11-15, so eq fails, but it overlaps.
  EXPECT_TRUE(IdSet("Patient?birthdate=1985-11-15").empty());
  EXPECT_EQ(IdSet("Patient?birthdate=ap1985-11-15"), std::set<std::string>{zeng_});
  EXPECT_EQ(IdSet("Observation?date=2023-01-11T10:00:00Z").size(), 0u);  // period not inside
  EXPECT_EQ(IdSet("Observation?date=2023-01"), std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?date=gt2024-01-01&date=lt2025"), std::set<std::string>{bp_});
  // ge / le: a stored period that reaches past the value matches (glucose is 2023-01-10..12).
  EXPECT_EQ(IdSet("Observation?date=ge2023-01-11"), (std::set<std::string>{bp_, glucose_}));
  EXPECT_EQ(IdSet("Observation?date=ge2023-01-13"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Observation?date=le2023-01-11"), std::set<std::string>{glucose_});
  EXPECT_TRUE(IdSet("Observation?date=le2023-01-09").empty());
  EXPECT_EQ(Total("Observation?date=ge2023-01-11&_summary=count"), 2);
  EXPECT_EQ(Total("Observation?date=le2023-01-11&_summary=count"), 1);
  EXPECT_EQ(IdSet("Observation?value-quantity=7.2"), std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?value-quantity=7"), std::set<std::string>{glucose_});  // 6.5..7.5
  EXPECT_TRUE(IdSet("Observation?value-quantity=7.0").empty());                        // 6.95..7.05
  EXPECT_EQ(IdSet("Observation?value-quantity=gt7%7Chttp://unitsofmeasure.org%7Cmmol/L"),
            std::set<std::string>{glucose_});
  EXPECT_TRUE(IdSet("Observation?value-quantity=gt7%7C%7Cmg").empty());
  EXPECT_EQ(IdSet("Observation?component-value-quantity=ge150"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Observation?component-code-value-quantity=8480-6$gt140"), std::set<std::string>{bp_});
  EXPECT_TRUE(IdSet("Observation?component-code-value-quantity=8462-4$gt140").empty());
  EXPECT_EQ(IdSet("Observation?code-value-quantity=http://loinc.org%7C2339-0$lt8").size(), 1u);
  EXPECT_EQ(Status("Patient?birthdate=yesterday"), 400);
  EXPECT_EQ(Status("Observation?value-quantity=abc"), 400);
  EXPECT_EQ(IdSet("Patient?_lastUpdated=gt2000-01-01").size(), 2u);
}

TEST_P(SearchTest, ReferencesChainsHasAndCompartments) {
  Seed();
  EXPECT_EQ(IdSet("Observation?subject=Patient/" + zhang_), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Observation?subject:Patient=" + zhang_), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Observation?patient=" + zeng_), std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?subject:Patient.name=zsf"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Observation?patient.gender=female"), std::set<std::string>{glucose_});
  EXPECT_EQ(IdSet("Observation?subject:Patient.organization.name=青山"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Patient?_has:Observation:patient:code=85354-9"), std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?_has:Observation:patient:_has:Provenance:target:agent=Organization/" + org_),
            std::set<std::string>{zhang_});
  EXPECT_EQ(IdSet("Patient?organization:missing=true"), std::set<std::string>{zeng_});
  EXPECT_EQ(IdSet("Patient/" + zhang_ + "/Observation"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Patient/" + zhang_ + "/Observation?code=2339-0"), std::set<std::string>{});
  std::set<std::string> everything = IdSet("Patient/" + zhang_ + "/$everything");
  // The compartment holds the resident's golden record (Person.link) too: docs/MPI.md.
  EXPECT_EQ(everything, (std::set<std::string>{zhang_, bp_, PersonOf(zhang_)}));
  EXPECT_EQ(IdSet("Patient/" + zhang_ + "/$everything?_type=Observation"), std::set<std::string>{bp_});
  EXPECT_EQ(Status("Observation?code.name=x"), 400);
  EXPECT_EQ(Status("Patient?_has:Observation:code:code=x"), 400);
}

TEST_P(SearchTest, IncludesSortCountSummaryElementsTotal) {
  Seed();
  EXPECT_EQ(Ids("Observation?_id=" + bp_ + "&_include=Observation:subject", "include"),
            std::vector<std::string>{zhang_});
  EXPECT_EQ(Ids("Observation?_id=" + bp_ + "&_include=Observation:subject&_include:iterate=Patient:organization",
                "include").size(), 2u);
  EXPECT_EQ(Ids("Patient?_id=" + zhang_ + "&_revinclude=Observation:subject", "include"),
            std::vector<std::string>{bp_});
  EXPECT_EQ(Ids("Patient?_id=" + zhang_ + "&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target",
                "include").size(), 2u);
  EXPECT_EQ(Ids("Observation?_id=" + bp_ + "&_include=*", "include").size(), 1u);
  EXPECT_EQ(Ids("Patient?_sort=birthdate"), (std::vector<std::string>{zeng_, zhang_}));
  EXPECT_EQ(Ids("Patient?_sort=-birthdate"), (std::vector<std::string>{zhang_, zeng_}));
  EXPECT_EQ(Ids("Patient?_sort=family"), (std::vector<std::string>{zhang_, zeng_}));  // 张 U+5F20 < 曾 U+66FE
  EXPECT_EQ(Ids("Patient?_sort=-family"), (std::vector<std::string>{zeng_, zhang_}));
  EXPECT_EQ(Ids("Patient?_sort=-_lastUpdated"), (std::vector<std::string>{zeng_, zhang_}));
  EXPECT_EQ(Ids("Patient?_sort=gender,-birthdate"), (std::vector<std::string>{zeng_, zhang_}));
  EXPECT_EQ(Ids("Patient?_count=1").size(), 1u);
  json::Value count = Bundle("Patient?_summary=count");
  EXPECT_EQ(*count.Find("total")->AsInt64(), 2);
  EXPECT_EQ(count.Find("entry")->as_array().size(), 0u);
  EXPECT_EQ(Bundle("Patient?_total=none").Find("total"), nullptr);
  json::Value elements = Bundle("Patient?_id=" + zhang_ + "&_elements=gender");
  const json::Value& p = *elements.Find("entry")->as_array()[0].Find("resource");
  EXPECT_NE(p.Find("gender"), nullptr);
  EXPECT_EQ(p.Find("name"), nullptr);
  EXPECT_EQ(*p.Find("meta")->Find("tag")->as_array()[0].FindString("code"), "SUBSETTED");
  EXPECT_EQ(Status("Patient?_sort=no-such"), 400);
}

TEST_P(SearchTest, RevincludeAndIncludeStar) {
  Seed();
  // Every resource referring to the matches, by any reference parameter.
  // (and the Patient's golden record, a Person linking it: docs/MPI.md)
  EXPECT_EQ(IdSet("Patient?_id=" + zhang_ + "&_revinclude=*", "include"),
            (std::set<std::string>{bp_, PersonOf(zhang_)}));
  std::vector<std::string> org_refs = Ids("Organization?_id=" + org_ + "&_revinclude=*", "include");
  EXPECT_EQ(org_refs.size(), 2u);  // the Patient it manages, the Provenance naming it as agent
  EXPECT_NE(std::find(org_refs.begin(), org_refs.end(), zhang_), org_refs.end());
  // :iterate follows from those: the Patient's Observation (whose Provenance is already in).
  std::vector<std::string> iterated =
      Ids("Organization?_id=" + org_ + "&_revinclude=*&_revinclude:iterate=*", "include");
  EXPECT_EQ(iterated.size(), 4u);  // with the Patient's Person
  EXPECT_NE(std::find(iterated.begin(), iterated.end(), bp_), iterated.end());
  // _include=* with :iterate: Observation -> its Patient -> the Patient's Organization.
  std::vector<std::string> forward = Ids("Observation?_id=" + bp_ + "&_include:iterate=*", "include");
  EXPECT_EQ(std::set<std::string>(forward.begin(), forward.end()), (std::set<std::string>{zhang_, org_}));
}

TEST_P(SearchTest, ContainedResources) {
  Seed();
  std::string med = Create(R"({"resourceType":"Medication","code":{"coding":[{"system":"http://www.whocc.no/atc","code":"C09AA05"}]}})");
  auto prescription = [&](const std::string& code) {
    return Create(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
      "contained":[{"resourceType":"Medication","id":"med1","code":{"coding":[{"system":"http://www.whocc.no/atc","code":")" +
                  code + R"("}]}}],
      "medicationReference":{"reference":"#med1"},"subject":{"reference":"Patient/)" + zhang_ + R"("}})");
  };
  std::string ramipril = prescription("C09AA05");
  std::string metformin = prescription("A10BA02");
  // A container of the searched type itself, holding two Medications.
  std::string combo = Create(R"({"resourceType":"Medication","code":{"text":"combination"},
    "contained":[{"resourceType":"Medication","id":"a","status":"active","code":{"coding":[{"code":"X1"}]}},
                 {"resourceType":"Medication","id":"b","status":"inactive","code":{"coding":[{"code":"X2"}]}}],
    "ingredient":[{"itemReference":{"reference":"#a"}},{"itemReference":{"reference":"#b"}}]})");

  EXPECT_EQ(IdSet("Medication?code=C09AA05"), std::set<std::string>{med});
  EXPECT_EQ(IdSet("Medication?code=C09AA05&_contained=false"), std::set<std::string>{med});
  EXPECT_TRUE(IdSet("Medication?code=A10BA02").empty());
  // true: the containers (of any type) whose contained Medication matches.
  EXPECT_EQ(IdSet("Medication?code=C09AA05&_contained=true"), std::set<std::string>{ramipril});
  EXPECT_EQ(IdSet("Medication?code=A10BA02&_contained=true"), std::set<std::string>{metformin});
  EXPECT_EQ(Total("Medication?code=C09AA05&_contained=true"), 1);
  EXPECT_EQ(IdSet("Medication?code=C09AA05&_contained=both"), (std::set<std::string>{med, ramipril}));
  EXPECT_EQ(Total("Medication?code=C09AA05&_contained=both"), 2);
  // Criteria hold for one contained resource, not across the container's contained resources.
  EXPECT_EQ(IdSet("Medication?code=X1&status=active&_contained=true"), std::set<std::string>{combo});
  EXPECT_TRUE(IdSet("Medication?code=X1&status=inactive&_contained=true").empty());
  EXPECT_EQ(IdSet("Medication?_id=med1&code=A10BA02&_contained=true"), std::set<std::string>{metformin});
  EXPECT_TRUE(IdSet("Medication?_id=a&code=A10BA02&_contained=true").empty());
  // Only contained resources of the searched type.
  EXPECT_TRUE(IdSet("Substance?code=C09AA05&_contained=true").empty());

  // _containedType=contained: the contained resources themselves, as [base]/Type/id#local.
  json::Value b = Bundle("Medication?code=C09AA05&_contained=true&_containedType=contained");
  ASSERT_NE(b.Find("entry"), nullptr);
  ASSERT_EQ(b.Find("entry")->as_array().size(), 1u);
  const json::Value& e = b.Find("entry")->as_array()[0];
  EXPECT_EQ(*e.Find("resource")->FindString("resourceType"), "Medication");
  EXPECT_EQ(*e.Find("resource")->FindString("id"), "med1");
  EXPECT_TRUE(e.FindString("fullUrl")->ends_with("/MedicationRequest/" + ramipril + "#med1"))
      << *e.FindString("fullUrl");
  EXPECT_EQ(Ids("Medication?code=X2&_contained=true&_containedType=contained"), std::vector<std::string>{"b"});

  // both + contained, paged one by one: each match once, in a stable order, total counted.
  std::string query = "Medication?code=C09AA05,A10BA02,X1&_contained=both&_containedType=contained&_count=1";
  EXPECT_EQ(Total(query), 4);
  std::vector<std::string> urls;
  std::string next = "/fhir/" + query;
  while (!next.empty() && urls.size() < 10) {
    HttpResult page = client().Get(next);
    ASSERT_EQ(page.status, 200) << page.body;
    json::Value pb = Json(page);
    for (const json::Value& pe : pb.Find("entry")->as_array()) urls.push_back(*pe.FindString("fullUrl"));
    next.clear();
    for (const json::Value& l : pb.Find("link")->as_array()) {
      if (*l.FindString("relation") == "next") {
        std::string url = *l.FindString("url");
        next = url.substr(url.find("/fhir/"));
      }
    }
  }
  ASSERT_EQ(urls.size(), 4u);
  std::set<std::string> tails;
  for (const std::string& u : urls) tails.insert(u.substr(u.find("/fhir/") + 6));
  EXPECT_EQ(tails, (std::set<std::string>{"Medication/" + med, "MedicationRequest/" + ramipril + "#med1",
                                          "MedicationRequest/" + metformin + "#med1",
                                          "Medication/" + combo + "#a"}));

  EXPECT_EQ(Status("Medication?code=C09AA05&_contained=maybe"), 400);
  EXPECT_EQ(Status("Medication?code=C09AA05&_contained=true&_containedType=x"), 400);
  EXPECT_EQ(Status("Medication?_contained=true&_containedType=contained&_sort=_id"), 400);
  EXPECT_EQ(client().Get("/fhir?_type=Medication,Substance&_contained=true").status, 400);

  // An update that drops the contained resource drops its index rows.
  HttpResult put = client().Send("PUT", "/fhir/MedicationRequest/" + ramipril,
      R"({"resourceType":"MedicationRequest","id":")" + ramipril + R"(","status":"active","intent":"order",
      "medicationCodeableConcept":{"text":"ramipril"},"subject":{"reference":"Patient/)" + zhang_ + R"("}})");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(IdSet("Medication?code=C09AA05&_contained=true").empty());
}

// A count must count resources, not index rows: one code under two systems, or twice under one.
TEST_P(SearchTest, CountsCountResourcesNotIndexRows) {
  auto observation = [&](const std::string& codings) {
    return Create(R"({"resourceType":"Observation","status":"final","code":{"coding":[)" + codings + "]}}");
  };
  observation(R"({"system":"urn:a","code":"X"},{"system":"urn:b","code":"X"})");
  observation(R"({"system":"urn:a","code":"X"},{"system":"urn:a","code":"X"})");
  observation(R"({"system":"urn:a","code":"X"})");
  observation(R"({"system":"urn:a","code":"Y"})");
  observation(R"({"system":"urn:a","code":"Y"},{"code":"Z"})");
  for (const char* summary : {"&_summary=count", "&_total=accurate"}) {
    SCOPED_TRACE(summary);
    EXPECT_EQ(Total(std::string("Observation?code=X") + summary), 3);  // two systems
    EXPECT_EQ(Total(std::string("Observation?code=urn:a%7CX") + summary), 3);
    EXPECT_EQ(Total(std::string("Observation?code=urn:b%7CX") + summary), 1);
    EXPECT_EQ(Total(std::string("Observation?code=Y") + summary), 2);  // one system
    EXPECT_EQ(Total(std::string("Observation?code=%7CZ") + summary), 1);
    EXPECT_EQ(Total(std::string("Observation?code=X,Y") + summary), 5);
    EXPECT_EQ(Total(std::string("Observation?code=W") + summary), 0);
  }
}

TEST_P(SearchTest, SummaryTrueKeepsSummaryElements) {
  // The one resource a _summary=true search by id returns ({} when it is not exactly one).
  auto summary = [&](const std::string& type, const std::string& id) {
    json::Value bundle = Bundle(type + "?_id=" + id + "&_summary=true");
    const json::Value* entries = bundle.Find("entry");
    bool one = entries != nullptr && entries->as_array().size() == 1u;
    EXPECT_TRUE(one) << type;
    const json::Value* r = one ? entries->as_array()[0].Find("resource") : nullptr;
    return r != nullptr ? *r : json::Value(json::Object());
  };
  std::string id = Create(R"({"resourceType":"Patient","name":[{"family":"王","given":["芳"]}],"gender":"female",
    "birthDate":"1985-04-12","deceasedBoolean":false,"maritalStatus":{"text":"已婚"},
    "contact":[{"name":{"family":"王","given":["强"]},"telecom":[{"system":"phone","value":"13800000000"}]}],
    "photo":[{"contentType":"image/png","data":"iVBORw0KGgo="}]})");
  ASSERT_FALSE(id.empty());
  json::Value p = summary("Patient", id);
  ASSERT_NE(p.Find("name"), nullptr);
  EXPECT_EQ(*p.Find("name")->as_array()[0].FindString("family"), "王");  // kept whole
  EXPECT_NE(p.Find("id"), nullptr);
  EXPECT_NE(p.Find("gender"), nullptr);
  EXPECT_NE(p.Find("birthDate"), nullptr);
  EXPECT_NE(p.Find("deceasedBoolean"), nullptr);  // element deceased[x] is a summary element
  EXPECT_EQ(p.Find("contact"), nullptr);
  EXPECT_EQ(p.Find("photo"), nullptr);
  EXPECT_EQ(p.Find("maritalStatus"), nullptr);
  EXPECT_EQ(*p.Find("meta")->Find("tag")->as_array()[0].FindString("code"), "SUBSETTED");
  // A choice element's member follows its element (value[x] is summary, note is not).
  json::Value o = summary("Observation", Create(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/)" + id +
    R"("},"valueQuantity":{"value":72,"unit":"/min"},"note":[{"text":"静息"}]})"));
  EXPECT_NE(o.Find("code"), nullptr);
  EXPECT_NE(o.Find("valueQuantity"), nullptr);
  EXPECT_EQ(o.Find("note"), nullptr);
  // Mandatory elements stay although not marked summary (Provenance.agent 1..*).
  json::Value prov = summary("Provenance", Create(R"({"resourceType":"Provenance","target":[{"reference":"Patient/)" +
    id + R"("}],"recorded":"2024-01-01T08:00:00+08:00","agent":[{"who":{"reference":"Patient/)" + id +
    R"("}}],"activity":{"text":"登记"}})"));
  EXPECT_NE(prov.Find("agent"), nullptr);
  EXPECT_NE(prov.Find("recorded"), nullptr);
  EXPECT_EQ(prov.Find("activity"), nullptr);
}

TEST_P(SearchTest, ValidateOperationAndProfilesOnWrite) {
  // A profile stored on the server: birthDate required.
  std::string profile = R"({"resourceType":"StructureDefinition","url":"https://rhip.cn/fhir/StructureDefinition/resident",
    "name":"Resident","status":"active","kind":"resource","abstract":false,"type":"Patient",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","derivation":"constraint",
    "snapshot":{"element":[
      {"id":"Patient","path":"Patient","definition":"A resident","min":0,"max":"*",
       "base":{"path":"Patient","min":0,"max":"*"}},
      {"id":"Patient.birthDate","path":"Patient.birthDate","definition":"Date of birth","min":1,"max":"1",
       "base":{"path":"Patient.birthDate","min":0,"max":"1"},"type":[{"code":"date"}]}]}})";
  ASSERT_FALSE(Create(profile).empty());
  std::string without_birth = R"({"resourceType":"Patient","meta":{"profile":["https://rhip.cn/fhir/StructureDefinition/resident"]},"gender":"male"})";
  HttpResult v = client().Send("POST", "/fhir/Patient/$validate", without_birth);
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_NE(v.body.find("birthDate"), std::string::npos) << v.body;
  EXPECT_NE(v.body.find("\"error\""), std::string::npos) << v.body;
  EXPECT_EQ(client().Send("POST", "/fhir/Patient", without_birth).status, 400);
  std::string with_birth = R"({"resourceType":"Patient","meta":{"profile":["https://rhip.cn/fhir/StructureDefinition/resident"]},"gender":"male","birthDate":"2000-01-01"})";
  HttpResult ok = client().Send("POST", "/fhir/Patient/$validate", with_birth);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.find("\"error\""), std::string::npos) << ok.body;
  EXPECT_EQ(client().Send("POST", "/fhir/Patient", with_birth).status, 201);
  // Bundle entries are checked against the stored profile too. A transaction fails whole,
  // naming the entry; nothing of it is kept.
  auto bundle = [&](const std::string& type) {
    return R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[
      {"fullUrl":"urn:uuid:0b6c3f4e-1d2a-4c5b-9e8f-7a6b5c4d3e2f","resource":)" + with_birth +
           R"(,"request":{"method":"POST","url":"Patient"}},
      {"resource":)" + without_birth + R"(,"request":{"method":"PUT","url":"Patient/no-birth"}}]})";
  };
  int64_t patients = Total("Patient?_summary=count");
  HttpResult txn = client().Send("POST", "/fhir", bundle("transaction"));
  EXPECT_EQ(txn.status, 400) << txn.body;
  EXPECT_NE(txn.body.find("OperationOutcome"), std::string::npos) << txn.body;
  EXPECT_NE(txn.body.find("Bundle.entry[1]"), std::string::npos) << txn.body;
  EXPECT_NE(txn.body.find("birthDate"), std::string::npos) << txn.body;
  EXPECT_EQ(Total("Patient?_summary=count"), patients);
  EXPECT_EQ(Status("Patient/no-birth"), 404);
  // A batch rejects only that entry, with a 4xx and the outcome; the valid one is created.
  HttpResult batch = client().Send("POST", "/fhir", bundle("batch"));
  ASSERT_EQ(batch.status, 200) << batch.body;
  json::Value responses = Json(batch);
  const json::Array& entries = responses.Find("entry")->as_array();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].Find("response")->FindString("status")->substr(0, 3), "201");
  const json::Value* rejected = entries[1].Find("response");
  EXPECT_EQ(rejected->FindString("status")->substr(0, 3), "400");
  ASSERT_NE(rejected->Find("outcome"), nullptr) << batch.body;
  EXPECT_NE(json::Serialize(*rejected->Find("outcome")).find("birthDate"), std::string::npos)
      << batch.body;
  EXPECT_EQ(Total("Patient?_summary=count"), patients + 1);
  EXPECT_EQ(Status("Patient/no-birth"), 404);
  HttpResult bad_code = client().Send("POST", "/fhir/$validate", R"({"resourceType":"Patient","gender":"man"})");
  ASSERT_EQ(bad_code.status, 200);
  EXPECT_NE(bad_code.body.find("gender"), std::string::npos) << bad_code.body;
}

TEST_P(SearchTest, UnknownParametersAndLenientHandling) {
  Seed();
  HttpResult strict = client().Get("/fhir/Patient?shoe-size=42");
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("shoe-size"), std::string::npos);
  EXPECT_NE(strict.body.find("OperationOutcome"), std::string::npos);
  HttpResult lenient = client().Send("GET", "/fhir/Patient?shoe-size=42&gender=male", "",
                                     {{"Prefer", "handling=lenient"}});
  ASSERT_EQ(lenient.status, 200) << lenient.body;
  json::Value b = Json(lenient);
  EXPECT_EQ(*b.Find("total")->AsInt64(), 1);
  EXPECT_EQ(b.Find("link")->as_array()[0].FindString("url")->find("shoe-size"), std::string::npos);
}

TEST_P(SearchTest, PostSearchAndSystemSearch) {
  Seed();
  HttpResult post = client().Send("POST", "/fhir/Patient/_search", "gender=female", 
                                  {{"Content-Type", "application/x-www-form-urlencoded"}});
  ASSERT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(*Json(post).Find("total")->AsInt64(), 1);
  EXPECT_EQ(Total("?_type=Patient,Observation"), 4);
  EXPECT_EQ(Total("?_type=Patient&_id=" + zeng_), 1);
  EXPECT_EQ(Total("?_type=Patient&gender=male"), 1);  // one type: its parameters apply
  EXPECT_EQ(Status("?_type=Patient,Observation&gender=male"), 400);  // not a common parameter
}

// Keyset paging never repeats or skips a resource, even while others are being written.
TEST_P(SearchTest, PagingIsStableUnderConcurrentWrites) {
  std::set<std::string> expected;
  for (int i = 0; i < 45; ++i) {
    expected.insert(Create(R"({"resourceType":"Patient","gender":"other","birthDate":"20)" +
                           std::to_string(10 + i % 7) + R"(-01-01"})"));
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    HttpClient c("127.0.0.1", server().port());
    EXPECT_TRUE(AuthorizeTestClient(c));
    while (!stop) {
      c.Send("POST", "/fhir/Patient", R"({"resourceType":"Patient","gender":"unknown","birthDate":"2012-01-01"})");
    }
  });
  for (const std::string sort : {"", "&_sort=birthdate", "&_sort=-birthdate,_id"}) {
    std::vector<std::string> seen;
    std::string next = "/fhir/Patient?gender=other&_count=7" + sort;
    while (!next.empty()) {
      HttpResult page = client().Get(next);
      ASSERT_EQ(page.status, 200) << page.body;
      json::Value b = Json(page);
      if (const json::Value* entries = b.Find("entry")) {
        for (const json::Value& e : entries->as_array()) seen.push_back(*e.Find("resource")->FindString("id"));
      }
      next.clear();
      for (const json::Value& l : b.Find("link")->as_array()) {
        if (*l.FindString("relation") == "next") {
          std::string url = *l.FindString("url");
          next = url.substr(url.find("/fhir/"));
        }
      }
    }
    EXPECT_EQ(seen.size(), expected.size()) << sort;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected) << sort;
  }
  stop = true;
  writer.join();
  // previous links lead back.
  json::Value first = Bundle("Patient?gender=other&_count=10");
  std::string next_url;
  for (const json::Value& l : first.Find("link")->as_array()) {
    if (*l.FindString("relation") == "next") next_url = *l.FindString("url");
  }
  ASSERT_FALSE(next_url.empty());
  json::Value second = Json(client().Get(next_url.substr(next_url.find("/fhir/"))));
  std::string prev_url;
  for (const json::Value& l : second.Find("link")->as_array()) {
    if (*l.FindString("relation") == "previous") prev_url = *l.FindString("url");
  }
  ASSERT_FALSE(prev_url.empty());
  json::Value back = Json(client().Get(prev_url.substr(prev_url.find("/fhir/"))));
  EXPECT_EQ(json::Serialize(*back.Find("entry")), json::Serialize(*first.Find("entry")));
}

TEST_P(SearchTest, UpdatesAndDeletesMaintainTheIndex) {
  Seed();
  std::string body = R"({"resourceType":"Patient","id":")" + zeng_ + R"(","name":[{"family":"李","given":["四"]}],"gender":"female"})";
  ASSERT_EQ(client().Send("PUT", "/fhir/Patient/" + zeng_, body).status, 200);
  EXPECT_TRUE(IdSet("Patient?name=zeng").empty());
  EXPECT_EQ(IdSet("Patient?name=lisi"), std::set<std::string>{zeng_});
  EXPECT_TRUE(IdSet("Patient?birthdate=1985-11").empty());
  ASSERT_EQ(client().Send("DELETE", "/fhir/Patient/" + zeng_).status, 204);
  EXPECT_TRUE(IdSet("Patient?name=lisi").empty());
  EXPECT_EQ(Total("Patient?gender=female"), 0);
}

// Regression: a new store records which search definitions its index follows before the
// built-in terminology is written; it used not to, and every new store looked stale to serve.
TEST_P(SearchTest, NewStoreIndexIsCurrent) {
  db::Options options;
  options.target = db_url().empty() ? data_dir() : db_url();
  auto database = db::Database::Open(options);
  ASSERT_TRUE(database.ok()) << database.status();
  int64_t digests = -1;
  ASSERT_TRUE((*database)->Read([&](db::Session& s) -> absl::Status {
    auto rows = s.Query("SELECT COUNT(*) FROM search_meta WHERE name = 'digest'");
    if (!rows.ok()) return rows.status();
    digests = (*rows)[0].Int(0);
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(digests, 1);
}

// `rhip reindex` rebuilds a lost or outdated index, and resumes when interrupted.
TEST_P(SearchTest, ReindexRebuildsTheIndex) {
  Seed();
  server().Stop();
  {
    db::Options options;
    options.target = db_url().empty() ? data_dir() : db_url();
    auto database = db::Database::Open(options);
    ASSERT_TRUE(database.ok()) << database.status();
    // As if the definitions had changed, half way through an earlier reindex.
    ASSERT_TRUE((*database)->Write([&](db::Session& s) -> absl::Status {
      for (const char* t : {"sp_string", "sp_token", "sp_date", "sp_number", "sp_reference", "sp_uri",
                            "sp_composite"}) {
        auto r = s.Execute(std::string("DELETE FROM ") + t);
        if (!r.ok()) return r.status();
      }
      auto r = s.Execute("UPDATE search_meta SET value = 'old' WHERE name = 'digest'");
      if (!r.ok()) return r.status();
      // Done up to the second seeded resource (the store starts with its built-in terminology).
      auto rk = s.Query("SELECT rk FROM resource WHERE type = 'Patient' AND id = :id", {{"id", zhang_}});
      if (!rk.ok()) return rk.status();
      if (rk->empty()) return absl::NotFoundError("no seeded Patient");
      return s.Execute("INSERT INTO search_meta (name, value) VALUES ('reindex_after_rk', :rk)",
                       {{"rk", std::to_string((*rk)[0].Int(0))}}).status();
    }).ok());
  }
  std::vector<std::string> args = {"reindex", "--data", data_dir()};
  if (!db_url().empty()) {
    args.push_back("--db");
    args.push_back(db_url());
  }
  std::string out;
  ASSERT_EQ(RunRhip(args, &out), 0) << out;
  EXPECT_NE(out.find("current"), std::string::npos) << out;
  Restart();
  // The resumed run indexed the resources after rk 2 and skipped the first two as done.
  EXPECT_EQ(IdSet("Observation?code=85354-9"), std::set<std::string>{bp_});
  EXPECT_EQ(IdSet("Patient?name=zengxiaoming"), std::set<std::string>{zeng_});
  EXPECT_TRUE(IdSet("Patient?name=zsf").empty());
  // A fresh reindex (no resume marker) rebuilds everything.
  server().Stop();
  ASSERT_EQ(RunRhip(args, &out), 0) << out;
  Restart();
  EXPECT_EQ(IdSet("Organization?name=qszwsy"), std::set<std::string>{org_});
  EXPECT_EQ(IdSet("Patient?name=zsf"), std::set<std::string>{zhang_});
}

INSTANTIATE_TEST_SUITE_P(Engines, SearchTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
