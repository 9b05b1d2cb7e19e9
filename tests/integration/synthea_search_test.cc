// Synthea patient bundles (../shared/data/synthea-r4-dev.tar.xz) loaded through POST /fhir, then
// search totals compared with counts computed independently from the raw bundle JSON (a plain
// walk of the entries here; neither the server nor rhip's search code is used for the
// expectations).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/testing/paths.h"
#include "gtest/gtest.h"
#include "tests/integration/server_fixture.h"

namespace rhip::testing {
namespace {

namespace fs = std::filesystem;

// Every Nth patient bundle (by sorted file name, so deterministic) is loaded, and both batch
// bundles always, so that one engine's run stays within about 90 s on a loaded 2-core machine:
// all 183 bundles (77,495 entries) took 78 s on SQLite and 334 s on PostgreSQL there.
constexpr int kSqliteStride = 2;
constexpr int kPostgresStride = 12;

// The archive extracted into a temporary directory, removed on destruction.
class SyntheaArchive {
 public:
  SyntheaArchive() {
    fs::path archive = fs::path(SharedDataDir()) / "synthea-r4-dev.tar.xz";
    if (!fs::exists(archive)) return;
    std::string dir = (fs::temp_directory_path() / "rhip-synthea-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) return;
    std::string command = "tar xJf '" + archive.string() + "' -C '" + dir + "'";
    if (std::system(command.c_str()) != 0) {
      fs::remove_all(dir);
      return;
    }
    dir_ = dir;
  }
  ~SyntheaArchive() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool ok() const { return !dir_.empty(); }

  // The two batch bundles of organizations/practitioners first (the patient bundles refer to
  // them conditionally), then every kPatientBundleStride-th patient bundle of each source.
  std::vector<std::string> BundlesToLoad(int stride) const {
    std::vector<std::string> batch, patients;
    for (const char* sub : {"fhir-data-pipes-synthea-hiv", "smart-on-fhir-r4/dev"}) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(fs::path(dir_) / sub)) {
        if (e.path().extension() == ".json") files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
      int n = 0;
      for (const std::string& f : files) {
        std::string name = fs::path(f).filename().string();
        if (name.find("Information") != std::string::npos) {
          batch.push_back(f);
        } else if (n++ % stride == 0) {
          patients.push_back(f);
        }
      }
    }
    batch.insert(batch.end(), patients.begin(), patients.end());
    return batch;
  }

 private:
  std::string dir_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Str(const json::Value* v) {
  return v != nullptr && v->is_string() ? v->as_string() : "";
}

// "system|code" of every coding of a CodeableConcept.
std::set<std::string> Codes(const json::Value* codeable) {
  std::set<std::string> out;
  if (codeable == nullptr) return out;
  if (const json::Value* codings = codeable->Find("coding");
      codings != nullptr && codings->is_array()) {
    for (const json::Value& c : codings->as_array())
      out.insert(Str(c.Find("system")) + "|" + Str(c.Find("code")));
  }
  return out;
}

// A FHIR dateTime with seconds and zone ("2015-03-01T10:00:00-05:00") as UTC seconds since the
// epoch; nullopt for other forms (the expectations below then fail loudly).
std::optional<int64_t> UtcSeconds(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  size_t zone = 19;
  if (s[zone] == '.') {
    zone = s.find_first_of("Z+-", zone);
    if (zone == std::string::npos) return std::nullopt;
  }
  int64_t offset = 0;
  if (s[zone] != 'Z') {
    int oh, om;
    if (std::sscanf(s.c_str() + zone + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (s[zone] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  auto days = std::chrono::sys_days{std::chrono::year{y} / mo / d}.time_since_epoch().count();
  return int64_t{days} * 86400 + h * 3600 + mi * 60 + sec - offset;
}

constexpr int64_t kUtc2015 = 1420070400;             // 2015-01-01T00:00:00Z
constexpr int64_t kUtc2010 = 1262304000;             // 2010-01-01T00:00:00Z
constexpr int64_t kCst2016 = 1451606400 - 8 * 3600;  // 2016-01-01T00:00:00+08:00
constexpr int64_t kCst2017 = 1483228800 - 8 * 3600;  // 2017-01-01T00:00:00+08:00

// What the raw bundles say, reduced to what the queries need. References are fullUrls.
struct Facts {
  struct Patient {
    std::string gender, birth_date, server_id;
  };
  struct Observation {
    std::set<std::string> codes, categories;
    std::string subject;
    bool has_quantity = false;
    double value = 0;
    std::string unit_system, unit_code;
  };
  struct Encounter {
    std::string subject, server_id;
    std::optional<int64_t> start, end;
  };
  std::map<std::string, Patient> patients;  // by fullUrl
  std::vector<std::string> patient_order;   // fullUrls in load order
  std::vector<Observation> observations;
  std::vector<std::pair<std::set<std::string>, std::string>> conditions;  // codes, subject
  std::vector<Encounter> encounters;
  std::map<std::string, int> medication_request_status;
  std::map<std::string, int> immunization_codes;
};

// The server id from a response location such as "Patient/12/_history/1" or an absolute URL.
std::string IdFromLocation(const std::string& location, const std::string& type) {
  size_t at = location.find(type + "/");
  if (at == std::string::npos) return "";
  std::string rest = location.substr(at + type.size() + 1);
  return rest.substr(0, rest.find('/'));
}

// Records one entry of a loaded bundle; `response` is the matching response entry.
void Collect(const json::Value& entry, const json::Value& response, Facts* facts) {
  const json::Value* r = entry.Find("resource");
  std::string type = Str(r->Find("resourceType"));
  std::string full_url = Str(entry.Find("fullUrl"));
  std::string location =
      Str(response.Find("response") ? response.Find("response")->Find("location") : nullptr);
  auto subject = [&](const char* member) {
    const json::Value* ref = r->Find(member);
    return ref != nullptr ? Str(ref->Find("reference")) : "";
  };
  if (type == "Patient") {
    facts->patients[full_url] = {Str(r->Find("gender")), Str(r->Find("birthDate")),
                                 IdFromLocation(location, type)};
    facts->patient_order.push_back(full_url);
  } else if (type == "Observation") {
    Facts::Observation o;
    o.codes = Codes(r->Find("code"));
    if (const json::Value* cats = r->Find("category"); cats != nullptr && cats->is_array()) {
      for (const json::Value& c : cats->as_array()) {
        for (const std::string& code : Codes(&c)) o.categories.insert(code);
      }
    }
    o.subject = subject("subject");
    if (const json::Value* q = r->Find("valueQuantity");
        q != nullptr && q->Find("value") != nullptr) {
      o.has_quantity = true;
      o.value = std::strtod(q->Find("value")->as_number().text.c_str(), nullptr);
      o.unit_system = Str(q->Find("system"));
      o.unit_code = Str(q->Find("code"));
    }
    facts->observations.push_back(std::move(o));
  } else if (type == "Condition") {
    facts->conditions.emplace_back(Codes(r->Find("code")), subject("subject"));
  } else if (type == "Encounter") {
    Facts::Encounter e{subject("subject"), IdFromLocation(location, type), std::nullopt,
                       std::nullopt};
    if (const json::Value* p = r->Find("period")) {
      if (p->Find("start") != nullptr) e.start = UtcSeconds(Str(p->Find("start")));
      if (p->Find("end") != nullptr) e.end = UtcSeconds(Str(p->Find("end")));
    }
    facts->encounters.push_back(std::move(e));
  } else if (type == "MedicationRequest") {
    ++facts->medication_request_status[Str(r->Find("status"))];
  } else if (type == "Immunization") {
    for (const std::string& code : Codes(r->Find("vaccineCode"))) ++facts->immunization_codes[code];
  }
}

class SyntheaSearchTest : public ServerTest {
 protected:
  int64_t Total(const std::string& query) {
    std::string sep = query.find('?') == std::string::npos ? "?" : "&";
    HttpResult r = client().Get("/fhir/" + query + sep + "_summary=count");
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    json::Value b = Json(r);
    const json::Value* t = b.Find("total");
    EXPECT_NE(t, nullptr) << query << " -> " << r.body;
    return t != nullptr ? t->AsInt64().value_or(-1) : -1;
  }

  // The server's total for query equals the count from the bundles, which must not be 0 (a check
  // that 0 == 0 would prove nothing).
  void Check(const std::string& query, int64_t expected) {
    EXPECT_GT(expected, 0) << query << ": the loaded bundles have nothing to find";
    EXPECT_EQ(Total(query), expected) << query;
  }
};

TEST_P(SyntheaSearchTest, TotalsMatchCountsFromTheRawBundles) {
  SyntheaArchive archive;
  if (!archive.ok()) GTEST_SKIP() << "synthea-r4-dev.tar.xz is not available";
  Facts facts;
  auto started = std::chrono::steady_clock::now();
  int bundles = 0, entries = 0;
  for (const std::string& path :
       archive.BundlesToLoad(GetParam() == Engine::kSqlite ? kSqliteStride : kPostgresStride)) {
    std::string text = ReadFile(path);
    auto bundle = json::Parse(text);
    ASSERT_TRUE(bundle.ok()) << path << ": " << bundle.status();
    HttpResult r =
        client().Send("POST", "/fhir", text, {{"Content-Type", "application/fhir+json"}});
    ASSERT_EQ(r.status, 200) << path << ": " << r.body.substr(0, 2000);
    json::Value answer = Json(r);
    const json::Array& sent = bundle->Find("entry")->as_array();
    const json::Value* got = answer.Find("entry");
    ASSERT_TRUE(got != nullptr && got->is_array() && got->as_array().size() == sent.size()) << path;
    for (size_t i = 0; i < sent.size(); ++i) {
      const json::Value& response = got->as_array()[i];
      const json::Value* resp = response.Find("response");
      std::string status = resp != nullptr ? Str(resp->Find("status")) : "";
      ASSERT_TRUE(!status.empty() && status[0] == '2')
          << path << " entry " << i << ": " << status << " "
          << (resp != nullptr && resp->Find("outcome") ? json::Serialize(*resp->Find("outcome"))
                                                       : "");
      Collect(sent[i], response, &facts);
      ++entries;
    }
    ++bundles;
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "loaded " << bundles << " bundles, " << entries << " entries in " << load_s
            << " s\n";
  ASSERT_FALSE(facts.patient_order.empty());

  auto patient_of = [&](const std::string& ref) -> const Facts::Patient* {
    auto it = facts.patients.find(ref);
    return it == facts.patients.end() ? nullptr : &it->second;
  };

  // Patients: count, gender, birth date (full dates compare as text; lt1970 means born before
  // 1970-01-01 in the same zone).
  int64_t female = 0, before_1970 = 0;
  for (const auto& [url, p] : facts.patients) {
    ASSERT_FALSE(p.server_id.empty()) << url;
    female += p.gender == "female";
    before_1970 += !p.birth_date.empty() && p.birth_date < "1970-01-01";
  }
  Check("Patient", static_cast<int64_t>(facts.patients.size()));
  Check("Patient?gender=female", female);
  Check("Patient?birthdate=lt1970", before_1970);

  // Observations: body height by code, with a quantity threshold in the bundle's unit, per patient,
  // chained to the patient's gender, by category.
  const std::string height = "http://loinc.org|8302-2";
  const std::string cm = "http://unitsofmeasure.org|cm";
  const std::string vital =
      "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs";
  const std::string& first_patient = facts.patient_order.front();
  int64_t heights = 0, tall = 0, male_heights = 0, first_patient_obs = 0, vitals = 0;
  for (const Facts::Observation& o : facts.observations) {
    bool is_height = o.codes.count(height) > 0;
    heights += is_height;
    vitals += o.categories.count(vital) > 0;
    first_patient_obs += o.subject == first_patient;
    const Facts::Patient* p = patient_of(o.subject);
    if (is_height && p != nullptr && p->gender == "male") ++male_heights;
    if (is_height && o.has_quantity && o.unit_system + "|" + o.unit_code == cm) {
      // 175.00 stands for [174.995, 175.005]; a value that close would make gt ambiguous.
      if (o.value > 174.99 && o.value < 175.01)
        ADD_FAILURE() << "height " << o.value << " too close to 175.00";
      tall += o.value > 175.01;
    }
  }
  Check("Observation?code=http://loinc.org%7C8302-2", heights);
  Check(
      "Observation?code=http://loinc.org%7C8302-2&value-quantity=gt175.00%7Chttp://"
      "unitsofmeasure.org%7Ccm",
      tall);
  Check("Observation?patient=Patient/" + facts.patients[first_patient].server_id,
        first_patient_obs);
  Check("Observation?subject:Patient.gender=male&code=http://loinc.org%7C8302-2", male_heights);
  Check(
      "Observation?category=http://terminology.hl7.org/CodeSystem/"
      "observation-category%7Cvital-signs",
      vitals);

  // Conditions by SNOMED code (viral sinusitis, the most common in the data), and the patients
  // having one (reverse chaining).
  const std::string sinusitis = "http://snomed.info/sct|444814009";
  int64_t sinusitis_conditions = 0;
  std::set<std::string> sinusitis_patients;
  for (const auto& [codes, subject] : facts.conditions) {
    if (codes.count(sinusitis) == 0) continue;
    ++sinusitis_conditions;
    sinusitis_patients.insert(subject);
  }
  Check("Condition?code=http://snomed.info/sct%7C444814009", sinusitis_conditions);
  Check("Patient?_has:Condition:patient:code=444814009",
        static_cast<int64_t>(sinusitis_patients.size()));

  // Encounter.period: every one has start and end with seconds and a zone. With a search value
  // at second precision, ge matches periods ending after it, lt periods starting before it; eq
  // with a year (no zone: China Standard Time) matches periods wholly inside that year.
  int64_t ends_after_2015 = 0, starts_before_2010 = 0, inside_2016_cst = 0;
  for (const Facts::Encounter& e : facts.encounters) {
    ASSERT_TRUE(e.start.has_value() && e.end.has_value()) << "encounter without a parsed period";
    if (*e.end == kUtc2015 || *e.start == kUtc2010)
      ADD_FAILURE() << "period bound on a search boundary";
    ends_after_2015 += *e.end > kUtc2015;
    starts_before_2010 += *e.start < kUtc2010;
    inside_2016_cst += *e.start >= kCst2016 && *e.end < kCst2017;
  }
  Check("Encounter?date=ge2015-01-01T00:00:00Z", ends_after_2015);
  Check("Encounter?date=lt2010-01-01T00:00:00Z", starts_before_2010);
  Check("Encounter?date=2016", inside_2016_cst);

  std::cout << "expected: patients " << facts.patients.size() << ", female " << female
            << ", born before 1970 " << before_1970 << ", heights " << heights << " (> 175 cm "
            << tall << ", of men " << male_heights << "), first patient's observations "
            << first_patient_obs << ", vital signs " << vitals << ", sinusitis "
            << sinusitis_conditions << " in " << sinusitis_patients.size()
            << " patients, encounters ending after 2015 " << ends_after_2015
            << ", starting before 2010 " << starts_before_2010 << ", inside 2016 "
            << inside_2016_cst << ", active MedicationRequests "
            << facts.medication_request_status["active"] << ", CVX 140 "
            << facts.immunization_codes["http://hl7.org/fhir/sid/cvx|140"] << "\n";
  Check("MedicationRequest?status=active", facts.medication_request_status["active"]);
  Check("Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx%7C140",
        facts.immunization_codes["http://hl7.org/fhir/sid/cvx|140"]);

  // _total=accurate on a normal page agrees with _summary=count.
  {
    HttpResult r =
        client().Get("/fhir/Observation?code=http://loinc.org%7C8302-2&_total=accurate&_count=5");
    ASSERT_EQ(r.status, 200) << r.body;
    json::Value b = Json(r);
    ASSERT_NE(b.Find("total"), nullptr);
    EXPECT_EQ(b.Find("total")->AsInt64().value_or(-1), heights);
  }

  // _include: an encounter brings exactly its patient.
  const Facts::Encounter& encounter = facts.encounters.front();
  const Facts::Patient* encounter_patient = patient_of(encounter.subject);
  ASSERT_NE(encounter_patient, nullptr) << encounter.subject;
  HttpResult r =
      client().Get("/fhir/Encounter?_id=" + encounter.server_id + "&_include=Encounter:subject");
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value b = Json(r);
  std::vector<std::string> matches, includes;
  if (const json::Value* es = b.Find("entry")) {
    for (const json::Value& e : es->as_array()) {
      std::string mode = Str(e.Find("search") ? e.Find("search")->Find("mode") : nullptr);
      std::string id =
          Str(e.Find("resource")->Find("resourceType")) + "/" + Str(e.Find("resource")->Find("id"));
      (mode == "include" ? includes : matches).push_back(id);
    }
  }
  EXPECT_EQ(matches, std::vector<std::string>{"Encounter/" + encounter.server_id});
  EXPECT_EQ(includes, std::vector<std::string>{"Patient/" + encounter_patient->server_id});
}

INSTANTIATE_TEST_SUITE_P(Engines, SyntheaSearchTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace rhip::testing
