// Each masking rule (docs/SECURITY.md "Masking") on its own and inside resources.
#include "security/masking.h"

#include <string>

#include "core/json.h"
#include "gtest/gtest.h"

namespace rhip::security {
namespace {

json::Value Parse(std::string_view text) {
  absl::StatusOr<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status() << "\n" << text;
  return v.ok() ? *std::move(v) : json::Value();
}

// The resource after masking, compact.
std::string Masked(std::string_view text) {
  json::Value v = Parse(text);
  MaskResource(v);
  return json::Serialize(v);
}

constexpr char kLabel[] =
    R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
    R"("code":"MASKED","display":"masked"}]})";

TEST(MaskingRulesTest, ResidentIdKeepsFirstAndLastFour) {
  EXPECT_EQ(MaskResidentIdNumber("110101199003071234"), "1101**********1234");
  EXPECT_EQ(MaskResidentIdNumber("110101199003074514"), "1101**********4514");
  EXPECT_EQ(MaskResidentIdNumber("110101900307123"), "1101*******7123");  // 15-digit
  // Not an ID number's length: masked as any identifier.
  EXPECT_EQ(MaskResidentIdNumber("1101011990"), "******1990");
  EXPECT_EQ(MaskResidentIdNumber("123"), "***");
  EXPECT_EQ(MaskResidentIdNumber(""), "");
}

TEST(MaskingRulesTest, IdentifierKeepsLastFourOfLongValues) {
  EXPECT_EQ(MaskIdentifierValue("MRN12345678"), "*******5678");
  EXPECT_EQ(MaskIdentifierValue("12345678"), "****5678");
  EXPECT_EQ(MaskIdentifierValue("1234567"), "*******");
  EXPECT_EQ(MaskIdentifierValue("1234"), "****");
  // Code points, not bytes: one '*' per hidden character, none split.
  EXPECT_EQ(MaskIdentifierValue("京A健康档案12345"), "*******2345");
  EXPECT_EQ(MaskIdentifierValue("健康档案号码编号"), "****号码编号");
}

TEST(MaskingRulesTest, PhoneKeepsFirstThreeAndLastFourDigits) {
  EXPECT_EQ(MaskPhoneNumber("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhoneNumber("010-1234-5678"), "010-****-5678");
  EXPECT_EQ(MaskPhoneNumber("+86 138 1234 5678"), "+86 1** **** 5678");
  EXPECT_EQ(MaskPhoneNumber("12345678"), "****5678");  // too short to show the prefix too
  EXPECT_EQ(MaskPhoneNumber("1234567"), "*******");
  EXPECT_EQ(MaskPhoneNumber("n/a"), "n/a");  // no digits, nothing to hide
}

TEST(MaskingRulesTest, EmailKeepsFirstCharacterAndDomain) {
  EXPECT_EQ(MaskEmail("zhangsan@example.cn"), "z***@example.cn");
  EXPECT_EQ(MaskEmail("z@example.cn"), "z***@example.cn");
  EXPECT_EQ(MaskEmail("张三@example.cn"), "张***@example.cn");
  EXPECT_EQ(MaskEmail("@example.cn"), "***@example.cn");
  EXPECT_EQ(MaskEmail("not-an-address"), "**********ress");
}

TEST(MaskingTest, HasMaskedLabelOnlyAfterMasking) {
  json::Value v = Parse(R"({"resourceType":"Patient","identifier":[{"value":"HR1100001234"}]})");
  EXPECT_FALSE(HasMaskedLabel(v));
  EXPECT_TRUE(MaskResource(v));
  EXPECT_TRUE(HasMaskedLabel(v));
  EXPECT_FALSE(HasMaskedLabel(Parse(R"({"resourceType":"Observation","meta":{"security":[{"code":"MASKED"}]}})")));
  EXPECT_FALSE(HasMaskedLabel(Parse("[]")));
}

TEST(MaskingTest, PatientIdentifiersTelecomAddressNarrativePhoto) {
  std::string out = Masked(R"({"resourceType":"Patient","id":"p1",
    "text":{"status":"generated","div":"<div>110101199003071234</div>"},
    "identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"110101199003071234"},
                  {"system":"https://rhip.cn/id/health-record","value":"HR1100001234"}],
    "name":[{"text":"张三","family":"张","given":["三"]}],
    "telecom":[{"system":"phone","value":"13812345678","use":"mobile"},
               {"system":"email","value":"zhangsan@example.cn"},
               {"system":"fax","value":"010-1234-5678"},
               {"system":"url","value":"https://zhangsan.example.cn"}],
    "address":[{"use":"home","text":"北京市东城区东华门街道1号","line":["东华门街道1号","2单元"],
                "city":"北京市","district":"东城区","state":"北京市","postalCode":"100010",
                "country":"CN",
                "extension":[{"url":"https://rhip.cn/fhir/StructureDefinition/administrative-division",
                              "valueCode":"110101001"},
                             {"url":"http://hl7.org/fhir/StructureDefinition/geolocation",
                              "extension":[{"url":"latitude","valueDecimal":39.9}]}]}],
    "photo":[{"contentType":"image/jpeg","data":"AAAA"}],
    "birthDate":"1990-03-07"})");
  EXPECT_EQ(
      out,
      std::string(R"({"resourceType":"Patient","id":"p1",)") +
          R"("identifier":[{"system":"urn:oid:2.16.156.10011.1.3","value":"1101**********1234"},)"
          R"({"system":"https://rhip.cn/id/health-record","value":"********1234"}],)"
          R"("name":[{"text":"张三","family":"张","given":["三"]}],)"
          R"("telecom":[{"system":"phone","value":"138****5678","use":"mobile"},)"
          R"({"system":"email","value":"z***@example.cn"},)"
          R"({"system":"fax","value":"010-****-5678"},)"
          R"({"system":"url","value":"***********************e.cn"}],)"
          R"("address":[{"use":"home","line":["***","***"],"city":"北京市","district":"东城区",)"
          R"("state":"北京市","postalCode":"100010","country":"CN",)"
          R"("extension":[{"url":"https://rhip.cn/fhir/StructureDefinition/administrative-division",)"
          R"("valueCode":"110101001"}],"text":"北京市东城区***"}],)"
          R"("birthDate":"1990-03-07",)" +
          kLabel + "}");
}

TEST(MaskingTest, OddShapesAreLeftAloneOrMaskedSafely) {
  std::string out = Masked(R"({"resourceType":"Patient",
    "identifier":[{"system":"urn:oid:2.16.156.10011.1.3"},{"value":"A1234567890"},"junk"],
    "telecom":[{"system":"phone"},{"value":"13812345678"}],
    "address":[{"city":"Springfield","state":"IL"},{"text":"1 Main St, Springfield"}],
    "contact":[{"telecom":[{"system":"sms","value":"13987654321"}],
                "address":{"line":["1 Main St"],"city":"Springfield"}}]})");
  EXPECT_EQ(
      out,
      std::string(R"({"resourceType":"Patient",)") +
          R"("identifier":[{"system":"urn:oid:2.16.156.10011.1.3"},{"value":"*******7890"},"junk"],)"
          // A telecom without a system is masked as an identifier.
          R"("telecom":[{"system":"phone"},{"value":"*******5678"}],)"
          // Without lines or text no text is made up; a text alone is replaced.
          R"("address":[{"city":"Springfield","state":"IL"},{"text":"***"}],)"
          R"("contact":[{"telecom":[{"system":"sms","value":"139****4321"}],)"
          R"("address":{"line":["***"],"city":"Springfield","text":"Springfield ***"}}],)" +
          kLabel + "}");
}

TEST(MaskingTest, OtherPersonTypesAreMasked) {
  for (const char* type : {"RelatedPerson", "Person", "Practitioner"}) {
    std::string out = Masked(std::string(R"({"resourceType":")") + type +
                             R"(","identifier":[{"value":"ABCDEFGH1234"}],)"
                             R"("telecom":[{"system":"phone","value":"13812345678"}]})");
    EXPECT_EQ(out, std::string(R"({"resourceType":")") + type +
                       R"(","identifier":[{"value":"********1234"}],)"
                       R"("telecom":[{"system":"phone","value":"138****5678"}],)" +
                       kLabel + "}");
  }
}

TEST(MaskingTest, ObservationIsUntouched) {
  const std::string text =
      R"({"resourceType":"Observation","identifier":[{"value":"OBS-000012345"}],)"
      R"("text":{"status":"generated","div":"<div>x</div>"},"status":"final"})";
  json::Value v = Parse(text);
  EXPECT_FALSE(MaskResource(v));
  EXPECT_EQ(json::Serialize(v), text);
  EXPECT_FALSE(MayNeedMasking("Observation", text));
  std::string copy = text;
  ASSERT_TRUE(MaskResourceJson("Observation", &copy).ok());
  EXPECT_EQ(copy, text);
}

TEST(MaskingTest, ContainedResourcesAreMaskedAndLabelTheContainer) {
  const std::string text =
      R"({"resourceType":"Observation","contained":[)"
      R"({"resourceType":"Patient","id":"p","identifier":[{"system":"urn:oid:2.16.156.10011.1.3",)"
      R"("value":"110101199003071234"}]},{"resourceType":"Device","id":"d"}],)"
      R"("subject":{"reference":"#p"}})";
  EXPECT_TRUE(MayNeedMasking("Observation", text));
  std::string masked = text;
  ASSERT_TRUE(MaskResourceJson("Observation", &masked).ok());
  EXPECT_EQ(
      masked,
      std::string(R"({"resourceType":"Observation","contained":[)") +
          R"({"resourceType":"Patient","id":"p","identifier":[{"system":"urn:oid:2.16.156.10011.1.3",)"
          R"("value":"1101**********1234"}],)" +
          kLabel +
          R"(},{"resourceType":"Device","id":"d"}],)"
          R"("subject":{"reference":"#p"},)" +
          kLabel + "}");
  // An Observation that contains no person stays as it was.
  std::string plain = R"({"resourceType":"Observation","contained":[{"resourceType":"Device"}]})";
  std::string copy = plain;
  ASSERT_TRUE(MaskResourceJson("Observation", &copy).ok());
  EXPECT_EQ(copy, plain);
}

TEST(MaskingTest, PatientContainingARelatedPerson) {
  std::string out =
      Masked(R"({"resourceType":"Patient","contained":[{"resourceType":"RelatedPerson",)"
             R"("telecom":[{"system":"email","value":"li@example.cn"}]}]})");
  EXPECT_EQ(out, std::string(
                     R"({"resourceType":"Patient","contained":[{"resourceType":"RelatedPerson",)") +
                     R"("telecom":[{"system":"email","value":"l***@example.cn"}],)" + kLabel +
                     "}]," + kLabel + "}");
}

TEST(MaskingTest, BundleEntriesAreMasked) {
  std::string out = Masked(
      R"({"resourceType":"Bundle","type":"searchset","entry":[)"
      R"({"resource":{"resourceType":"Patient","telecom":[{"system":"phone","value":"13812345678"}]}},)"
      R"({"resource":{"resourceType":"Observation","status":"final"}}]})");
  EXPECT_EQ(
      out,
      std::string(R"({"resourceType":"Bundle","type":"searchset","entry":[)") +
          R"({"resource":{"resourceType":"Patient","telecom":[{"system":"phone","value":"138****5678"}],)" +
          kLabel + R"(}},{"resource":{"resourceType":"Observation","status":"final"}}]})");
}

TEST(MaskingTest, MaskingTwiceAddsOneLabel) {
  json::Value v = Parse(R"({"resourceType":"Patient","meta":{"versionId":"3",)"
                        R"("security":[{"system":"x","code":"R"}]},"gender":"male"})");
  EXPECT_TRUE(MaskResource(v));
  EXPECT_TRUE(MaskResource(v));
  EXPECT_EQ(
      json::Serialize(v),
      R"({"resourceType":"Patient","meta":{"versionId":"3","security":[{"system":"x","code":"R"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"MASKED",)"
      R"("display":"masked"}]},"gender":"male"})");
}

TEST(MaskingTest, JsonTextOfMaskedTypes) {
  std::string text =
      R"({"resourceType":"Practitioner","telecom":[{"system":"phone","value":"13812345678"}]})";
  EXPECT_TRUE(MayNeedMasking("Practitioner", text));
  ASSERT_TRUE(MaskResourceJson("Practitioner", &text).ok());
  EXPECT_NE(text.find("138****5678"), std::string::npos) << text;
  std::string bad = R"({"resourceType":"Patient",)";
  EXPECT_FALSE(MaskResourceJson("Patient", &bad).ok());
  json::Value not_a_resource = json::Array();
  EXPECT_FALSE(MaskResource(not_a_resource));
}

}  // namespace
}  // namespace rhip::security
