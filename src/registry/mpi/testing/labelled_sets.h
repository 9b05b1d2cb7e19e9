// Data sets with known truth for measuring the MPI's linkage quality: the public FEBRL and Splink
// sets in shared/data/mpi (shared/data/README.md) and the synthetic Chinese residents, plus the
// pairwise precision / recall / F1 of a clustering against the truth.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "registry/mpi/person_record.h"
#include "registry/mpi/testing/synthetic_residents.h"

namespace rhip::registry::mpi::testing {

struct LabelledSet {
  std::string name;
  std::vector<PersonRecord> records;
  std::vector<uint32_t> entity;  // per record: the true person; equal means same person
};

// FEBRL dataset1–3 (rec-N-org / rec-N-dup-k): given_name and surname as the name, soc_sec_id as
// the ID number (7 digits: compared by the ID levels, too short to block on), date_of_birth,
// "00" + postcode as a county-level division code, the address lines as address text. FEBRL
// has no sex and no phone.
absl::StatusOr<LabelledSet> LoadFebrl(const std::string& csv_path);

// Splink's fake_1000: first_name, surname, dob, city as address text; truth from the cluster
// column (fake_1000_labels.csv agrees with it pair for pair). email has no PersonFields slot.
absl::StatusOr<LabelledSet> LoadSplinkFake1000(const std::string& csv_path);

LabelledSet FromSynthetic(std::string name, std::span<const SyntheticRecord> records);

struct PairwiseQuality {
  int64_t true_pairs = 0;       // pairs of records of the same person
  int64_t predicted_pairs = 0;  // pairs of records in the same predicted cluster
  int64_t correct_pairs = 0;    // both
  double precision = 0, recall = 0, f1 = 0;
};

// Pairs within clusters (cluster_of from Deduplicate) against pairs within entities.
PairwiseQuality ClusterQuality(std::span<const uint32_t> cluster_of,
                               std::span<const uint32_t> entity);

}  // namespace rhip::registry::mpi::testing
