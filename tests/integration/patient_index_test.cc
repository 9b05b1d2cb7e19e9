// The master patient index over HTTP against the real binary (issue 5, docs/MPI.md): golden
// Person records and survivorship, $match, $ihe-pix, merge/unmerge with history, link/unlink,
// the review queue, permissions and masking, and Patients loaded in bulk. Runs on SQLite and
// PostgreSQL.
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

constexpr char kRid[] = "urn:oid:2.16.156.10011.1.3";
// Valid 18-digit resident IDs (MOD 11-2 check character, birth date and sex consistent).
constexpr char kZhangWeiId[] = "110101198506151230";
// kZhangWeiId with its check character changed: kept, but flagged.
constexpr char kZhangWeiBadId[] = "110101198506151231";
constexpr char kZhangWeiPhone[] = "13912345678";
constexpr char kMrnX[] = "https://rhip.cn/fhir/mrn/facility-x";
constexpr char kMrnY[] = "https://rhip.cn/fhir/mrn/facility-y";

// A Patient as one facility registers it; empty arguments leave the element out.
struct Reg {
  std::string family, given, gender, birth, phone, rid, org, mrn_system, mrn;
};

std::string PatientJson(const Reg& r) {
  std::string ids;
  if (!r.rid.empty()) StrAppend(&ids, R"({"system":")", kRid, R"(","value":")", r.rid, R"("})");
  if (!r.mrn.empty()) {
    StrAppend(&ids, ids.empty() ? "" : ",", R"({"system":")", r.mrn_system, R"(","value":")", r.mrn, R"("})");
  }
  std::string out = R"({"resourceType":"Patient")";
  if (!ids.empty()) StrAppend(&out, R"(,"identifier":[)", ids, "]");
  StrAppend(&out, R"(,"name":[{"family":")", r.family, R"(","given":[")", r.given, R"("]}])");
  if (!r.gender.empty()) StrAppend(&out, R"(,"gender":")", r.gender, "\"");
  if (!r.birth.empty()) StrAppend(&out, R"(,"birthDate":")", r.birth, "\"");
  if (!r.phone.empty()) StrAppend(&out, R"(,"telecom":[{"system":"phone","value":")", r.phone, R"("}])");
  if (!r.org.empty()) {
    StrAppend(&out, R"(,"managingOrganization":{"reference":"Organization/)", r.org, R"("})");
  }
  return out + "}";
}

std::string RefParam(const std::string& name, const std::string& patient_id) {
  return StrCat(R"({"name":")", name, R"(","valueReference":{"reference":"Patient/)", patient_id, R"("}})");
}
std::string StringParam(const std::string& name, const std::string& value) {
  return StrCat(R"({"name":")", name, R"(","valueString":")", value, R"("})");
}
std::string Parameters(const std::vector<std::string>& params) {
  std::string out = R"({"resourceType":"Parameters","parameter":[)";
  for (size_t i = 0; i < params.size(); ++i) StrAppend(&out, i ? "," : "", params[i]);
  return out + "]}";
}
std::string MatchParams(const std::string& patient, const std::string& extra = "") {
  return StrCat(R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":)", patient,
                "}", extra, "]}");
}

json::Value WithoutMeta(json::Value v) {
  if (v.is_object()) v.as_object().Erase("meta");
  return v;
}

// The named parts of the first parameter called `name` in a Parameters resource.
std::map<std::string, json::Value> Parts(const json::Value& params, const std::string& name, size_t nth = 0) {
  std::map<std::string, json::Value> out;
  const json::Value* list = params.Find("parameter");
  if (list == nullptr || !list->is_array()) return out;
  size_t seen = 0;
  for (const json::Value& p : list->as_array()) {
    if (*p.FindString("name") != name || seen++ != nth) continue;
    for (const json::Value& part : p.Find("part")->as_array()) {
      for (const auto& [k, v] : part.as_object()) {
        if (k != "name") out[*part.FindString("name")] = v;
      }
    }
  }
  return out;
}

std::string Text(const json::Value& v) { return v.is_string() ? v.as_string() : ""; }

std::string RefOf(const json::Value& reference) {
  const std::string* r = reference.FindString("reference");
  return r != nullptr ? *r : "";
}

class PatientIndexTest : public ServerTest {
 protected:
  std::string Create(const std::string& type, const std::string& body) {
    HttpResult r = client().Send("POST", "/fhir/" + type, body, {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 201) << r.body << "\n" << body;
    const json::Value created = Json(r);
    const std::string* id = created.FindString("id");
    return id != nullptr ? *id : "";
  }
  std::string Register(const Reg& r) { return Create("Patient", PatientJson(r)); }
  std::string Org(const std::string& name) {
    return Create("Organization", StrCat(R"({"resourceType":"Organization","active":true,"name":")", name, "\"}"));
  }

  json::Value Read(const std::string& target) {
    HttpResult r = client().Get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return Json(r);
  }

  // The golden record of a Patient (Person?patient=), null when there is none or several.
  json::Value PersonOf(const std::string& patient_id) {
    json::Value bundle = Read(StrCat("/fhir/Person?patient=Patient/", patient_id));
    const json::Value* entries = bundle.Find("entry");
    if (entries == nullptr || entries->as_array().size() != 1) {
      ADD_FAILURE() << "Patient/" << patient_id << " is in " << json::Serialize(bundle);
      return json::Value();
    }
    return *entries->as_array()[0].Find("resource");
  }
  std::string PersonIdOf(const std::string& patient_id) {
    const json::Value person = PersonOf(patient_id);
    const std::string* id = person.FindString("id");
    return id != nullptr ? *id : "";
  }

  // Patient id → link assurance of a Person.
  static std::map<std::string, std::string> Links(const json::Value& person) {
    std::map<std::string, std::string> out;
    const json::Value* links = person.Find("link");
    if (links == nullptr) return out;
    for (const json::Value& l : links->as_array()) {
      std::string ref = RefOf(*l.Find("target"));
      out[ref.substr(ref.find('/') + 1)] = *l.FindString("assurance");
    }
    return out;
  }

  HttpResult Op(const std::string& op, const std::string& body) {
    return client().Send("POST", "/fhir/Patient/" + op, body, {{"Content-Type", "application/fhir+json"}});
  }

  // $match answer: Patient id → (score, match-grade), in answer order.
  struct Candidate {
    std::string id;
    double score = 0;
    std::string grade;
  };
  static std::vector<Candidate> Candidates(const HttpResult& r) {
    std::vector<Candidate> out;
    json::Value bundle = Json(r);
    const json::Value* entries = bundle.Find("entry");
    if (entries == nullptr) return out;
    for (const json::Value& e : entries->as_array()) {
      const json::Value& search = *e.Find("search");
      Candidate c;
      c.id = *e.Find("resource")->FindString("id");
      c.score = std::stod(search.Find("score")->as_number().text);
      for (const json::Value& ext : search.Find("extension")->as_array()) {
        if (*ext.FindString("url") == "http://hl7.org/fhir/StructureDefinition/match-grade") {
          c.grade = *ext.FindString("valueCode");
        }
      }
      EXPECT_EQ(*search.FindString("mode"), "match");
      out.push_back(c);
    }
    return out;
  }

  // Two facilities' registrations of one resident (张伟 / 章伟, the latter without an ID),
  // and a different resident.
  void RegisterResidents() {
    org_x_ = Org("东村卫生室");
    org_y_ = Org("西村卫生室");
    zhang_x_ = Register({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, kZhangWeiId, org_x_, kMrnX, "X001"});
    zhang_y_ = Register({"章", "伟", "male", "1985-06-15", kZhangWeiPhone, "", org_y_, kMrnY, "Y042"});
    li_ = Register({"李", "娜", "female", "1992-08-08", "13600001111", "110105199208082011", org_x_, kMrnX, "X002"});
  }

  std::string org_x_, org_y_, zhang_x_, zhang_y_, li_;
};

TEST_P(PatientIndexTest, GoldenRecordLinksTwoRegistrationsOfOneResident) {
  RegisterResidents();
  json::Value person = PersonOf(zhang_x_);
  std::map<std::string, std::string> links = Links(person);
  EXPECT_EQ(links, (std::map<std::string, std::string>{{zhang_x_, "level4"}, {zhang_y_, "level3"}}))
      << json::Serialize(person);
  EXPECT_EQ(PersonIdOf(zhang_y_), *person.FindString("id"));
  // A different resident has a Person of its own.
  json::Value li = PersonOf(li_);
  EXPECT_NE(*li.FindString("id"), *person.FindString("id"));
  EXPECT_EQ(Links(li), (std::map<std::string, std::string>{{li_, "level4"}}));
  EXPECT_EQ(*li.FindString("birthDate"), "1992-08-08");

  // Survivorship: the name and ID come from the record whose ID passes its checks, even though
  // the later registrations (章伟; an ID with a wrong check character) are newer.
  const std::string flagged =
      Register({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, kZhangWeiBadId, "", "", ""});
  person = PersonOf(zhang_x_);
  EXPECT_EQ(Links(person).count(flagged), 1u) << json::Serialize(person);
  const json::Value& identifier = person.Find("identifier")->as_array()[0];
  EXPECT_EQ(*identifier.FindString("system"), kRid);
  EXPECT_EQ(*identifier.FindString("value"), kZhangWeiId) << json::Serialize(person);
  EXPECT_EQ(*person.Find("name")->as_array()[0].FindString("text"), "张伟");
  EXPECT_EQ(*person.FindString("gender"), "male");
  EXPECT_EQ(*person.FindString("birthDate"), "1985-06-15");
  EXPECT_EQ(*person.Find("telecom")->as_array()[0].FindString("value"), kZhangWeiPhone);

  // An update of a Patient refreshes its Person (and keeps its links).
  json::Value updated = Read("/fhir/Patient/" + zhang_x_);
  updated.as_object().Set("telecom", json::Value(json::Array{json::Value(json::Object())}));
  updated.as_object().Find("telecom")->as_array()[0].as_object().Set("system", "phone");
  updated.as_object().Find("telecom")->as_array()[0].as_object().Set("value", "13700002222");
  HttpResult put = client().Send("PUT", "/fhir/Patient/" + zhang_x_, json::Serialize(updated),
                                 {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  person = PersonOf(zhang_x_);
  EXPECT_EQ(*person.Find("telecom")->as_array()[0].FindString("value"), "13700002222")
      << json::Serialize(person);
  EXPECT_EQ(Links(person).size(), 3u);

  // Deleting a Patient takes it out of its Person; an emptied Person goes.
  ASSERT_EQ(client().Send("DELETE", "/fhir/Patient/" + zhang_y_).status / 100, 2);
  person = PersonOf(zhang_x_);
  EXPECT_EQ(Links(person), (std::map<std::string, std::string>{{zhang_x_, "level4"}, {flagged, "level3"}}));
  const std::string li_person = *li.FindString("id");
  ASSERT_EQ(client().Send("DELETE", "/fhir/Patient/" + li_).status / 100, 2);
  int gone = client().Get("/fhir/Person/" + li_person).status;
  EXPECT_TRUE(gone == 404 || gone == 410) << gone;
  const json::Value none = Json(client().Get(StrCat("/fhir/Person?patient=Patient/", li_)));
  EXPECT_EQ(*none.Find("total")->AsInt64(), 0) << json::Serialize(none);
}

TEST_P(PatientIndexTest, MatchReturnsScoredCandidates) {
  RegisterResidents();
  const std::string query = PatientJson({"章", "伟", "male", "1985-06-15", kZhangWeiPhone, "", "", "", ""});
  HttpResult r = Op("$match", MatchParams(query));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Candidate> found = Candidates(r);
  ASSERT_EQ(found.size(), 2u) << r.body;
  std::set<std::string> ids = {found[0].id, found[1].id};
  EXPECT_EQ(ids, (std::set<std::string>{zhang_x_, zhang_y_}));
  for (const Candidate& c : found) {
    EXPECT_GE(c.score, 0.99) << c.id;
    EXPECT_LE(c.score, 1.0) << c.id;
    EXPECT_EQ(c.grade, "certain") << c.id;
  }
  EXPECT_GE(found[0].score, found[1].score);
  EXPECT_EQ(*Json(r).Find("total")->AsInt64(), 2);

  // count and onlyCertainMatches.
  r = Op("$match", MatchParams(query, R"(,{"name":"count","valueInteger":1})"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Candidates(r).size(), 1u) << r.body;
  EXPECT_EQ(Candidates(r)[0].id, found[0].id);

  // A possible match only (same name, sex and birth date, another phone) is left out by
  // onlyCertainMatches.
  const std::string vague =
      PatientJson({"李", "娜", "female", "1992-08-08", "13999990000", "", "", "", ""});
  r = Op("$match", MatchParams(vague));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Candidate> possible = Candidates(r);
  ASSERT_EQ(possible.size(), 1u) << r.body;
  EXPECT_EQ(possible[0].id, li_);
  EXPECT_EQ(possible[0].grade, "possible");
  EXPECT_GE(possible[0].score, 0.5);
  EXPECT_LT(possible[0].score, 0.99);
  r = Op("$match", MatchParams(vague, R"(,{"name":"onlyCertainMatches","valueBoolean":true})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Candidates(r).empty()) << r.body;
  r = Op("$match", MatchParams(query, R"(,{"name":"onlyCertainMatches","valueBoolean":true})"));
  EXPECT_EQ(Candidates(r).size(), 2u) << r.body;

  // Nobody like this.
  r = Op("$match", MatchParams(PatientJson({"欧阳", "娜娜", "female", "2001-01-01", "", "", "", "", ""})));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Candidates(r).empty()) << r.body;

  // Bad input.
  r = Op("$match", query);  // a Patient, not Parameters
  EXPECT_EQ(r.status, 400) << r.body;
  ExpectOutcome(r, "invalid");
  r = Op("$match", Parameters({StringParam("resource", "x")}));
  EXPECT_EQ(r.status, 400) << r.body;
  ExpectOutcome(r, "invalid");
  r = Op("$match", MatchParams(R"({"resourceType":"Observation","status":"final"})"));
  EXPECT_EQ(r.status, 400) << r.body;
  r = Op("$match", MatchParams(query, R"(,{"name":"count","valueString":"many"})"));
  EXPECT_EQ(r.status, 400) << r.body;
  ExpectOutcome(r, "invalid");
  r = Op("$match", "{not json");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(client().Get("/fhir/Patient/$match").status, 405);
}

TEST_P(PatientIndexTest, PixCrossReferencesLinkedIdentifiers) {
  RegisterResidents();
  HttpResult r = client().Get(StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kMrnY, "|Y042"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value out = Json(r);
  std::set<std::string> target_ids, identifiers;
  for (const json::Value& p : out.Find("parameter")->as_array()) {
    if (*p.FindString("name") == "targetId") target_ids.insert(RefOf(*p.Find("valueReference")));
    if (*p.FindString("name") == "targetIdentifier") {
      const json::Value& v = *p.Find("valueIdentifier");
      identifiers.insert(StrCat(*v.FindString("system"), "|", *v.FindString("value")));
    }
  }
  EXPECT_EQ(target_ids, (std::set<std::string>{"Patient/" + zhang_x_, "Patient/" + zhang_y_}));
  EXPECT_EQ(identifiers, (std::set<std::string>{StrCat(kRid, "|", kZhangWeiId), StrCat(kMrnX, "|X001"),
                                                StrCat(kMrnY, "|Y042")}));

  // targetSystem keeps the identifiers of that system.
  r = client().Get(StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kMrnY, "|Y042&targetSystem=", kMrnX));
  ASSERT_EQ(r.status, 200) << r.body;
  identifiers.clear();
  const json::Value filtered = Json(r);
  for (const json::Value& p : filtered.Find("parameter")->as_array()) {
    if (*p.FindString("name") == "targetIdentifier") {
      identifiers.insert(*p.Find("valueIdentifier")->FindString("value"));
    }
  }
  EXPECT_EQ(identifiers, (std::set<std::string>{"X001"})) << r.body;

  // Regression: the resident ID is on every facility's record of the resident, so it names
  // several Patients; while they share one golden record it cross-references them (was 409).
  const std::string third = Register({"张", "伟", "male", "1985-06-15", "", kZhangWeiId, "", "", ""});
  ASSERT_EQ(PersonIdOf(third), PersonIdOf(zhang_x_));
  r = client().Get(StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kRid, "|", kZhangWeiId));
  ASSERT_EQ(r.status, 200) << r.body;
  target_ids.clear();
  const json::Value by_rid = Json(r);
  for (const json::Value& p : by_rid.Find("parameter")->as_array()) {
    if (*p.FindString("name") == "targetId") target_ids.insert(RefOf(*p.Find("valueReference")));
  }
  EXPECT_EQ(target_ids, (std::set<std::string>{"Patient/" + zhang_x_, "Patient/" + zhang_y_, "Patient/" + third}));
  // Records with that ID in different golden records: which resident is meant is unclear.
  ASSERT_EQ(Op("$mpi-unlink", Parameters({RefParam("patient", third), StringParam("reason", "twin?")})).status, 200);
  r = client().Get(StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kRid, "|", kZhangWeiId));
  EXPECT_EQ(r.status, 409) << r.body;

  r = client().Get(StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kMrnY, "|NOPE"));
  EXPECT_EQ(r.status, 404) << r.body;
  ExpectOutcome(r, "not-found");
  r = client().Get("/fhir/Patient/$ihe-pix?sourceIdentifier=novalue");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_P(PatientIndexTest, MergeAndUnmerge) {
  RegisterResidents();
  // 章伟 at facility Y is a duplicate of 张伟 at facility X.
  const std::string before = json::Serialize(WithoutMeta(Read("/fhir/Patient/" + zhang_y_)));
  const std::string target_before = json::Serialize(WithoutMeta(Read("/fhir/Patient/" + zhang_x_)));
  HttpResult r = Op("$merge", Parameters({RefParam("source-patient", zhang_y_),
                                          RefParam("target-patient", zhang_x_)}));
  EXPECT_EQ(r.status, 400) << r.body;  // no reason
  ExpectOutcome(r, "invalid");
  r = Op("$merge", Parameters({RefParam("source-patient", zhang_y_), RefParam("target-patient", zhang_x_),
                               StringParam("reason", "同一居民重复建档")}));
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, json::Value> event = Parts(Json(r), "event");
  EXPECT_EQ(Text(event["action"]), "merge");

  json::Value source = Read("/fhir/Patient/" + zhang_y_);
  EXPECT_FALSE(source.Find("active")->as_bool());
  ASSERT_NE(source.Find("link"), nullptr) << json::Serialize(source);
  EXPECT_EQ(*source.Find("link")->as_array()[0].FindString("type"), "replaced-by");
  EXPECT_EQ(RefOf(*source.Find("link")->as_array()[0].Find("other")), "Patient/" + zhang_x_);
  json::Value target = Read("/fhir/Patient/" + zhang_x_);
  ASSERT_NE(target.Find("link"), nullptr) << json::Serialize(target);
  EXPECT_EQ(*target.Find("link")->as_array()[0].FindString("type"), "replaces");
  EXPECT_EQ(RefOf(*target.Find("link")->as_array()[0].Find("other")), "Patient/" + zhang_y_);
  EXPECT_EQ(PersonIdOf(zhang_y_), PersonIdOf(zhang_x_));
  // A merged Patient is not merged again.
  r = Op("$merge", Parameters({RefParam("source-patient", zhang_y_), RefParam("target-patient", li_),
                               StringParam("reason", "again")}));
  EXPECT_EQ(r.status, 422) << r.body;

  // Who, when and why.
  r = client().Get(StrCat("/fhir/Patient/", zhang_y_, "/$mpi-history"));
  ASSERT_EQ(r.status, 200) << r.body;
  bool seen_merge = false;
  json::Value history = Json(r);
  for (size_t i = 0; i < history.Find("parameter")->as_array().size(); ++i) {
    std::map<std::string, json::Value> e = Parts(history, "event", i);
    if (Text(e["action"]) != "merge") continue;
    seen_merge = true;
    EXPECT_FALSE(Text(e["actor"]).empty());
    EXPECT_EQ(Text(e["reason"]), "同一居民重复建档");
    EXPECT_TRUE(Text(e["time"]).starts_with("20")) << Text(e["time"]);
    EXPECT_EQ(RefOf(e["other"]), "Patient/" + zhang_x_);
  }
  EXPECT_TRUE(seen_merge) << r.body;

  // Unmerge: reason required; then the source's content is back exactly, the target's
  // replaces link is gone, and the source has a Person of its own.
  r = Op("$unmerge", Parameters({RefParam("source-patient", zhang_y_)}));
  EXPECT_EQ(r.status, 400) << r.body;
  r = Op("$unmerge", Parameters({RefParam("source-patient", zhang_y_), StringParam("reason", "误合并")}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Text(Parts(Json(r), "event")["action"]), "unmerge");
  EXPECT_EQ(json::Serialize(WithoutMeta(Read("/fhir/Patient/" + zhang_y_))), before);
  EXPECT_EQ(json::Serialize(WithoutMeta(Read("/fhir/Patient/" + zhang_x_))), target_before);
  EXPECT_NE(PersonIdOf(zhang_y_), PersonIdOf(zhang_x_));
  EXPECT_EQ(Links(PersonOf(zhang_y_)), (std::map<std::string, std::string>{{zhang_y_, "level4"}}));
  // Twice is once too many.
  r = Op("$unmerge", Parameters({RefParam("source-patient", zhang_y_), StringParam("reason", "误合并")}));
  EXPECT_EQ(r.status, 422) << r.body;
  r = Op("$unmerge", Parameters({RefParam("source-patient", li_), StringParam("reason", "无合并")}));
  EXPECT_EQ(r.status, 422) << r.body;
  ExpectOutcome(r, "processing");

  // The pair is now distinct: registering 章伟 again (an update) does not link it back, though
  // $match still calls it certain.
  HttpResult put = client().Send("PUT", "/fhir/Patient/" + zhang_y_, before, {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(PersonIdOf(zhang_y_), PersonIdOf(zhang_x_));
  // A fresh registration of the same resident still links to one of them.
  const std::string again =
      Register({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, kZhangWeiId, "", "", ""});
  std::string p = PersonIdOf(again);
  EXPECT_TRUE(p == PersonIdOf(zhang_x_) || p == PersonIdOf(zhang_y_));
}

TEST_P(PatientIndexTest, LinkAndUnlink) {
  RegisterResidents();
  HttpResult r = Op("$mpi-link", Parameters({RefParam("patient", li_), RefParam("other", zhang_x_)}));
  EXPECT_EQ(r.status, 400) << r.body;  // no reason
  r = Op("$mpi-link", Parameters({RefParam("patient", li_), RefParam("other", zhang_x_),
                                  StringParam("reason", "steward test")}));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value person = PersonOf(li_);
  EXPECT_EQ(*person.FindString("id"), PersonIdOf(zhang_x_));
  EXPECT_EQ(Links(person)[li_], "level4");
  r = Op("$mpi-link", Parameters({RefParam("patient", li_), RefParam("other", li_),
                                  StringParam("reason", "self")}));
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_LT(r.status, 500) << r.body;
  r = Op("$mpi-link", Parameters({RefParam("patient", li_), RefParam("other", "no-such-patient"),
                                  StringParam("reason", "missing")}));
  EXPECT_EQ(r.status, 404) << r.body;

  r = Op("$mpi-unlink", Parameters({RefParam("patient", li_), StringParam("reason", "not the same")}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Links(PersonOf(li_)), (std::map<std::string, std::string>{{li_, "level4"}}));
  EXPECT_EQ(Links(PersonOf(zhang_x_)).size(), 2u);
  r = Op("$mpi-unlink", Parameters({RefParam("patient", li_), StringParam("reason", "again")}));
  EXPECT_EQ(r.status, 422) << r.body;

  r = client().Get(StrCat("/fhir/Patient/", li_, "/$mpi-history"));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> actions;
  json::Value history = Json(r);
  for (size_t i = 0; i < history.Find("parameter")->as_array().size(); ++i) {
    actions.push_back(Text(Parts(history, "event", i)["action"]));
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"new", "link", "unlink"})) << r.body;
}

TEST_P(PatientIndexTest, ReviewQueue) {
  // Same name and sex, birth day and month exchanged, nothing else: a possible match (between
  // the review and link thresholds, p ≈ 0.9 with the default model), not a certain one.
  const Reg wang = {"王", "芳", "female", "1970-03-12", "", "", "", "", ""};
  Reg wang_swapped = wang;
  wang_swapped.birth = "1970-12-03";
  const std::string a = Register(wang);
  const std::string b = Register(wang_swapped);
  EXPECT_NE(PersonIdOf(a), PersonIdOf(b));
  HttpResult r = client().Get("/fhir/Patient/$mpi-review?status=open&_count=10");
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value list = Json(r);
  ASSERT_EQ(list.Find("parameter")->as_array().size(), 1u) << r.body;
  std::map<std::string, json::Value> item = Parts(list, "review");
  EXPECT_EQ(RefOf(item["patient"]), "Patient/" + b);
  EXPECT_EQ(RefOf(item["candidate"]), "Patient/" + a);
  double p = std::stod(item["probability"].as_number().text);
  EXPECT_GE(p, 0.5);
  EXPECT_LT(p, 0.99);
  const int64_t first = *item["id"].AsInt64();

  // A second possible pair, decided distinct below.
  const Reg liu = {"刘", "洋", "male", "1980-05-06", "", "", "", "", ""};
  Reg liu_swapped = liu;
  liu_swapped.birth = "1980-06-05";
  const std::string c = Register(liu);
  const std::string d = Register(liu_swapped);
  r = client().Get("/fhir/Patient/$mpi-review?_count=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r).Find("parameter")->as_array().size(), 1u) << r.body;
  r = client().Get("/fhir/Patient/$mpi-review?status=open");
  list = Json(r);
  ASSERT_EQ(list.Find("parameter")->as_array().size(), 2u) << r.body;
  const int64_t second = *Parts(list, "review", 1)["id"].AsInt64();
  EXPECT_EQ(RefOf(Parts(list, "review", 1)["patient"]), "Patient/" + d);

  auto decide = [&](int64_t id, const std::string& decision, const std::string& reason) {
    std::string params = StrCat(R"({"resourceType":"Parameters","parameter":[{"name":"review","valueInteger":)", id,
                                R"(},{"name":"decision","valueCode":")", decision, R"("})",
                                reason.empty() ? "" : "," + StringParam("reason", reason), "]}");
    return Op("$mpi-review", params);
  };
  EXPECT_EQ(decide(first, "maybe", "unsure").status, 400);
  EXPECT_EQ(decide(first, "link", "").status, 400);
  EXPECT_EQ(decide(999999, "link", "none").status, 404);
  r = decide(first, "link", "same ID card seen");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Text(Parts(Json(r), "review")["status"]), "linked");
  EXPECT_EQ(PersonIdOf(a), PersonIdOf(b));
  EXPECT_EQ(decide(first, "distinct", "changed my mind").status, 409);

  r = decide(second, "distinct", "different fathers");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Text(Parts(Json(r), "review")["status"]), "distinct");
  r = client().Get("/fhir/Patient/$mpi-review?status=open");
  EXPECT_EQ(Json(r).Find("parameter")->as_array().size(), 0u) << r.body;
  r = client().Get("/fhir/Patient/$mpi-review?status=distinct");
  EXPECT_EQ(Json(r).Find("parameter")->as_array().size(), 1u) << r.body;

  // Both now get the same phone, which makes them a certain match for $match, yet the pair
  // decided distinct is not linked automatically, nor put back in the queue.
  for (const std::string& id : {c, d}) {
    Reg with_phone = liu;
    with_phone.phone = "13511112222";
    json::Value body = *json::Parse(PatientJson(with_phone));
    body.as_object().Set("id", id);
    HttpResult put = client().Send("PUT", "/fhir/Patient/" + id, json::Serialize(body),
                                   {{"Content-Type", "application/fhir+json"}});
    ASSERT_EQ(put.status, 200) << put.body;
  }
  Reg probe = liu;
  probe.phone = "13511112222";
  std::vector<Candidate> found = Candidates(Op("$match", MatchParams(PatientJson(probe))));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].grade, "certain");
  EXPECT_NE(PersonIdOf(c), PersonIdOf(d));
  r = client().Get("/fhir/Patient/$mpi-review?status=open");
  EXPECT_EQ(Json(r).Find("parameter")->as_array().size(), 0u) << r.body;
}

TEST_P(PatientIndexTest, PermissionsScopeAndMasking) {
  RegisterResidents();
  const WebUser doctor = LoginUser("mpi_doctor", "doctor", org_x_);
  const WebUser steward = LoginUser("mpi_steward_x", "mpi_steward", org_x_);
  const WebUser nurse = LoginUser("mpi_nurse", "nurse", org_x_);
  ASSERT_FALSE(doctor.cookie.empty());
  ASSERT_FALSE(steward.cookie.empty());
  ASSERT_FALSE(nurse.cookie.empty());
  const std::string query = PatientJson({"章", "伟", "male", "1985-06-15", kZhangWeiPhone, "", "", "", ""});
  const std::string merge = Parameters({RefParam("source-patient", li_), RefParam("target-patient", zhang_x_),
                                        StringParam("reason", "try")});
  const std::string link = Parameters({RefParam("patient", li_), RefParam("other", zhang_x_),
                                       StringParam("reason", "try")});

  // A doctor matches, but has no `$mpi`.
  HttpResult r = AsUser(doctor, "POST", "/fhir/Patient/$match", MatchParams(query));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Candidate> found = Candidates(r);
  // Only the registration in the doctor's org unit, with the ID unmasked ($unmask).
  ASSERT_EQ(found.size(), 1u) << r.body;
  EXPECT_EQ(found[0].id, zhang_x_);
  EXPECT_NE(r.body.find(kZhangWeiId), std::string::npos) << r.body;
  EXPECT_EQ(AsUser(doctor, "POST", "/fhir/Patient/$merge", merge).status, 403);
  EXPECT_EQ(AsUser(doctor, "POST", "/fhir/Patient/$mpi-link", link).status, 403);
  EXPECT_EQ(AsUser(doctor, "GET", "/fhir/Patient/$mpi-review").status, 403);
  EXPECT_EQ(AsUser(doctor, "GET", StrCat("/fhir/Patient/", zhang_x_, "/$mpi-history")).status, 403);
  EXPECT_EQ(Read(StrCat("/fhir/Patient/", li_)).Find("link"), nullptr);

  // Regression: count applies to the candidates the caller may see. With count 1 the best
  // candidate is outside the scope of one of these two users; each still gets its own resident.
  const WebUser doctor_y = LoginUser("mpi_doctor_y", "doctor", org_y_);
  for (const auto& [user, own] : {std::pair{doctor, zhang_x_}, std::pair{doctor_y, zhang_y_}}) {
    r = AsUser(user, "POST", "/fhir/Patient/$match", MatchParams(query, R"(,{"name":"count","valueInteger":1})"));
    ASSERT_EQ(r.status, 200) << r.body;
    found = Candidates(r);
    ASSERT_EQ(found.size(), 1u) << user.login << ": " << r.body;
    EXPECT_EQ(found[0].id, own) << user.login;
  }

  // A nurse (no `$unmask`) sees masked identifiers and phone numbers in $match and $ihe-pix.
  r = AsUser(nurse, "POST", "/fhir/Patient/$match", MatchParams(query));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(kZhangWeiId), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(kZhangWeiPhone), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("1101**********1230"), std::string::npos) << r.body;
  r = AsUser(nurse, "GET", StrCat("/fhir/Patient/$ihe-pix?sourceIdentifier=", kMrnX, "|X001"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find(kZhangWeiId), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("Y042"), std::string::npos) << r.body;  // facility Y is out of scope

  // A steward of org X changes residents of X only.
  r = AsUser(steward, "POST", "/fhir/Patient/$mpi-link",
             Parameters({RefParam("patient", li_), RefParam("other", zhang_y_), StringParam("reason", "try")}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("outside your org units"), std::string::npos) << r.body;
  r = AsUser(steward, "POST", "/fhir/Patient/$mpi-unlink",
             Parameters({RefParam("patient", zhang_y_), StringParam("reason", "try")}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("outside your org units"), std::string::npos) << r.body;
  r = AsUser(steward, "POST", "/fhir/Patient/$merge",
             Parameters({RefParam("source-patient", zhang_y_), RefParam("target-patient", zhang_x_),
                         StringParam("reason", "try")}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("outside your org units"), std::string::npos) << r.body;
  EXPECT_EQ(AsUser(steward, "GET", StrCat("/fhir/Patient/", zhang_y_, "/$mpi-history")).status, 403);
  EXPECT_EQ(PersonIdOf(zhang_y_), PersonIdOf(zhang_x_));  // nothing changed
  r = AsUser(steward, "POST", "/fhir/Patient/$match", MatchParams(query));
  ASSERT_EQ(r.status, 200) << r.body;
  found = Candidates(r);
  ASSERT_EQ(found.size(), 1u) << r.body;
  EXPECT_EQ(found[0].id, zhang_x_);
  // Golden records are seen through their Patients: those with a resident of X only.
  const std::string only_y = Register({"赵", "敏", "female", "1966-02-02", "", "", org_y_, kMrnY, "Y077"});
  r = AsUser(steward, "GET", "/fhir/Person");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value persons = Json(r);
  std::set<std::string> seen;
  for (const json::Value& e : persons.Find("entry")->as_array()) seen.insert(*e.Find("resource")->FindString("id"));
  EXPECT_EQ(seen, (std::set<std::string>{PersonIdOf(zhang_x_), PersonIdOf(li_)})) << r.body;
  EXPECT_EQ(seen.count(PersonIdOf(only_y)), 0u);

  // Regression: the review queue's _count applies to the items the steward may see (an
  // earlier item outside the scope took the only place).
  const Reg wang = {"王", "芳", "female", "1970-03-12", "", "", org_y_, "", ""};
  Reg wang_swapped = wang;  // day and month exchanged: a possible match (see ReviewQueue)
  wang_swapped.birth = "1970-12-03";
  Register(wang);
  Register(wang_swapped);
  Reg wang_x = wang;
  wang_x.org = org_x_;
  wang_x.family = "黄";
  Reg wang_x_swapped = wang_x;
  wang_x_swapped.birth = "1970-12-03";
  const std::string hx1 = Register(wang_x);
  const std::string hx2 = Register(wang_x_swapped);
  ASSERT_EQ(Json(client().Get("/fhir/Patient/$mpi-review")).Find("parameter")->as_array().size(), 2u);
  r = AsUser(steward, "GET", "/fhir/Patient/$mpi-review?_count=1");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value queue = Json(r);
  ASSERT_EQ(queue.Find("parameter")->as_array().size(), 1u) << r.body;
  EXPECT_EQ(RefOf(Parts(queue, "review")["patient"]), "Patient/" + hx2);
  EXPECT_EQ(RefOf(Parts(queue, "review")["candidate"]), "Patient/" + hx1);

  // Inside its scope it works.
  r = AsUser(steward, "POST", "/fhir/Patient/$mpi-link", link);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(PersonIdOf(li_), PersonIdOf(zhang_x_));
  r = AsUser(steward, "GET", StrCat("/fhir/Patient/", li_, "/$mpi-history"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("mpi_steward_x"), std::string::npos) << r.body;
  EXPECT_EQ(AsUser(steward, "GET", "/fhir/Patient/$mpi-review").status, 200);
}

TEST_P(PatientIndexTest, UpdateMovesALonePatientToItsMatch) {
  RegisterResidents();
  const std::string other = Register({"刘", "洋", "male", "1980-05-05", "13511112222", "", "", "", ""});
  const std::string old_person = PersonIdOf(other);
  ASSERT_NE(old_person, PersonIdOf(zhang_x_));
  // The registration desk corrects the record: it was 张伟 all along.
  json::Value corrected = *json::Parse(PatientJson({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, "", "", "", ""}));
  corrected.as_object().Set("id", other);
  HttpResult put = client().Send("PUT", "/fhir/Patient/" + other, json::Serialize(corrected),
                                 {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(PersonIdOf(other), PersonIdOf(zhang_x_));
  EXPECT_EQ(Links(PersonOf(other))[other], "level3");
  int gone = client().Get("/fhir/Person/" + old_person).status;
  EXPECT_TRUE(gone == 404 || gone == 410) << gone;
}

// Registrations of one resident arriving at once from several facilities end in one golden
// record (the index orders concurrent Patient writes).
TEST_P(PatientIndexTest, ConcurrentRegistrationsShareOnePerson) {
  constexpr int kWriters = 6;
  std::vector<std::string> ids(kWriters);
  std::vector<std::thread> threads;
  const std::string token = AccessToken();
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c("127.0.0.1", server().port());
      HttpResult r = c.Send("POST", "/fhir/Patient",
                            PatientJson({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, kZhangWeiId, "",
                                         StrCat("https://rhip.cn/fhir/mrn/f", i), "M1"}),
                            {{"Content-Type", "application/fhir+json"}, {"Authorization", "Bearer " + token}});
      if (r.status == 201) ids[i] = *json::Parse(r.body)->FindString("id");
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> persons;
  for (const std::string& id : ids) {
    ASSERT_FALSE(id.empty());
    persons.insert(PersonIdOf(id));
  }
  EXPECT_EQ(persons.size(), 1u);
  EXPECT_EQ(Links(PersonOf(ids[0])).size(), static_cast<size_t>(kWriters));
  EXPECT_EQ(*Read("/fhir/Person?_summary=count").Find("total")->AsInt64(), 1);
}

TEST_P(PatientIndexTest, BulkLoadedPatientsAreMatched) {
  // A transaction Bundle: two registrations of one resident and another resident.
  const std::string bundle = StrCat(
      R"({"resourceType":"Bundle","type":"transaction","entry":[)",
      R"({"request":{"method":"POST","url":"Patient"},"resource":)",
      PatientJson({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, kZhangWeiId, "", kMrnX, "X001"}), "},",
      R"({"request":{"method":"POST","url":"Patient"},"resource":)",
      PatientJson({"章", "伟", "male", "1985-06-15", kZhangWeiPhone, "", "", kMrnY, "Y042"}), "},",
      R"({"request":{"method":"POST","url":"Patient"},"resource":)",
      PatientJson({"李", "娜", "female", "1992-08-08", "", "", "", kMrnX, "X002"}), "}]}");
  HttpResult r = client().Send("POST", "/fhir", bundle, {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids;
  const json::Value response = Json(r);
  for (const json::Value& e : response.Find("entry")->as_array()) {
    std::string location = *e.Find("response")->FindString("location");
    location = location.substr(location.find("Patient/") + 8);
    ids.push_back(location.substr(0, location.find('/')));
  }
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(PersonIdOf(ids[0]), PersonIdOf(ids[1]));
  EXPECT_NE(PersonIdOf(ids[2]), PersonIdOf(ids[0]));

  // `rhip import` of NDJSON (server stopped: the CLI opens the store itself).
  const std::string file = data_dir() + "/../patients.ndjson";
  {
    std::ofstream out(file);
    out << PatientJson({"张", "伟", "male", "1985-06-15", kZhangWeiPhone, "", "", "https://rhip.cn/fhir/mrn/z", "Z7"})
        << "\n"
        << PatientJson({"赵", "敏", "female", "1966-02-02", "13300003333", "", "", "https://rhip.cn/fhir/mrn/z", "Z8"})
        << "\n";
  }
  ASSERT_EQ(server().Stop(), 0);
  std::string out;
  ASSERT_EQ(Cli({"import", file}, &out), 0) << out;
  Restart();
  auto by_mrn = [&](const std::string& mrn) {
    json::Value b = Read("/fhir/Patient?identifier=https://rhip.cn/fhir/mrn/z|" + mrn);
    const json::Value* entries = b.Find("entry");
    return entries != nullptr && entries->as_array().size() == 1
               ? *entries->as_array()[0].Find("resource")->FindString("id")
               : std::string();
  };
  const std::string z7 = by_mrn("Z7"), z8 = by_mrn("Z8");
  ASSERT_FALSE(z7.empty());
  ASSERT_FALSE(z8.empty());
  EXPECT_EQ(PersonIdOf(z7), PersonIdOf(ids[0]));
  EXPECT_EQ(Links(PersonOf(z8)), (std::map<std::string, std::string>{{z8, "level4"}}));
}

TEST_P(PatientIndexTest, UsersRegisteringResidentsGetIdErrorsSystemsDataIsKept) {
  RegisterResidents();  // and the org units
  const WebUser doctor = LoginUser("reg_doctor", "doctor", org_x_);
  ASSERT_FALSE(doctor.cookie.empty());
  // 110101199003074514 is valid; the last character mistyped.
  Reg bad = {"孙", "丽", "female", "1990-03-07", "", "110101199003074515", org_x_, "", ""};
  HttpResult r = AsUser(doctor, "POST", "/fhir/Patient", PatientJson(bad));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("校验码错误"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Patient.identifier[0].value"), std::string::npos) << r.body;
  // Inside a transaction Bundle too, with the entry's path.
  const std::string bundle = StrCat(
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)", PatientJson(bad),
      R"(,"request":{"method":"POST","url":"Patient"}}]})");
  r = AsUser(doctor, "POST", "/fhir", bundle);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("Bundle.entry[0].resource.identifier[0].value"), std::string::npos) << r.body;
  // Corrected, the registration goes through.
  Reg good = bad;
  good.rid = "110101199003074514";
  r = AsUser(doctor, "POST", "/fhir/Patient", PatientJson(good));
  EXPECT_EQ(r.status, 201) << r.body;
  // The same wrong number from a system (an interface client) is kept as sent.
  const std::string kept = Register(bad);
  HttpResult read = client().Get("/fhir/Patient/" + kept);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.body.find("110101199003074515"), std::string::npos) << read.body;
}

TEST_P(PatientIndexTest, DedupeReportsAndKeepsDistinctPairsApart) {
  RegisterResidents();
  // A possible pair, declared distinct by a steward.
  const Reg wang = {"王", "芳", "female", "1970-03-12", "", "", "", "", ""};
  Reg wang_swapped = wang;
  wang_swapped.birth = "1970-12-03";
  const std::string a = Register(wang);
  const std::string b = Register(wang_swapped);
  json::Value queue = Json(client().Get("/fhir/Patient/$mpi-review?status=open"));
  ASSERT_EQ(queue.Find("parameter")->as_array().size(), 1u);
  const int64_t review = *Parts(queue, "review")["id"].AsInt64();
  HttpResult r = Op("$mpi-review", StrCat(R"({"resourceType":"Parameters","parameter":[{"name":"review","valueInteger":)",
                                          review, R"(},{"name":"decision","valueCode":"distinct"},)",
                                          StringParam("reason", "two people"), "]}"));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string person_a = PersonIdOf(a);
  const std::string person_b = PersonIdOf(b);
  std::string out;
  ASSERT_EQ(Cli({"mpi", "dedupe"}, &out), 0) << out;
  EXPECT_NE(out.find("golden records"), std::string::npos) << out;
  EXPECT_NE(out.find("newly indexed 0"), std::string::npos) << out;
  EXPECT_EQ(PersonIdOf(a), person_a);
  EXPECT_EQ(PersonIdOf(b), person_b);
  EXPECT_NE(PersonIdOf(a), PersonIdOf(b));
  // Again: nothing changes, nothing breaks.
  ASSERT_EQ(Cli({"mpi", "dedupe"}, &out), 0) << out;
  EXPECT_NE(out.find("0 Patients moved"), std::string::npos) << out;
  // Usage errors exit 2.
  EXPECT_EQ(RunRhip({"mpi"}, &out), 2) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, PatientIndexTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineName);

}  // namespace
}  // namespace rhip::testing
