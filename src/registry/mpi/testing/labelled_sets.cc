#include "registry/mpi/testing/labelled_sets.h"

#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "core/error.h"
#include "core/strings.h"
#include "registry/mpi/normalize.h"

namespace rhip::registry::mpi::testing {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Rows of a CSV without quoted fields (as these sets are), each cell trimmed; the header row
// maps names to columns.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int Column(std::string_view name) const {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

std::vector<std::string> SplitRow(std::string_view line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    cells.emplace_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

absl::StatusOr<Csv> ReadCsv(const std::string& path, std::span<const std::string_view> needed) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorKind::kNotFound, StrCat("cannot read ", path));
  Csv csv;
  std::string line;
  if (!std::getline(in, line)) return MakeError(ErrorKind::kInvalid, StrCat(path, ": empty"));
  csv.header = SplitRow(line);
  for (std::string_view name : needed) {
    if (csv.Column(name) < 0) {
      return MakeError(ErrorKind::kInvalid, StrCat(path, ": no column ", name));
    }
  }
  while (std::getline(in, line)) {
    if (Trim(line).empty()) continue;
    auto row = SplitRow(line);
    if (row.size() != csv.header.size()) {
      return MakeError(ErrorKind::kInvalid, StrCat(path, ": a row has ", row.size(), " cells"));
    }
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

// Dense entity numbers for truth labels.
class EntityIds {
 public:
  uint32_t Of(const std::string& label) {
    return ids_.try_emplace(label, static_cast<uint32_t>(ids_.size())).first->second;
  }

 private:
  absl::flat_hash_map<std::string, uint32_t> ids_;
};

int64_t PairsOf(int64_t n) { return n * (n - 1) / 2; }

}  // namespace

absl::StatusOr<LabelledSet> LoadFebrl(const std::string& csv_path) {
  static constexpr std::string_view kColumns[] = {
      "rec_id", "given_name", "surname", "street_number", "address_1", "address_2",
      "suburb", "postcode", "date_of_birth", "soc_sec_id"};
  auto csv = ReadCsv(csv_path, kColumns);
  if (!csv.ok()) return csv.status();
  auto col = [&](std::string_view name) { return static_cast<size_t>(csv->Column(name)); };
  LabelledSet set;
  set.name = csv_path.substr(csv_path.find_last_of('/') + 1);
  EntityIds ids;
  for (const auto& row : csv->rows) {
    const std::string& rec_id = row[col("rec_id")];  // rec-12-org, rec-12-dup-3
    const size_t second_dash = rec_id.find('-', 4);
    const std::string postcode = row[col("postcode")];
    const std::string division = postcode.size() == 4 ? StrCat("00", postcode) : "";
    const std::string address = StrCat(row[col("street_number")], " ", row[col("address_1")], " ",
                                       row[col("address_2")], " ", row[col("suburb")]);
    set.records.push_back(Normalize({.family = row[col("surname")],
                                     .given = row[col("given_name")],
                                     .resident_id = row[col("soc_sec_id")],
                                     .birth_date = row[col("date_of_birth")],
                                     .division_code = division,
                                     .address = address}));
    set.entity.push_back(ids.Of(rec_id.substr(0, second_dash)));
  }
  return set;
}

absl::StatusOr<LabelledSet> LoadSplinkFake1000(const std::string& csv_path) {
  static constexpr std::string_view kColumns[] = {"unique_id", "first_name", "surname", "dob",
                                                  "city", "cluster"};
  auto csv = ReadCsv(csv_path, kColumns);
  if (!csv.ok()) return csv.status();
  auto col = [&](std::string_view name) { return static_cast<size_t>(csv->Column(name)); };
  LabelledSet set;
  set.name = "fake_1000.csv";
  EntityIds ids;
  for (const auto& row : csv->rows) {
    set.records.push_back(Normalize({.family = row[col("surname")],
                                     .given = row[col("first_name")],
                                     .birth_date = row[col("dob")],
                                     .address = row[col("city")]}));
    set.entity.push_back(ids.Of(row[col("cluster")]));
  }
  return set;
}

LabelledSet FromSynthetic(std::string name, std::span<const SyntheticRecord> records) {
  LabelledSet set;
  set.name = std::move(name);
  set.records.reserve(records.size());
  for (const auto& r : records) {
    set.records.push_back(Normalize(r.Fields()));
    set.entity.push_back(r.person);
  }
  return set;
}

PairwiseQuality ClusterQuality(std::span<const uint32_t> cluster_of,
                               std::span<const uint32_t> entity) {
  absl::flat_hash_map<uint32_t, int64_t> clusters, entities;
  absl::flat_hash_map<uint64_t, int64_t> both;
  for (size_t i = 0; i < cluster_of.size(); ++i) {
    ++clusters[cluster_of[i]];
    ++entities[entity[i]];
    ++both[uint64_t{cluster_of[i]} << 32 | entity[i]];
  }
  PairwiseQuality q;
  for (const auto& [c, n] : clusters) q.predicted_pairs += PairsOf(n);
  for (const auto& [e, n] : entities) q.true_pairs += PairsOf(n);
  for (const auto& [k, n] : both) q.correct_pairs += PairsOf(n);
  q.precision = q.predicted_pairs > 0 ? static_cast<double>(q.correct_pairs) / q.predicted_pairs : 1.0;
  q.recall = q.true_pairs > 0 ? static_cast<double>(q.correct_pairs) / q.true_pairs : 1.0;
  q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0;
  return q;
}

}  // namespace rhip::registry::mpi::testing
