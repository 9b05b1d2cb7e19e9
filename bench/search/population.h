// A synthetic, deterministic regional population for the search benchmark: Organizations,
// then per Patient ~10 Observations (vitals, labs, blood-pressure panels), ~3 Encounters,
// ~2 Conditions and 1-2 MedicationRequests, as transaction Bundles of ~500 entries.
// Each Patient's resources come from its own seeded generator, so a Bundle can be made
// on any client thread and the data depends only on the seed and the patient index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rhip::bench {

inline constexpr char kResidentIdSystem[] = "urn:oid:2.16.156.10011.1.3";
inline constexpr char kLoinc[] = "http://loinc.org";
inline constexpr char kIcd10[] = "http://hl7.org/fhir/sid/icd-10";

// LOINC codes of the lab Observations (every Patient has at least one of the first).
const std::vector<std::string>& LabCodes();
// LOINC codes of the vital-sign Observations.
const std::vector<std::string>& VitalCodes();

// What the queries need to know about one generated Patient.
struct PatientFacts {
  std::string id;           // server id, from the transaction response
  std::string resident_id;  // identifier value in kResidentIdSystem
  std::string initials;     // pinyin initials of the name, e.g. "zw" for 张伟
  std::string family_pinyin;
  std::string lab_code;  // a LOINC code one of the Patient's Observations has
  int organization = 0;
};

class Population {
 public:
  Population(int patients, uint64_t seed, int organizations = 50);

  int patients() const { return patients_; }
  int organizations() const { return organizations_; }
  int bundles() const { return (patients_ + kPatientsPerBundle - 1) / kPatientsPerBundle; }

  // A transaction Bundle of the Organizations.
  std::string OrganizationsBundle() const;

  struct Bundle {
    std::string text;
    size_t entries = 0;
    std::vector<size_t> patient_entries;  // entry index of each Patient, in patient order
    std::vector<int> patients;            // their population indexes
  };
  // Transaction Bundle `b`: its Patients and their resources (~500 entries), referring to
  // the Organizations by their server ids.
  Bundle MakeBundle(int b, const std::vector<std::string>& organization_ids) const;

  // The facts of patient i (id left empty).
  PatientFacts Facts(int i) const;

  static constexpr int kPatientsPerBundle = 29;  // ~17 resources each

 private:
  int patients_;
  uint64_t seed_;
  int organizations_;
};

}  // namespace rhip::bench
