#include "fhir/rest_access.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rhip::fhir {
namespace {

std::vector<AccessNeed> Needs(std::string method, std::string path, std::string body = "") {
  net::HttpRequest req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.body = std::move(body);
  return RequiredAccess(req, "/fhir");
}

TEST(RestAccessTest, TypeAndInteraction) {
  using V = std::vector<AccessNeed>;
  EXPECT_EQ(Needs("GET", "/fhir/Patient"), (V{{"Patient", 's'}}));
  EXPECT_EQ(Needs("POST", "/fhir/Patient/_search"), (V{{"Patient", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir/Patient/_history"), (V{{"Patient", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir/Patient/1"), (V{{"Patient", 'r'}}));
  EXPECT_EQ(Needs("HEAD", "/fhir/Patient/1/_history/2"), (V{{"Patient", 'r'}}));
  EXPECT_EQ(Needs("POST", "/fhir/Patient"), (V{{"Patient", 'c'}}));
  EXPECT_EQ(Needs("PUT", "/fhir/Patient/1"), (V{{"Patient", 'u'}}));
  EXPECT_EQ(Needs("PATCH", "/fhir/Patient/1"), (V{{"Patient", 'u'}}));
  EXPECT_EQ(Needs("DELETE", "/fhir/Patient"), (V{{"Patient", 'd'}}));
  EXPECT_EQ(Needs("GET", "/fhir/Patient/1/Observation"), (V{{"Patient", 'r'}, {"Observation", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir"), (V{{"*", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir/_history"), (V{{"*", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir/Patient/1/$everything"), (V{{"Patient", 'r'}}));
  EXPECT_EQ(Needs("GET", "/fhir/Group/g/$export"), (V{{"*", 'r'}, {"*", 's'}}));
  EXPECT_EQ(Needs("GET", "/fhir/$bulk-file/j/f.ndjson"), (V{{"*", 'r'}, {"*", 's'}}));
  EXPECT_EQ(Needs("POST", "/fhir/$import"), (V{{"*", 'c'}, {"*", 'u'}}));
  // An instance operation of another module (operation_handler.h) reads its type; it is no
  // compartment search of a type named "$descendants".
  EXPECT_EQ(Needs("GET", "/fhir/Organization/o1/$descendants"), (V{{"Organization", 'r'}}));
  // Terminology operations read, also when their Parameters come in a POST body.
  EXPECT_EQ(Needs("POST", "/fhir/ValueSet/$expand"), (V{{"ValueSet", 'r'}}));
  EXPECT_EQ(Needs("GET", "/fhir/ValueSet/vs1/$validate-code"), (V{{"ValueSet", 'r'}}));
  EXPECT_EQ(Needs("POST", "/fhir/CodeSystem/$lookup"), (V{{"CodeSystem", 'r'}}));
  EXPECT_EQ(Needs("POST", "/fhir/ConceptMap/$translate"), (V{{"ConceptMap", 'r'}}));
}

TEST(RestAccessTest, BundleEntriesAreCheckedOneByOne) {
  using V = std::vector<AccessNeed>;
  EXPECT_EQ(Needs("POST", "/fhir", R"({"resourceType":"Bundle","entry":[
      {"request":{"method":"POST","url":"Patient"}},
      {"request":{"method":"GET","url":"Observation?code=1"}},
      {"request":{"method":"DELETE","url":"Encounter/7"}},
      {"resource":{}}]})"),
            (V{{"Patient", 'c'}, {"Observation", 's'}, {"Encounter", 'd'}, {"*", 'c'}}));
  EXPECT_TRUE(Needs("POST", "/fhir", "not json").empty());
}

TEST(RestAccessTest, OnlyTheCapabilityStatementIsPublic) {
  net::HttpRequest req{.method = "GET", .path = "/fhir/metadata"};
  EXPECT_TRUE(IsPublicFhirRequest(req, "/fhir"));
  req.method = "POST";
  EXPECT_FALSE(IsPublicFhirRequest(req, "/fhir"));
  req = {.method = "GET", .path = "/fhir/Patient/metadata"};
  EXPECT_FALSE(IsPublicFhirRequest(req, "/fhir"));
}

}  // namespace
}  // namespace rhip::fhir
