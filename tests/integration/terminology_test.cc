// Terminology services of the real build/rhip over HTTP, on SQLite and PostgreSQL: the value
// sets installed with every store, $lookup, $validate-code, $expand (pinyin initials, full
// pinyin, traditional characters, paging) on ICD-10 loaded by `rhip terminology load`, and
// $translate.
#include <fstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/testing/paths.h"
#include "gtest/gtest.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

std::string Q(std::string_view s) { return PercentEncode(s); }

class TerminologyTest : public ServerTest {
 protected:
  json::Value GetOk(const std::string& target) {
    HttpResult r = client().Get(target);
    EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
    return Json(r);
  }

  json::Value PostOk(const std::string& target, const std::string& body) {
    HttpResult r = client().Send("POST", target, body);
    EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
    return Json(r);
  }

  void Put(const std::string& type, const std::string& id, const std::string& body) {
    HttpResult r = client().Send("PUT", "/fhir/" + type + "/" + id, body);
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }

  // The codes of an expansion, in order.
  static std::vector<std::string> Codes(const json::Value& vs) {
    std::vector<std::string> out;
    const json::Value* exp = vs.Find("expansion");
    const json::Value* contains = exp != nullptr ? exp->Find("contains") : nullptr;
    if (contains == nullptr) return out;
    for (const json::Value& c : contains->as_array()) out.push_back(*c.FindString("code"));
    return out;
  }

  static int64_t Total(const json::Value& vs) {
    const json::Value* exp = vs.Find("expansion");
    const json::Value* total = exp != nullptr ? exp->Find("total") : nullptr;
    return total != nullptr ? total->AsInt64().value_or(-1) : -1;
  }

  // The value of the first parameter named name (valueX member), as JSON text.
  static std::string Param(const json::Value& params, const std::string& name) {
    const json::Value* ps = params.Find("parameter");
    if (ps == nullptr) return "";
    for (const json::Value& p : ps->as_array()) {
      if (*p.FindString("name") != name) continue;
      for (const auto& [k, v] : p.as_object()) {
        if (k.starts_with("value")) return v.is_string() ? v.as_string() : json::Serialize(v);
      }
    }
    return "";
  }

  // The values of `property` parameters with that code.
  static std::vector<std::string> Properties(const json::Value& params, const std::string& code) {
    std::vector<std::string> out;
    for (const json::Value& p : params.Find("parameter")->as_array()) {
      if (*p.FindString("name") != "property") continue;
      const json::Array& parts = p.Find("part")->as_array();
      if (*parts[0].FindString("valueCode") == code) out.push_back(*parts[1].FindString("valueCode"));
    }
    return out;
  }

  void PutHypertensionSystem() {
    Put("CodeSystem", "htn", R"({"resourceType":"CodeSystem","id":"htn","url":"https://example.org/cs/htn",
      "version":"2","name":"Htn","status":"active","content":"complete","hierarchyMeaning":"is-a",
      "concept":[{"code":"htn","display":"高血压","designation":[{"language":"en","value":"Hypertension"}],
        "property":[{"code":"chronic","valueBoolean":true}],
        "concept":[{"code":"htn-1","display":"高血压1级"},{"code":"htn-2","display":"高血压2级",
          "concept":[{"code":"htn-2a","display":"高血压2级伴靶器官损害"}]}]},
       {"code":"dm","display":"糖尿病","designation":[{"language":"en","value":"Diabetes mellitus"}]}]})");
  }
};

TEST_P(TerminologyTest, InstalledValueSetsArePresent) {
  // GB/T 2261.1 sex codes, from the data files built into the binary.
  json::Value sex = GetOk("/fhir/ValueSet/$expand?url=" + Q("https://rhip.cn/fhir/ValueSet/gb-t-2261-1"));
  EXPECT_EQ(Codes(sex), (std::vector<std::string>{"0", "1", "2", "9"}));
  json::Value ethnicity = GetOk("/fhir/ValueSet/gb-3304/$expand");
  EXPECT_EQ(Total(ethnicity), 58);
  // Pinyin initials on a built-in value set: 汉族 hz, 回族 hz, 赫哲族 hzz (not 哈尼族 hnz).
  EXPECT_EQ(Codes(GetOk("/fhir/ValueSet/gb-3304/$expand?filter=hz")),
            (std::vector<std::string>{"01", "03", "53"}));
  // The official R4 value set of a required binding.
  json::Value gender = GetOk("/fhir/ValueSet/$expand?url=" + Q("http://hl7.org/fhir/ValueSet/administrative-gender"));
  EXPECT_EQ(Codes(gender), (std::vector<std::string>{"male", "female", "other", "unknown"}));
  json::Value ok = GetOk("/fhir/ValueSet/$validate-code?url=" + Q("http://hl7.org/fhir/ValueSet/administrative-gender") +
                         "&system=" + Q("http://hl7.org/fhir/administrative-gender") + "&code=female");
  EXPECT_EQ(Param(ok, "result"), "true") << json::Serialize(ok);
  json::Value bad = GetOk("/fhir/ValueSet/$validate-code?url=" + Q("http://hl7.org/fhir/ValueSet/administrative-gender") +
                          "&code=F");
  EXPECT_EQ(Param(bad, "result"), "false");
  EXPECT_NE(Param(bad, "message"), "");
  // The CapabilityStatement names the operations.
  std::string metadata = client().Get("/fhir/metadata").body;
  EXPECT_NE(metadata.find(R"({"name":"expand","definition":"http://hl7.org/fhir/OperationDefinition/ValueSet-expand"})"),
            std::string::npos);
  // A restart installs nothing twice: the ValueSet keeps its version.
  json::Value before = GetOk("/fhir/ValueSet/gb-3304");
  Restart();
  json::Value after = GetOk("/fhir/ValueSet/gb-3304");
  EXPECT_EQ(json::Serialize(*before.Find("meta")), json::Serialize(*after.Find("meta")));
}

TEST_P(TerminologyTest, Lookup) {
  PutHypertensionSystem();
  json::Value p = GetOk("/fhir/CodeSystem/$lookup?system=" + Q("https://example.org/cs/htn") + "&code=htn-2");
  EXPECT_EQ(Param(p, "name"), "Htn");
  EXPECT_EQ(Param(p, "version"), "2");
  EXPECT_EQ(Param(p, "display"), "高血压2级");
  EXPECT_EQ(Properties(p, "parent"), std::vector<std::string>{"htn"});
  EXPECT_EQ(Properties(p, "child"), std::vector<std::string>{"htn-2a"});
  // POST Parameters with a Coding; designations and the concept's own properties.
  json::Value q = PostOk("/fhir/CodeSystem/$lookup", R"({"resourceType":"Parameters","parameter":[
    {"name":"coding","valueCoding":{"system":"https://example.org/cs/htn","code":"htn"}}]})");
  EXPECT_EQ(Param(q, "display"), "高血压");
  EXPECT_NE(json::Serialize(q).find(R"("valueString":"Hypertension")"), std::string::npos) << json::Serialize(q);
  EXPECT_NE(json::Serialize(q).find(R"("valueBoolean":true)"), std::string::npos);
  // Instance level: the code system is the instance.
  EXPECT_EQ(Param(GetOk("/fhir/CodeSystem/htn/$lookup?code=dm"), "display"), "糖尿病");

  HttpResult unknown = client().Get("/fhir/CodeSystem/$lookup?system=" + Q("https://example.org/cs/htn") + "&code=nope");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  ExpectOutcome(unknown, "not-found");
  HttpResult no_system = client().Get("/fhir/CodeSystem/$lookup?system=" + Q("https://example.org/none") + "&code=x");
  EXPECT_EQ(no_system.status, 404) << no_system.body;
  HttpResult missing = client().Get("/fhir/CodeSystem/$lookup?code=htn");
  EXPECT_EQ(missing.status, 400) << missing.body;
  HttpResult not_parameters = client().Send("POST", "/fhir/CodeSystem/$lookup", R"({"resourceType":"Patient"})");
  EXPECT_EQ(not_parameters.status, 400) << not_parameters.body;
  HttpResult wrong_method = client().Send("DELETE", "/fhir/CodeSystem/$lookup");
  EXPECT_EQ(wrong_method.status, 405) << wrong_method.body;
}

TEST_P(TerminologyTest, ValidateCode) {
  PutHypertensionSystem();
  Put("ValueSet", "htn-only", R"({"resourceType":"ValueSet","id":"htn-only","url":"https://example.org/vs/htn",
    "status":"active","compose":{"include":[{"system":"https://example.org/cs/htn",
    "filter":[{"property":"concept","op":"is-a","value":"htn"}]}]}})");
  const std::string cs = "/fhir/CodeSystem/$validate-code?url=" + Q("https://example.org/cs/htn");
  EXPECT_EQ(Param(GetOk(cs + "&code=htn-2a"), "result"), "true");
  EXPECT_EQ(Param(GetOk(cs + "&code=htn-9"), "result"), "false");
  json::Value wrong_display = GetOk(cs + "&code=dm&display=" + Q("高血压"));
  EXPECT_EQ(Param(wrong_display, "result"), "false");
  EXPECT_EQ(Param(wrong_display, "display"), "糖尿病");
  EXPECT_EQ(Param(GetOk(cs + "&code=dm&display=" + Q("Diabetes mellitus")), "result"), "true");
  EXPECT_EQ(Param(GetOk("/fhir/CodeSystem/htn/$validate-code?code=dm"), "result"), "true");

  const std::string vs = "/fhir/ValueSet/$validate-code?url=" + Q("https://example.org/vs/htn");
  EXPECT_EQ(Param(GetOk(vs + "&system=" + Q("https://example.org/cs/htn") + "&code=htn-1"), "result"), "true");
  EXPECT_EQ(Param(GetOk(vs + "&system=" + Q("https://example.org/cs/htn") + "&code=dm"), "result"), "false");
  EXPECT_EQ(Param(GetOk(vs + "&system=" + Q("https://example.org/other") + "&code=htn-1"), "result"), "false");
  // A CodeableConcept passes when one of its codings is in the value set.
  json::Value cc = PostOk("/fhir/ValueSet/htn-only/$validate-code", R"({"resourceType":"Parameters","parameter":[
    {"name":"codeableConcept","valueCodeableConcept":{"coding":[
      {"system":"http://example.org/local","code":"X1"},
      {"system":"https://example.org/cs/htn","code":"htn-2"}]}}]})");
  EXPECT_EQ(Param(cc, "result"), "true") << json::Serialize(cc);
  EXPECT_EQ(Param(cc, "display"), "高血压2级");
  HttpResult none = client().Get("/fhir/ValueSet/$validate-code?url=" + Q("https://example.org/vs/none") + "&code=x");
  EXPECT_EQ(none.status, 404) << none.body;
}

TEST_P(TerminologyTest, ExpandComposeFilterAndPaging) {
  PutHypertensionSystem();
  Put("ValueSet", "htn-below", R"({"resourceType":"ValueSet","id":"htn-below","url":"https://example.org/vs/htn-below",
    "status":"active","compose":{
      "include":[{"system":"https://example.org/cs/htn","filter":[{"property":"concept","op":"descendent-of","value":"htn"}]},
                 {"system":"http://example.org/local","concept":[{"code":"L1","display":"本地高血压"}]}],
      "exclude":[{"system":"https://example.org/cs/htn","concept":[{"code":"htn-2a"}]}]}})");
  json::Value all = GetOk("/fhir/ValueSet/htn-below/$expand");
  EXPECT_EQ(Codes(all), (std::vector<std::string>{"htn-1", "htn-2", "L1"}));
  // Text filter over both systems: code prefix first, then initials (高血压1级 gxy1j),
  // then text.
  EXPECT_EQ(Codes(GetOk("/fhir/ValueSet/htn-below/$expand?filter=gxy")),
            (std::vector<std::string>{"htn-1", "htn-2"}));
  EXPECT_EQ(Codes(GetOk("/fhir/ValueSet/htn-below/$expand?filter=" + Q("高血压"))),
            (std::vector<std::string>{"htn-1", "htn-2", "L1"}));
  EXPECT_EQ(Codes(GetOk("/fhir/ValueSet/htn-below/$expand?filter=htn-2")), std::vector<std::string>{"htn-2"});
  // Paging.
  json::Value page = GetOk("/fhir/ValueSet/htn-below/$expand?offset=1&count=1");
  EXPECT_EQ(Codes(page), std::vector<std::string>{"htn-2"});
  EXPECT_EQ(Total(page), 3);
  // displayLanguage picks a designation.
  json::Value en = GetOk("/fhir/ValueSet/$expand?url=" + Q("https://example.org/vs/htn-below") + "&displayLanguage=en");
  EXPECT_EQ(Codes(en).size(), 3u);
  // An inline ValueSet in a POST.
  json::Value inline_vs = PostOk("/fhir/ValueSet/$expand", R"({"resourceType":"Parameters","parameter":[
    {"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[
      {"system":"https://example.org/cs/htn","filter":[{"property":"concept","op":"=","value":"dm"}]}]}}},
    {"name":"filter","valueString":"tnb"}]})");
  EXPECT_EQ(Codes(inline_vs), std::vector<std::string>{"dm"});
  // Changing the stored CodeSystem is seen at once (the cached index is rebuilt).
  Put("CodeSystem", "htn", R"({"resourceType":"CodeSystem","id":"htn","url":"https://example.org/cs/htn",
      "version":"2","name":"Htn","status":"active","content":"complete",
      "concept":[{"code":"htn","display":"高血压","concept":[{"code":"htn-3","display":"高血压3级"}]}]})");
  EXPECT_EQ(Codes(GetOk("/fhir/ValueSet/htn-below/$expand")), (std::vector<std::string>{"htn-3", "L1"}));

  HttpResult bad_filter = client().Send("POST", "/fhir/ValueSet/$expand", R"({"resourceType":"Parameters","parameter":[
    {"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[
      {"system":"https://example.org/cs/htn","filter":[{"property":"concept","op":"generalizes","value":"htn"}]}]}}}]})");
  EXPECT_EQ(bad_filter.status, 400) << bad_filter.body;
  HttpResult bad_count = client().Get("/fhir/ValueSet/htn-below/$expand?count=many");
  EXPECT_EQ(bad_count.status, 400) << bad_count.body;
  HttpResult no_system = client().Send("POST", "/fhir/ValueSet/$expand", R"({"resourceType":"Parameters","parameter":[
    {"name":"valueSet","resource":{"resourceType":"ValueSet","status":"active","compose":{"include":[
      {"system":"https://example.org/absent"}]}}}]})");
  EXPECT_EQ(no_system.status, 404) << no_system.body;
}

TEST_P(TerminologyTest, Icd10LoadedByTheCliIsSearchedByPinyin) {
  const std::string csv = SharedDataDir() + "/terminology/icd10-cn.csv";
  std::string out;
  ASSERT_EQ(Cli({"terminology", "load", "--format", "icd10-csv", csv}, &out), 0) << out;
  EXPECT_NE(out.find("loaded 44923 codes"), std::string::npos) << out;
  const std::string expand = "/fhir/ValueSet/$expand?url=" + Q("https://rhip.cn/fhir/ValueSet/icd-10-cn");
  // 拼音码: gxy finds 高血压 first (shortest display among the initials matches).
  json::Value gxy = GetOk(expand + "&filter=gxy&count=5");
  ASSERT_FALSE(Codes(gxy).empty());
  EXPECT_EQ(Codes(gxy)[0], "I10.x00x002");
  EXPECT_EQ(*gxy.Find("expansion")->Find("contains")->as_array()[0].FindString("display"), "高血压");
  // Full pinyin prefix and traditional characters.
  EXPECT_EQ(Codes(GetOk(expand + "&filter=gaoxueya&count=1")), std::vector<std::string>{"I10.x00x002"});
  json::Value traditional = GetOk(expand + "&filter=" + Q("高血壓") + "&count=3");
  EXPECT_EQ(Codes(traditional), Codes(GetOk(expand + "&filter=" + Q("高血压") + "&count=3")));
  EXPECT_EQ(Codes(traditional)[0], "I10.x00x002");
  // Code first: the exact code, then codes below it.
  EXPECT_EQ(Codes(GetOk(expand + "&filter=i10&count=2")), (std::vector<std::string>{"I10", "I10-I15"}));
  // Paging: two pages of 3 are the first 6.
  std::vector<std::string> six = Codes(GetOk(expand + "&filter=tnb&count=6"));
  ASSERT_EQ(six.size(), 6u);
  std::vector<std::string> pages = Codes(GetOk(expand + "&filter=tnb&count=3"));
  std::vector<std::string> second = Codes(GetOk(expand + "&filter=tnb&count=3&offset=3"));
  pages.insert(pages.end(), second.begin(), second.end());
  EXPECT_EQ(pages, six);
  // The hierarchy: chapter → block → category.
  json::Value lookup = GetOk("/fhir/CodeSystem/$lookup?system=" + Q("https://rhip.cn/fhir/CodeSystem/icd-10-cn") + "&code=I10");
  EXPECT_EQ(Properties(lookup, "parent"), std::vector<std::string>{"I10-I15"});
  EXPECT_EQ(Param(lookup, "display"), "特发性(原发性)高血压");
  const std::string validate = "/fhir/ValueSet/$validate-code?url=" + Q("https://rhip.cn/fhir/ValueSet/icd-10-cn") +
                               "&system=" + Q("https://rhip.cn/fhir/CodeSystem/icd-10-cn");
  json::Value valid = GetOk(validate + "&code=" + Q("A17.000+G01*"));
  EXPECT_EQ(Param(valid, "result"), "true");
  EXPECT_EQ(Param(valid, "display"), "结核性脑膜炎");
  EXPECT_EQ(Param(GetOk(validate + "&code=I10.x99"), "result"), "false");
  // The whole system is too big to answer without count.
  EXPECT_EQ(client().Get(expand).status, 400);
  // Loading again updates the same resources.
  ASSERT_EQ(Cli({"terminology", "load", "--format", "icd10-csv", csv}, &out), 0) << out;
  EXPECT_NE(out.find("CodeSystem/icd-10-cn (version 2"), std::string::npos) << out;
}

TEST_P(TerminologyTest, LoadCommandErrors) {
  std::string out;
  EXPECT_EQ(Cli({"terminology", "load", "--format", "snomed", "x.csv"}, &out), 2) << out;
  EXPECT_EQ(Cli({"terminology", "load", "--format", "icd10-csv", "/nonexistent/icd.csv"}, &out), 1) << out;
  EXPECT_NE(out.find("cannot read"), std::string::npos) << out;
  TempDir dir;
  std::string bad = dir.path() + "/bad.csv";
  std::ofstream(bad) << "code,name_zh,level,parent\nA00,霍乱,category,A00-A09\n";
  EXPECT_EQ(Cli({"terminology", "load", "--format", "icd10-csv", bad}, &out), 1) << out;
  EXPECT_NE(out.find("line 2: parent A00-A09 of A00 is not in the file"), std::string::npos) << out;
}

TEST_P(TerminologyTest, Translate) {
  Put("ConceptMap", "sex", R"({"resourceType":"ConceptMap","id":"sex","url":"https://example.org/cm/sex",
    "status":"active","sourceUri":"https://rhip.cn/fhir/ValueSet/gb-t-2261-1",
    "targetUri":"http://hl7.org/fhir/ValueSet/administrative-gender",
    "group":[{"source":"https://rhip.cn/fhir/CodeSystem/gb-t-2261-1","target":"http://hl7.org/fhir/administrative-gender",
      "element":[{"code":"1","target":[{"code":"male","display":"Male","equivalence":"equivalent"}]},
                 {"code":"9","target":[{"code":"unknown","equivalence":"wider"}]},
                 {"code":"0","target":[{"equivalence":"unmatched"}]}]}]})");
  json::Value male = GetOk("/fhir/ConceptMap/$translate?url=" + Q("https://example.org/cm/sex") +
                           "&system=" + Q("https://rhip.cn/fhir/CodeSystem/gb-t-2261-1") + "&code=1");
  EXPECT_EQ(Param(male, "result"), "true");
  std::string text = json::Serialize(male);
  EXPECT_NE(text.find(R"("valueCode":"equivalent")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("code":"male")"), std::string::npos) << text;
  // Without url: every map from the code's system; instance level; reverse.
  json::Value wider = GetOk("/fhir/ConceptMap/$translate?system=" + Q("https://rhip.cn/fhir/CodeSystem/gb-t-2261-1") +
                            "&code=9&targetsystem=" + Q("http://hl7.org/fhir/administrative-gender"));
  EXPECT_NE(json::Serialize(wider).find(R"("valueCode":"wider")"), std::string::npos) << json::Serialize(wider);
  EXPECT_EQ(Param(GetOk("/fhir/ConceptMap/sex/$translate?system=" + Q("https://rhip.cn/fhir/CodeSystem/gb-t-2261-1") + "&code=0"), "result"),
            "false");
  json::Value reverse = GetOk("/fhir/ConceptMap/sex/$translate?system=" + Q("http://hl7.org/fhir/administrative-gender") +
                              "&code=male&reverse=true");
  EXPECT_NE(json::Serialize(reverse).find(R"("code":"1")"), std::string::npos) << json::Serialize(reverse);
  EXPECT_EQ(Param(GetOk("/fhir/ConceptMap/sex/$translate?system=x&code=nope"), "result"), "false");
  EXPECT_EQ(client().Get("/fhir/ConceptMap/$translate?code=1").status, 400);
}

// Terminology is not personal data: every staff role reads and expands it.
TEST_P(TerminologyTest, StaffRolesExpand) {
  for (const char* role : {"doctor", "nurse", "village_doctor", "pharmacist", "public_health_worker"}) {
    WebUser user = LoginUser(std::string("t_") + role, role, "110101001");
    HttpResult r = AsUser(user, "GET", "/fhir/ValueSet/gb-t-2261-1/$expand?filter=n");
    EXPECT_EQ(r.status, 200) << role << ": " << r.body;
    HttpResult post = AsUser(user, "POST", "/fhir/CodeSystem/$lookup",
                             R"({"resourceType":"Parameters","parameter":[{"name":"system","valueUri":"https://rhip.cn/fhir/CodeSystem/gb-3304"},{"name":"code","valueCode":"01"}]})");
    EXPECT_EQ(post.status, 200) << role << ": " << post.body;
    HttpResult write = AsUser(user, "PUT", "/fhir/ValueSet/gb-t-2261-1", R"({"resourceType":"ValueSet","id":"gb-t-2261-1","status":"draft"})");
    EXPECT_EQ(write.status, 403) << role << ": " << write.body;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, TerminologyTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
