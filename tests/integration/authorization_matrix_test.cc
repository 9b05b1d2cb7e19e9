// The authorization matrix against the real binary: a user of every seeded role, signed in
// over the web login, tries every action on every resource type for residents in every org
// relation (own org unit, below it, outside it, consent-denied). The expected answer is
// computed from configuration — the role's rows as `rhip role show` prints them — and a small
// model of the region's org tree and consent, never from what the server answered. Then
// break the glass, masking and the audit trail of all these requests.
#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

constexpr char kResidentIdSystem[] = "urn:oid:2.16.156.10011.1.3";
constexpr char kResidentId[] = "110101199003071241";  // valid (users registering residents get a 422 otherwise)
constexpr char kMaskedResidentId[] = "1101**********1241";
constexpr char kPhone[] = "13812345678";
constexpr char kMaskedPhone[] = "138****5678";
constexpr char kWholeRegion[] = "*";

enum class Action { kRead, kSearch, kCreate, kUpdate, kDelete };

char Letter(Action a) {
  switch (a) {
    case Action::kRead: return 'r';
    case Action::kSearch: return 's';
    case Action::kCreate: return 'c';
    case Action::kUpdate: return 'u';
    case Action::kDelete: return 'd';
  }
  return '?';
}

// Patient and four types of its compartment, a billing type (also in the compartment) and two
// non-personal types.
const std::vector<std::string>& Types() {
  static const std::vector<std::string> types = {"Patient",      "Observation", "Immunization",
                                                 "Condition",    "MedicationRequest",
                                                 "Organization", "Invoice",     "Practitioner"};
  return types;
}

bool IsPersonal(const std::string& type) { return type != "Organization" && type != "Practitioner"; }

// A role's rows as `rhip role show ROLE` prints them: "target<TAB>actions" after a header.
class RolePermissions {
 public:
  static RolePermissions Parse(const std::string& out) {
    RolePermissions p;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      size_t tab = line.find('\t');
      if (tab == std::string::npos || line == "target\tactions") continue;
      p.rows_[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return p;
  }
  // A '*' row covers every type and operation (security::RoleAllows).
  bool Allows(const std::string& target, char action) const {
    for (const std::string& t : {target, std::string("*")}) {
      auto it = rows_.find(t);
      if (it != rows_.end() && it->second.find(action) != std::string::npos) return true;
    }
    return false;
  }
  bool empty() const { return rows_.empty(); }

 private:
  std::map<std::string, std::string> rows_;
};

// One staff user per seeded role and the org unit it is assigned to (keys of Region::orgs).
struct RoleAt {
  const char* role;
  const char* org;
};
constexpr std::array<RoleAt, 11> kRoles = {{
    {"system_admin", kWholeRegion},
    {"bureau_manager", "C"},
    {"public_health_staff", "C"},
    {"doctor", "T"},
    {"nurse", "T"},
    {"pharmacist", "V1"},
    {"cashier", "T"},
    {"village_doctor", "V1"},
    {"public_health_worker", "T"},
    {"interface_system", "T"},
    {"resident", "V1"},
}};

// The test's own model of the region: county C → township T → villages V1, V2; county D apart.
// pDeny refuses sharing (an active deny Consent) and was treated at T.
struct Resident {
  std::string key;
  std::string org;        // key of the managing organization
  bool deny = false;
  std::string id;
  std::map<std::string, std::string> ids;  // type → the fixture resource about this resident
};

const std::map<std::string, std::string>& Parents() {
  static const std::map<std::string, std::string> parents = {
      {"T", "C"}, {"V1", "T"}, {"V2", "T"}};
  return parents;
}
constexpr char kTreatingOrg[] = "T";

// Whether org lies at or below user_org in the tree.
bool InArea(const std::string& user_org, std::string org) {
  if (user_org == kWholeRegion) return true;
  while (true) {
    if (org == user_org) return true;
    auto up = Parents().find(org);
    if (up == Parents().end()) return false;
    org = up->second;
  }
}

std::string Relation(const std::string& user_org, const Resident& r) {
  if (r.deny) return "consent-denied";
  if (user_org == kWholeRegion) return "region";
  if (r.org == user_org) return "own";
  return InArea(user_org, r.org) ? "below" : "outside";
}

// The org-unit and consent rule of docs/SECURITY.md, independently of the server's SQL.
bool Visible(const std::string& user_org, const Resident& r) {
  if (user_org == kWholeRegion) return true;
  if (!InArea(user_org, r.org)) return false;
  return !r.deny || user_org == r.org || user_org == kTreatingOrg;
}

struct Tally {
  int allowed = 0;
  int denied = 0;
};

class AuthorizationMatrixTest : public ServerTest {
 protected:
  void SetUp() override {
    // Eleven logins from one address within a minute: lift the per-address login limit.
    const std::string config = config_dir_.path() + "/rhip.toml";
    std::ofstream(config) << "login_attempts_per_address = 0\n";
    server_args_ = {"--config", config};
    ServerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    SeedRegion();
  }

  // POST as the bootstrap client; the new id.
  std::string Create(const std::string& type, const std::string& body) {
    HttpResult r = client().Send("POST", "/fhir/" + type, body,
                                 {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 201) << type << " " << r.body;
    json::Value created = Json(r);
    const std::string* id = created.FindString("id");
    return id == nullptr ? "" : *id;
  }

  std::string OrgJson(const std::string& name, const std::string& parent) {
    std::string part_of = parent.empty()
                              ? ""
                              : StrCat(R"(,"partOf":{"reference":"Organization/)", orgs_[parent], R"("})");
    return StrCat(R"({"resourceType":"Organization","active":true,"name":")", name, "\"", part_of, "}");
  }

  // A new resource of `type` about resident r (for Organization: its managing organization's
  // kind of resource, without partOf so the tree stays as seeded).
  std::string ResourceJson(const std::string& type, const Resident& r) {
    const std::string subject = StrCat(R"({"reference":"Patient/)", r.id, R"("})");
    if (type == "Patient") {
      return StrCat(R"({"resourceType":"Patient","identifier":[{"system":")", kResidentIdSystem,
                    R"(","value":")", kResidentId, R"("}],"name":[{"family":"王","given":[")", r.key,
                    R"("]}],"telecom":[{"system":"phone","value":")", kPhone,
                    R"("}],"address":[{"line":["东华门街道1号"],"city":"北京市"}],"gender":"female",)"
                    R"("birthDate":"1990-03-07","managingOrganization":{"reference":"Organization/)",
                    orgs_[r.org], R"("}})");
    }
    if (type == "Observation") {
      return StrCat(R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"},"subject":)",
                    subject, "}");
    }
    if (type == "Immunization") {
      return StrCat(R"({"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"乙肝疫苗"},"occurrenceDateTime":"2026-01-05","patient":)",
                    subject, "}");
    }
    if (type == "Condition") {
      return StrCat(R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I10"}]},"subject":)",
                    subject, "}");
    }
    if (type == "MedicationRequest") {
      return StrCat(R"({"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"硝苯地平"},"subject":)",
                    subject, "}");
    }
    if (type == "Invoice") {
      return StrCat(R"({"resourceType":"Invoice","status":"issued","subject":)", subject, "}");
    }
    if (type == "Organization") return OrgJson(StrCat("新机构-", r.key), "");
    return R"({"resourceType":"Practitioner","name":[{"family":"李","given":["医生"]}]})";
  }

  // A Patient managed by r.org; with r.deny also its deny Consent and an Encounter at T.
  std::string CreateResidentPatient(const Resident& r) {
    std::string id = Create("Patient", ResourceJson("Patient", r));
    if (r.deny) {
      Create("Consent",
             StrCat(R"({"resourceType":"Consent","status":"active","scope":{"text":"privacy"},)"
                    R"("category":[{"text":"privacy"}],"policyRule":{"text":"no sharing"},)"
                    R"("patient":{"reference":"Patient/)", id, R"("},"provision":{"type":"deny"}})"));
      Create("Encounter",
             StrCat(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
                    R"("subject":{"reference":"Patient/)", id,
                    R"("},"serviceProvider":{"reference":"Organization/)", orgs_[kTreatingOrg], R"("}})"));
    }
    return id;
  }

  void SeedRegion() {
    orgs_["C"] = Create("Organization", OrgJson("青山县卫生健康局", ""));
    orgs_["T"] = Create("Organization", OrgJson("青山镇卫生院", "C"));
    orgs_["V1"] = Create("Organization", OrgJson("东村卫生室", "T"));
    orgs_["V2"] = Create("Organization", OrgJson("西村卫生室", "T"));
    orgs_["D"] = Create("Organization", OrgJson("白水县卫生健康局", ""));
    practitioner_ = Create("Practitioner", ResourceJson("Practitioner", {}));
    residents_ = {{"pC", "C"}, {"pT", "T"}, {"pV1", "V1"}, {"pV2", "V2"}, {"pD", "D"},
                  {"pDeny", "V2", true}};
    for (Resident& r : residents_) {
      r.id = CreateResidentPatient(r);
      r.ids["Patient"] = r.id;
      for (const std::string& type : Types()) {
        if (type == "Patient") continue;
        if (type == "Organization") {
          r.ids[type] = orgs_[r.org];
        } else if (type == "Practitioner") {
          r.ids[type] = practitioner_;
        } else {
          r.ids[type] = Create(type, ResourceJson(type, r));
        }
      }
    }
  }

  // The fixture resource of `type` for resident r, as the bootstrap client reads it.
  std::string Stored(const std::string& type, const std::string& id) {
    HttpResult r = client().Get(StrCat("/fhir/", type, "/", id));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  // Sends as the user and counts the request for the audit check.
  HttpResult Send(const WebUser& u, const std::string& method, const std::string& target,
                  const std::string& body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    ++requests_[u.login];
    return AsUser(u, method, target, body, std::move(headers));
  }

  static std::set<std::string> EntryIds(const HttpResult& r) {
    std::set<std::string> ids;
    json::Value bundle = Json(r);
    const json::Value* entries = bundle.Find("entry");
    if (entries == nullptr || !entries->is_array()) return ids;
    for (const json::Value& e : entries->as_array()) {
      const json::Value* res = e.Find("resource");
      const std::string* id = res == nullptr ? nullptr : res->FindString("id");
      if (id != nullptr) ids.insert(*id);
    }
    return ids;
  }

  // The expected allowed answer; denied is always 403.
  static int AllowedStatus(Action a) {
    switch (a) {
      case Action::kCreate: return 201;
      case Action::kDelete: return 204;
      default: return 200;
    }
  }

  // Whether the scope admits the action on r's resource of `type`, for a user at user_org.
  static bool ScopeAdmits(const std::string& user_org, const Resident& r, const std::string& type,
                          Action a) {
    if (!IsPersonal(type)) return true;
    // A new Patient needs only a managing organization in the area: it has no consent yet.
    if (a == Action::kCreate && type == "Patient") return InArea(user_org, r.org);
    // A search is allowed and answers with what is visible (checked by ids).
    if (a == Action::kSearch) return true;
    return Visible(user_org, r);
  }

  HttpResult Try(const WebUser& u, const Resident& r, const std::string& type, Action a,
                 bool expect_allowed) {
    const std::string& id = r.ids.at(type);
    switch (a) {
      case Action::kRead:
        return Send(u, "GET", StrCat("/fhir/", type, "/", id));
      case Action::kSearch:
        return Send(u, "GET", type == "Patient" || !IsPersonal(type)
                                  ? StrCat("/fhir/", type, "?_id=", id)
                                  : StrCat("/fhir/", type, "?patient=Patient/", r.id));
      case Action::kCreate:
        return Send(u, "POST", StrCat("/fhir/", type), ResourceJson(type, r));
      case Action::kUpdate:
        return Send(u, "PUT", StrCat("/fhir/", type, "/", id), Stored(type, id));
      case Action::kDelete: {
        // An allowed delete takes a throwaway copy, so the fixture stays for the other rows;
        // a denied one aims at the fixture resource itself (it must answer 403, not 404).
        std::string target = id;
        if (expect_allowed) {
          target = type == "Patient" ? CreateResidentPatient(r) : Create(type, ResourceJson(type, r));
        }
        return Send(u, "DELETE", StrCat("/fhir/", type, "/", target));
      }
    }
    return {};
  }

  // Reads and searches first (writes add resources the searches would see), then writes.
  void RunMatrix(const std::vector<Action>& actions, const std::vector<size_t>& role_indexes) {
    for (size_t i : role_indexes) {
      const RoleAt& ra = kRoles[i];
      const WebUser& u = users_[ra.role];
      const RolePermissions& perms = permissions_[ra.role];
      for (const Resident& r : residents_) {
        for (const std::string& type : Types()) {
          for (Action a : actions) {
            bool allowed = perms.Allows(type, Letter(a)) && ScopeAdmits(ra.org, r, type, a);
            HttpResult got = Try(u, r, type, a, allowed);
            const std::string what = StrCat(ra.role, "@", ra.org, " ", std::string(1, Letter(a)),
                                            " ", type, " of ", r.key, " (", Relation(ra.org, r), ")");
            int want = allowed ? AllowedStatus(a) : 403;
            EXPECT_EQ(got.status, want) << what << ": " << got.body;
            Tally& t = tally_[ra.role][type];
            (allowed ? t.allowed : t.denied)++;
            if (allowed && a == Action::kSearch && got.status == 200) {
              std::set<std::string> want_ids;
              if (!IsPersonal(type) || Visible(ra.org, r)) want_ids.insert(r.ids.at(type));
              EXPECT_EQ(EntryIds(got), want_ids) << what;
            }
          }
        }
      }
      // A search over the whole type answers exactly the fixture resources in scope.
      if (std::find(actions.begin(), actions.end(), Action::kSearch) == actions.end()) continue;
      for (const std::string& type : Types()) {
        bool allowed = perms.Allows(type, 's');
        HttpResult got = Send(u, "GET", StrCat("/fhir/", type, "?_count=1000"));
        EXPECT_EQ(got.status, allowed ? 200 : 403) << ra.role << " search all " << type;
        if (!allowed || got.status != 200) continue;
        std::set<std::string> want_ids;
        for (const Resident& r : residents_) {
          if (!IsPersonal(type) || Visible(ra.org, r)) want_ids.insert(r.ids.at(type));
        }
        if (type == "Organization") {
          for (const auto& [key, id] : orgs_) want_ids.insert(id);
        }
        EXPECT_EQ(EntryIds(got), want_ids) << ra.role << "@" << ra.org << " search all " << type;
      }
    }
  }

  void LoginEveryRole(const std::vector<size_t>& role_indexes) {
    for (size_t i : role_indexes) {
      const RoleAt& ra = kRoles[i];
      std::string out;
      ASSERT_EQ(Cli({"role", "show", ra.role}, &out), 0) << out;
      permissions_[ra.role] = RolePermissions::Parse(out);
      ASSERT_FALSE(permissions_[ra.role].empty()) << ra.role << ": " << out;
      const std::string org = std::string(ra.org) == kWholeRegion ? kWholeRegion : orgs_[ra.org];
      users_[ra.role] = LoginUser(StrCat("u_", ra.role), ra.role, org);
      ASSERT_FALSE(users_[ra.role].cookie.empty()) << ra.role;
    }
  }

  // Role x type: requests expected (and seen) allowed / denied, over relations x actions.
  void PrintSummary(const std::vector<size_t>& role_indexes) {
    auto pad = [](std::string s, size_t width) {
      s.resize(std::max(width, s.size()), ' ');
      return s;
    };
    std::string table = "authorization matrix, allowed/denied per role x type:\n" + pad("role", 21);
    for (const std::string& type : Types()) table += pad(type.substr(0, 8), 9);
    table.push_back('\n');
    for (size_t i : role_indexes) {
      table += pad(kRoles[i].role, 21);
      for (const std::string& type : Types()) {
        const Tally& t = tally_[kRoles[i].role][type];
        table += pad(StrCat(t.allowed, "/", t.denied), 9);
      }
      table.push_back('\n');
    }
    std::cout << table << std::flush;
  }

  // AuditEvent records of one actor for /fhir requests, read by the bootstrap client (whose
  // own requests are recorded under its client id, not the actor's).
  json::Value AuditOf(const std::string& login, const std::string& extra = "") {
    HttpResult r = client().Get(StrCat(
        "/fhir/AuditEvent?agent=", login,
        "&subtype=read,search,create,update,delete,break-glass&_count=1000", extra));
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r);
  }
  static size_t EntryCount(const json::Value& bundle) {
    const json::Value* e = bundle.Find("entry");
    return e != nullptr && e->is_array() ? e->as_array().size() : 0;
  }
  // Records reach the chain about a millisecond after the answer: wait for `want` of them.
  size_t AuditCountReaching(const std::string& login, size_t want) {
    size_t n = 0;
    for (int i = 0; i < 200; ++i) {
      n = EntryCount(AuditOf(login));
      if (n >= want) return n;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return n;
  }

  std::vector<size_t> AllRoles() const {
    std::vector<size_t> all(kRoles.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  const Resident& ResidentNamed(const std::string& key) const {
    for (const Resident& r : residents_) {
      if (r.key == key) return r;
    }
    return residents_.front();
  }

  TempDir config_dir_;
  std::map<std::string, std::string> orgs_;  // key → Organization id
  std::string practitioner_;
  std::vector<Resident> residents_;
  std::map<std::string, RolePermissions> permissions_;
  std::map<std::string, WebUser> users_;  // by role
  std::map<std::string, size_t> requests_;  // /fhir requests sent, by login
  std::map<std::string, std::map<std::string, Tally>> tally_;  // role → type → counts
};

TEST_P(AuthorizationMatrixTest, EveryRoleRelationTypeAndAction) {
  const std::vector<size_t> roles = AllRoles();
  ASSERT_NO_FATAL_FAILURE(LoginEveryRole(roles));
  auto start = std::chrono::steady_clock::now();
  RunMatrix({Action::kRead, Action::kSearch}, roles);
  RunMatrix({Action::kCreate, Action::kUpdate, Action::kDelete}, roles);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  PrintSummary(roles);
  size_t total = 0;
  for (const auto& [login, n] : requests_) total += n;
  std::cout << total << " requests in " << took.count() << " s\n";

  // Every request, allowed or denied, left one audit record under its user.
  for (const auto& [login, n] : requests_) {
    EXPECT_EQ(AuditCountReaching(login, n), n) << login;
  }
}

TEST_P(AuthorizationMatrixTest, BreakTheGlassIsForClinicalRolesReadOnlyAndAudited) {
  const std::vector<size_t> roles = AllRoles();
  ASSERT_NO_FATAL_FAILURE(LoginEveryRole(roles));
  const WebUser& doctor = users_["doctor"];  // at T: pD (county D) is outside
  const Resident& outside = ResidentNamed("pD");
  const std::string target = StrCat("/fhir/Patient/", outside.id);
  const std::string reason = "急诊抢救 unconscious on arrival";
  const std::string encoded =
      "%E6%80%A5%E8%AF%8A%E6%8A%A2%E6%95%91%20unconscious%20on%20arrival";

  EXPECT_EQ(Send(doctor, "GET", target).status, 403);
  HttpResult opened = Send(doctor, "GET", target, "", {{"X-Break-Glass-Reason", encoded}});
  EXPECT_EQ(opened.status, 200) << opened.body;
  const json::Value opened_patient = Json(opened);
  const std::string* opened_id = opened_patient.FindString("id");
  EXPECT_EQ(opened_id == nullptr ? "" : *opened_id, outside.id);
  // The glass opens records for reading only.
  HttpResult write = Send(doctor, "POST", "/fhir/Observation",
                          ResourceJson("Observation", outside), {{"X-Break-Glass-Reason", encoded}});
  EXPECT_EQ(write.status, 403) << write.body;
  // The cashier's role holds no $break-glass: a reason does not help.
  HttpResult cashier = Send(users_["cashier"], "GET", target, "", {{"X-Break-Glass-Reason", encoded}});
  EXPECT_EQ(cashier.status, 403) << cashier.body;

  // The CLI lists the access with the decoded reason (committed before the 200 was sent).
  std::string out;
  ASSERT_EQ(Cli({"audit", "list", "--action", "break-glass"}, &out), 0) << out;
  bool found = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\tu_doctor\t") != std::string::npos &&
        line.find(StrCat("\tPatient/", outside.id, "\t200\t")) != std::string::npos &&
        line.ends_with(reason)) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << out;
  // And the FHIR view, for the system administrator's session.
  HttpResult events =
      Send(users_["system_admin"], "GET", "/fhir/AuditEvent?subtype=break-glass&agent=u_doctor");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_NE(events.body.find(StrCat("\"text\":\"", reason, "\"")), std::string::npos) << events.body;
  EXPECT_NE(events.body.find("\"code\":\"BTG\""), std::string::npos) << events.body;
  // The doctor's two break-glass records: the read (200) and the refused write (403).
  EXPECT_EQ(EntryCount(Json(events)), 2u) << events.body;
}

TEST_P(AuthorizationMatrixTest, MaskingFollowsUnmaskAndEachRequestIsAudited) {
  const std::vector<size_t> roles = AllRoles();
  ASSERT_NO_FATAL_FAILURE(LoginEveryRole(roles));
  const Resident& own = ResidentNamed("pV1");
  const std::string target = StrCat("/fhir/Patient/", own.id);
  const WebUser& cashier = users_["cashier"];  // at T, no $unmask; pV1 is below T

  const size_t before = AuditCountReaching(cashier.login, 0);
  HttpResult masked = Send(cashier, "GET", target);
  ASSERT_EQ(masked.status, 200) << masked.body;
  EXPECT_NE(masked.body.find(kMaskedResidentId), std::string::npos) << masked.body;
  EXPECT_NE(masked.body.find(kMaskedPhone), std::string::npos) << masked.body;
  EXPECT_EQ(masked.body.find(kResidentId), std::string::npos) << masked.body;
  EXPECT_EQ(masked.body.find(kPhone), std::string::npos) << masked.body;
  EXPECT_NE(masked.body.find("\"MASKED\""), std::string::npos) << masked.body;
  // Searches are masked alike.
  HttpResult searched = Send(cashier, "GET", StrCat("/fhir/Patient?_id=", own.id));
  ASSERT_EQ(searched.status, 200);
  EXPECT_NE(searched.body.find(kMaskedResidentId), std::string::npos) << searched.body;
  EXPECT_EQ(searched.body.find(kPhone), std::string::npos) << searched.body;

  HttpResult full = Send(users_["doctor"], "GET", target);
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_NE(full.body.find(kResidentId), std::string::npos) << full.body;
  EXPECT_NE(full.body.find(kPhone), std::string::npos) << full.body;
  EXPECT_EQ(full.body.find("\"MASKED\""), std::string::npos) << full.body;

  // The cashier's two requests are two more records; the read names who, as what, where and
  // whose record.
  EXPECT_EQ(AuditCountReaching(cashier.login, before + 2), before + 2);
  // Only the read names the patient (a search may match several).
  json::Value reads = AuditOf(cashier.login, StrCat("&patient=Patient/", own.id));
  const json::Value* entries = reads.Find("entry");
  ASSERT_TRUE(entries != nullptr && entries->is_array() && entries->as_array().size() == 1)
      << json::Serialize(reads);
  const std::string read = json::Serialize(*entries->as_array().front().Find("resource"));
  EXPECT_NE(read.find(R"("who":{"identifier":{"value":"u_cashier"})"), std::string::npos) << read;
  EXPECT_NE(read.find(R"("role":[{"text":"cashier"}])"), std::string::npos) << read;
  EXPECT_NE(read.find(StrCat(R"("valueString":")", orgs_["T"], "\"")), std::string::npos) << read;
  EXPECT_NE(read.find(StrCat(R"("what":{"reference":"Patient/)", own.id, "\"")), std::string::npos)
      << read;
  EXPECT_NE(read.find(R"("subtype":[{"system":"https://rhip.cn/fhir/CodeSystem/audit-action","code":"read"}])"),
            std::string::npos)
      << read;
  EXPECT_NE(read.find(R"("outcomeDesc":"200")"), std::string::npos) << read;
}

// Regression: a PATCH entry of a transaction was checked only on the resource as it was, so a
// restricted user could re-point an in-scope record to a resident outside the org units —
// what PUT, POST and a single PATCH refuse. And a single PATCH applied the patch before
// checking the resource's scope, so a JSON Patch "test" answered 422 or 403 depending on the
// content of a record outside the scope.
TEST_P(AuthorizationMatrixTest, RestrictedPatchChecksTheNewContent) {
  const WebUser doctor = LoginUser("patching_doctor", "village_doctor", orgs_["V1"]);
  ASSERT_FALSE(doctor.cookie.empty());
  const Resident& own = ResidentNamed("pV1");
  const std::vector<std::pair<std::string, std::string>> json_patch = {
      {"Content-Type", "application/json-patch+json"}};
  const std::string observation = StrCat("/fhir/Observation/", own.ids.at("Observation"));
  for (const char* other : {"pD", "pDeny", "pV2"}) {
    HttpResult moved = AsUser(
        doctor, "PATCH", observation,
        StrCat(R"([{"op":"replace","path":"/subject/reference","value":"Patient/)",
               ResidentNamed(other).id, R"("}])"),
        json_patch);
    EXPECT_EQ(moved.status, 403) << other << ": " << moved.body;
  }
  HttpResult away = AsUser(
      doctor, "PATCH", StrCat("/fhir/Patient/", own.id),
      StrCat(R"([{"op":"replace","path":"/managingOrganization/reference","value":"Organization/)",
             orgs_["D"], R"("}])"),
      json_patch);
  EXPECT_EQ(away.status, 403) << away.body;
  // The same in a transaction (FHIRPath Patch).
  HttpResult bundle = AsUser(
      doctor, "POST", "/fhir",
      StrCat(R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH",)"
             R"("url":"Observation/)", own.ids.at("Observation"), R"("},"resource":{"resourceType":)"
             R"("Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":)"
             R"("replace"},{"name":"path","valueString":"Observation.subject"},{"name":"value",)"
             R"("valueReference":{"reference":"Patient/)", ResidentNamed("pD").id, R"("}}]}]}}]})"));
  EXPECT_EQ(bundle.status, 403) << bundle.body;
  // Outside the scope every patch is 403, whether its "test" holds or not.
  for (const char* gender : {"female", "male"}) {
    HttpResult probe =
        AsUser(doctor, "PATCH", StrCat("/fhir/Patient/", ResidentNamed("pD").id),
               StrCat(R"([{"op":"test","path":"/gender","value":")", gender, R"("}])"), json_patch);
    EXPECT_EQ(probe.status, 403) << gender << ": " << probe.body;
  }
  // Nothing moved, and a patch inside the scope still works.
  HttpResult stored = client().Get(observation);
  EXPECT_NE(stored.body.find(StrCat("Patient/", own.id)), std::string::npos) << stored.body;
  HttpResult ok = AsUser(doctor, "PATCH", observation,
                         R"([{"op":"replace","path":"/status","value":"amended"}])", json_patch);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

// Regression: a role with Patient 'u' but no `$unmask` (nurse) read a masked Patient and PUT it
// back, which stored "1101**********1234", "138****5678" and "***" over the resident's real
// ID number, phone and address. A masked copy (meta.security MASKED) is now refused (422).
TEST_P(AuthorizationMatrixTest, MaskedCopyIsNotWrittenBack) {
  const WebUser nurse = LoginUser("masked_nurse", "nurse", orgs_["T"]);
  ASSERT_FALSE(nurse.cookie.empty());
  const Resident& own = ResidentNamed("pV1");
  const std::string target = StrCat("/fhir/Patient/", own.id);
  HttpResult read = AsUser(nurse, "GET", target);
  ASSERT_EQ(read.status, 200) << read.body;
  ASSERT_NE(read.body.find(kMaskedResidentId), std::string::npos) << read.body;
  HttpResult put = AsUser(nurse, "PUT", target, read.body);
  EXPECT_EQ(put.status, 422) << put.body;
  HttpResult bundle = AsUser(
      nurse, "POST", "/fhir",
      StrCat(R"({"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"PUT","url":"Patient/)",
             own.id, R"("},"resource":)", read.body, "}]}"));
  EXPECT_EQ(bundle.status, 422) << bundle.body;
  HttpResult stored = client().Get(target);
  EXPECT_NE(stored.body.find(kResidentId), std::string::npos) << stored.body;
  EXPECT_NE(stored.body.find(kPhone), std::string::npos) << stored.body;
  EXPECT_NE(stored.body.find("东华门街道1号"), std::string::npos) << stored.body;
  EXPECT_NE(stored.body.find(R"("versionId":"1")"), std::string::npos) << stored.body;
  // An edit of the unmasked fields works with a JSON Patch, which never carries masked values.
  HttpResult patched = AsUser(nurse, "PATCH", target,
                              R"([{"op":"replace","path":"/gender","value":"female"}])",
                              {{"Content-Type", "application/json-patch+json"}});
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_NE(client().Get(target).body.find(kResidentId), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthorizationMatrixTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
