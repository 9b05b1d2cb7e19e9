// Loads administrative divisions into the FHIR store: per division a Location (mode instance,
// physicalType jdn, type = division level) and an Organization, the administrative org unit
// (type admin-unit + level), both identified by the division code and linked by partOf to the
// parent's. Optionally the standard public health facilities of each division. Writes are
// conditional PUTs by identifier in transaction Bundles, so a second load updates and never
// duplicates. Layout of the resources: docs/REGISTRIES.md.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "fhir/repository.h"
#include "registry/divisions.h"

namespace rhip::registry {

inline constexpr char kOrganizationTypeSystem[] =
    "https://rhip.cn/fhir/CodeSystem/organization-type";
inline constexpr char kDivisionLevelSystem[] = "https://rhip.cn/fhir/CodeSystem/division-level";
// Identifier system of the facilities `--facilities` generates: "<division code>/<type code>".
inline constexpr char kGeneratedFacilitySystem[] = "https://rhip.cn/fhir/sid/generated-facility";

// The organization-type and division-level CodeSystems and ValueSets (data/organization-types.json)
// as a Bundle of type collection.
const json::Value& OrganizationTypeTerminology();

// The health facilities a division gets with RegionLoadOptions::facilities: a county its
// hospital, CDC, MCH institute and health bureau; a town or township (乡/镇) its township
// health centre, a subdistrict (街道) its community health centre; a village (村委会) its clinic,
// a residents' committee (居委会) its community health station.
struct Facility {
  std::string_view type;  // organization-type code
  std::string name;
};
std::vector<Facility> StandardFacilities(const Division& division);

struct RegionLoadOptions {
  bool facilities = false;
  size_t divisions_per_transaction = 1000;
  std::function<void(size_t done, size_t total)> progress;
};

struct RegionLoadResult {
  size_t divisions = 0;  // Location + Organization pairs written
  size_t facilities = 0;
};

// Writes `divisions` (parents before children, as DivisionSource::Region gives them) and the
// two code systems. A parent not in `divisions` must be in the store already.
absl::StatusOr<RegionLoadResult> LoadRegion(fhir::Repository& repository,
                                            const std::vector<Division>& divisions,
                                            const RegionLoadOptions& options = {});

}  // namespace rhip::registry
