#include "bench/search/population.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "absl/strings/str_format.h"
#include "core/strings.h"

namespace rhip::bench {
namespace {

struct Name {
  const char* han;
  const char* pinyin;
};

// The most common surnames (about 30 % of the population) and common given names.
constexpr Name kSurnames[] = {
    {"王", "wang"}, {"李", "li"},   {"张", "zhang"}, {"刘", "liu"},  {"陈", "chen"},
    {"杨", "yang"}, {"黄", "huang"}, {"赵", "zhao"},  {"吴", "wu"},   {"周", "zhou"},
    {"徐", "xu"},   {"孙", "sun"},  {"马", "ma"},    {"朱", "zhu"},  {"胡", "hu"},
    {"郭", "guo"},  {"何", "he"},   {"高", "gao"},   {"林", "lin"},  {"罗", "luo"}};
constexpr Name kGiven[] = {
    {"伟", "wei"},     {"芳", "fang"},     {"娜", "na"},       {"秀英", "xiuying"},
    {"敏", "min"},     {"静", "jing"},     {"丽", "li"},       {"强", "qiang"},
    {"磊", "lei"},     {"军", "jun"},      {"洋", "yang"},     {"勇", "yong"},
    {"艳", "yan"},     {"杰", "jie"},      {"娟", "juan"},     {"涛", "tao"},
    {"明", "ming"},    {"超", "chao"},     {"秀兰", "xiulan"}, {"霞", "xia"},
    {"平", "ping"},    {"刚", "gang"},     {"桂英", "guiying"}, {"建华", "jianhua"},
    {"建国", "jianguo"}, {"志强", "zhiqiang"}, {"海燕", "haiyan"}, {"丹", "dan"}};

struct Code {
  const char* code;
  const char* display;
  const char* unit;
  double mean;
  double sd;
};

constexpr Code kVitals[] = {{"8867-4", "Heart rate", "/min", 76, 10},
                            {"8310-5", "Body temperature", "Cel", 36.6, 0.3},
                            {"29463-7", "Body weight", "kg", 65, 11},
                            {"8302-2", "Body height", "cm", 165, 8},
                            {"39156-5", "Body mass index", "kg/m2", 23.5, 3}};
constexpr Code kLabs[] = {{"2339-0", "Glucose [Mass/volume] in Blood", "mmol/L", 5.6, 1.2},
                          {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 5.8, 0.9},
                          {"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mmol/L", 4.9, 0.9},
                          {"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "umol/L", 75, 18},
                          {"718-7", "Hemoglobin [Mass/volume] in Blood", "g/L", 135, 15}};

struct Diagnosis {
  const char* system;
  const char* code;
  const char* display;
};

constexpr Diagnosis kOtherConditions[] = {
    {kIcd10, "J06.9", "急性上呼吸道感染"},
    {kIcd10, "K29.7", "胃炎"},
    {kIcd10, "M54.5", "腰痛"},
    {kIcd10, "E78.5", "高脂血症"},
    {"http://snomed.info/sct", "195967001", "Asthma"},
    {"http://snomed.info/sct", "35489007", "Depressive disorder"},
    {kIcd10, "N39.0", "泌尿道感染"},
    {kIcd10, "I25.1", "动脉粥样硬化性心脏病"}};

constexpr Diagnosis kMedications[] = {
    {"http://www.whocc.no/atc", "C08CA01", "氨氯地平"},   {"http://www.whocc.no/atc", "A10BA02", "二甲双胍"},
    {"http://www.whocc.no/atc", "C10AA05", "阿托伐他汀"}, {"http://www.whocc.no/atc", "N02BE01", "对乙酰氨基酚"},
    {"http://www.whocc.no/atc", "J01CA04", "阿莫西林"},   {"http://www.whocc.no/atc", "A02BC01", "奥美拉唑"}};

// The data's "now": the end of the 5 years the Observations span.
constexpr std::chrono::sys_days kEnd{std::chrono::year{2026} / 11 / 1};
constexpr int kSpanDays = 5 * 365;

std::string Day(std::chrono::sys_days d) {
  std::chrono::year_month_day ymd(d);
  return absl::StrFormat("%04d-%02d-%02d", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string DateTime(std::chrono::sys_days d, int minute_of_day) {
  return absl::StrFormat("%sT%02d:%02d:00+08:00", Day(d), minute_of_day / 60, minute_of_day % 60);
}

// Per-patient deterministic randomness.
class Rng {
 public:
  Rng(uint64_t seed, int patient) : gen_(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(patient)) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen_) < p; }
  double Normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(gen_); }
  std::chrono::sys_days RecentDay() { return kEnd - std::chrono::days(Int(0, kSpanDays - 1)); }

 private:
  std::mt19937_64 gen_;
};

std::string Uuid(uint64_t seed, int patient, int n) {
  return absl::StrFormat("urn:uuid:%08x-%04x-4000-8000-%012x", static_cast<uint32_t>(seed), n & 0xffff,
                         static_cast<uint64_t>(patient));
}

std::string Coding(const char* system, const char* code, const char* display) {
  return absl::StrFormat(R"({"coding":[{"system":"%s","code":"%s","display":"%s"}]})", system, code,
                         display);
}

std::string Category(const char* code) {
  return absl::StrFormat(
      R"([{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"%s"}]}])",
      code);
}

std::string Quantity(double value, const char* unit, int decimals) {
  return absl::StrFormat(R"({"value":%.*f,"unit":"%s","system":"http://unitsofmeasure.org","code":"%s"})",
                         decimals, value, unit, unit);
}

// Appends a POST entry of `resource` (a JSON object without its closing brace's context).
void AddEntry(std::string* out, size_t* entries, const std::string& full_url, std::string_view type,
              std::string_view resource) {
  if (*entries > 0) out->push_back(',');
  StrAppend(out, R"({"fullUrl":")", full_url, R"(","resource":)", resource,
            R"(,"request":{"method":"POST","url":")", type, R"("}})");
  ++*entries;
}

struct Person {
  const Name* family;
  const Name* given;
  bool female;
  std::chrono::sys_days birth;
  int organization;
  bool hypertension;
  bool diabetes;
};

Person PersonOf(uint64_t seed, int i, int organizations) {
  Rng rng(seed, i);
  Person p;
  p.family = &kSurnames[rng.Int(0, std::size(kSurnames) - 1)];
  p.given = &kGiven[rng.Int(0, std::size(kGiven) - 1)];
  p.female = rng.Chance(0.49);
  p.birth = kEnd - std::chrono::days(rng.Int(0, 95 * 365));
  p.organization = rng.Int(0, organizations - 1);
  const bool adult = (kEnd - p.birth).count() >= 18 * 365;
  p.hypertension = adult && rng.Chance(0.27);
  p.diabetes = adult && rng.Chance(0.11);
  return p;
}

std::string ResidentId(const Person& p, int i) {
  std::chrono::year_month_day ymd(p.birth);
  // Region (Shenzhen districts), birth date, sequence; the check character is not computed.
  return absl::StrFormat("4403%02d%04d%02u%02u%03d%c", i % 7, static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                         (i / 7) % 1000 / 2 * 2 + (p.female ? 0 : 1), "0123456789X"[i % 11]);
}

template <size_t N>
std::vector<std::string> CodesOf(const Code (&codes)[N]) {
  std::vector<std::string> v;
  for (const Code& c : codes) v.push_back(c.code);
  return v;
}

}  // namespace

const std::vector<std::string>& LabCodes() {
  static const auto* codes = new std::vector<std::string>(CodesOf(kLabs));
  return *codes;
}

const std::vector<std::string>& VitalCodes() {
  static const auto* codes = new std::vector<std::string>(CodesOf(kVitals));
  return *codes;
}

Population::Population(int patients, uint64_t seed, int organizations)
    : patients_(patients), seed_(seed), organizations_(organizations) {}

std::string Population::OrganizationsBundle() const {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  size_t entries = 0;
  for (int i = 0; i < organizations_; ++i) {
    AddEntry(&out, &entries, Uuid(seed_, i, 0xffff), "Organization",
             absl::StrFormat(
                 R"({"resourceType":"Organization","active":true,"identifier":[{"system":"https://rhip.cn/fhir/sid/org","value":"ORG%03d"}],"name":"第%d社区卫生服务中心"})",
                 i, i + 1));
  }
  out += "]}";
  return out;
}

PatientFacts Population::Facts(int i) const {
  const Person p = PersonOf(seed_, i, organizations_);
  PatientFacts f;
  f.resident_id = ResidentId(p, i);
  f.family_pinyin = p.family->pinyin;
  f.initials = StrCat(std::string(1, p.family->pinyin[0]), std::string(1, p.given->pinyin[0]));
  f.lab_code = kLabs[i % std::size(kLabs)].code;
  f.organization = p.organization;
  return f;
}

Population::Bundle Population::MakeBundle(int b, const std::vector<std::string>& organization_ids) const {
  Bundle bundle;
  std::string& out = bundle.text;
  out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  const int first = b * kPatientsPerBundle;
  const int last = std::min(patients_, first + kPatientsPerBundle);
  for (int i = first; i < last; ++i) {
    const Person p = PersonOf(seed_, i, organizations_);
    Rng rng(seed_ ^ 0x5bd1e995ULL, i);  // the resources' own stream
    int n = 0;
    const std::string patient_url = Uuid(seed_, i, n++);
    bundle.patient_entries.push_back(bundle.entries);
    bundle.patients.push_back(i);
    AddEntry(&out, &bundle.entries, patient_url, "Patient",
             absl::StrFormat(
                 R"({"resourceType":"Patient","identifier":[{"system":"%s","value":"%s"}],)"
                 R"("name":[{"use":"official","text":"%s%s","family":"%s","given":["%s"]}],)"
                 R"("gender":"%s","birthDate":"%s","managingOrganization":{"reference":"Organization/%s"}})",
                 kResidentIdSystem, ResidentId(p, i), p.family->han, p.given->han, p.family->han,
                 p.given->han, p.female ? "female" : "male", Day(p.birth),
                 organization_ids.at(p.organization)));
    const std::string subject = absl::StrFormat(R"("subject":{"reference":"%s"})", patient_url);

    // Encounters: visits spread over the 5 years, an hour or two each.
    std::vector<std::pair<std::string, std::chrono::sys_days>> encounters;
    const int encounter_count = rng.Int(2, 4);
    for (int e = 0; e < encounter_count; ++e) {
      const auto day = rng.RecentDay();
      const int minute = rng.Int(8 * 60, 16 * 60);
      const std::string url = Uuid(seed_, i, n++);
      encounters.emplace_back(url, day);
      AddEntry(&out, &bundle.entries, url, "Encounter",
               absl::StrFormat(
                   R"({"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},)"
                   R"(%s,"period":{"start":"%s","end":"%s"},"serviceProvider":{"reference":"Organization/%s"}})",
                   subject, DateTime(day, minute), DateTime(day, minute + rng.Int(10, 90)),
                   organization_ids.at(p.organization)));
    }
    auto encounter_ref = [&] {
      return absl::StrFormat(R"("encounter":{"reference":"%s"})",
                             encounters[rng.Int(0, encounters.size() - 1)].first);
    };

    // Observations: the Patient's lab code (so patient+code queries find something), then a
    // mix of labs, vitals and blood-pressure panels.
    const int observation_count = rng.Int(8, 12);
    for (int o = 0; o < observation_count; ++o) {
      const auto day = rng.RecentDay();
      const std::string when = DateTime(day, rng.Int(7 * 60, 17 * 60));
      const int kind = o == 0 ? 0 : rng.Int(0, 9);
      std::string resource;
      if (kind < 4) {  // lab
        const Code& c = o == 0 ? kLabs[i % std::size(kLabs)] : kLabs[rng.Int(0, std::size(kLabs) - 1)];
        double mean = c.mean;
        if (p.diabetes && (c.code == std::string_view("2339-0") || c.code == std::string_view("4548-4"))) {
          mean *= 1.4;
        }
        resource = absl::StrFormat(
            R"({"resourceType":"Observation","status":"final","category":%s,"code":%s,%s,%s,"effectiveDateTime":"%s","valueQuantity":%s})",
            Category("laboratory"), Coding(kLoinc, c.code, c.display), subject, encounter_ref(), when,
            Quantity(std::max(0.1, rng.Normal(mean, c.sd)), c.unit, 1));
      } else if (kind < 7) {  // vital sign
        const Code& c = kVitals[rng.Int(0, std::size(kVitals) - 1)];
        resource = absl::StrFormat(
            R"({"resourceType":"Observation","status":"final","category":%s,"code":%s,%s,%s,"effectiveDateTime":"%s","valueQuantity":%s})",
            Category("vital-signs"), Coding(kLoinc, c.code, c.display), subject, encounter_ref(), when,
            Quantity(std::max(0.1, rng.Normal(c.mean, c.sd)), c.unit, 1));
      } else {  // blood pressure panel
        const double systolic = rng.Normal(p.hypertension ? 148 : 120, p.hypertension ? 15 : 12);
        const double diastolic = systolic * 0.65 + rng.Normal(0, 6);
        resource = absl::StrFormat(
            R"({"resourceType":"Observation","status":"final","category":%s,"code":%s,%s,%s,"effectiveDateTime":"%s","component":[)"
            R"({"code":%s,"valueQuantity":%s},{"code":%s,"valueQuantity":%s}]})",
            Category("vital-signs"), Coding(kLoinc, "85354-9", "Blood pressure panel"), subject,
            encounter_ref(), when, Coding(kLoinc, "8480-6", "Systolic blood pressure"),
            Quantity(systolic, "mm[Hg]", 0), Coding(kLoinc, "8462-4", "Diastolic blood pressure"),
            Quantity(diastolic, "mm[Hg]", 0));
      }
      AddEntry(&out, &bundle.entries, Uuid(seed_, i, n++), "Observation", resource);
    }

    // Conditions: hypertension and diabetes at their prevalence, plus one or two others.
    std::vector<const Diagnosis*> conditions;
    static constexpr Diagnosis kHypertension{kIcd10, "I10", "原发性高血压"};
    static constexpr Diagnosis kDiabetes{kIcd10, "E11", "2型糖尿病"};
    if (p.hypertension) conditions.push_back(&kHypertension);
    if (p.diabetes) conditions.push_back(&kDiabetes);
    const int others = rng.Int(1, 2) - (conditions.empty() ? 0 : 1);
    for (int c = 0; c < others; ++c) {
      conditions.push_back(&kOtherConditions[rng.Int(0, std::size(kOtherConditions) - 1)]);
    }
    for (const Diagnosis* d : conditions) {
      AddEntry(&out, &bundle.entries, Uuid(seed_, i, n++), "Condition",
               absl::StrFormat(
                   R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},)"
                   R"("code":%s,%s,"onsetDateTime":"%s","recordedDate":"%s"})",
                   Coding(d->system, d->code, d->display), subject, Day(rng.RecentDay()),
                   Day(rng.RecentDay())));
    }

    // MedicationRequests: the chronic conditions' drugs, else something short-term.
    std::vector<const Diagnosis*> medications;
    if (p.hypertension) medications.push_back(&kMedications[0]);
    if (p.diabetes) medications.push_back(&kMedications[1]);
    if (medications.empty() || rng.Chance(0.3)) {
      medications.push_back(&kMedications[rng.Int(2, std::size(kMedications) - 1)]);
    }
    for (const Diagnosis* m : medications) {
      AddEntry(&out, &bundle.entries, Uuid(seed_, i, n++), "MedicationRequest",
               absl::StrFormat(
                   R"({"resourceType":"MedicationRequest","status":"%s","intent":"order","medicationCodeableConcept":%s,%s,"authoredOn":"%s"})",
                   rng.Chance(0.7) ? "active" : "completed", Coding(m->system, m->code, m->display), subject,
                   Day(rng.RecentDay())));
    }
  }
  out += "]}";
  return bundle;
}

}  // namespace rhip::bench
