// Terminology services over the generic FHIR store: CodeSystem $lookup and $validate-code,
// ValueSet $expand and $validate-code, ConceptMap $translate (R4 terminology-service.html).
// CodeSystem, ValueSet and ConceptMap are ordinary stored resources; code systems are indexed
// in memory on first use (CodeSystemIndex) and the index is rebuilt when the stored resource
// changes.
//
// Thread safety: every method is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "core/json.h"
#include "fhir/repository.h"
#include "terminology/code_system_index.h"

namespace rhip::terminology {

// A code to look up or check: from code+system, a Coding, or one coding of a CodeableConcept.
struct CodedValue {
  std::string system;
  std::string version;
  std::string code;
  std::string display;
};

struct ExpandRequest {
  std::string url;      // ValueSet canonical, or
  std::string id;       // a stored ValueSet's id, or
  std::optional<json::Value> value_set;  // an inline ValueSet (POST)
  std::string value_set_version;
  std::string filter;
  std::optional<int64_t> offset;
  std::optional<int64_t> count;
  std::string display_language;
};

struct ValidateRequest {
  std::string url;  // CodeSystem or ValueSet canonical (per operation), or
  std::string id;   // the stored resource's id
  std::string version;
  std::vector<CodedValue> codings;  // a CodeableConcept passes when one coding does
};

struct TranslateRequest {
  std::string url;  // ConceptMap canonical, or
  std::string id;
  std::string source_value_set;
  std::string target_value_set;
  std::string target_system;
  CodedValue coding;
  bool reverse = false;
};

// The largest expansion returned without `count` (bigger ones ask the client to page or filter).
inline constexpr int64_t kMaxUnpagedExpansion = 10000;

class TerminologyService {
 public:
  // REQUIRES: repository outlives the service.
  explicit TerminologyService(fhir::Repository* repository) : repository_(repository) {}

  // Each answers a Parameters resource (ValueSet for Expand), or an error status
  // (kInvalid 400, kNotFound 404) for the OperationOutcome.
  // id: CodeSystem/[id]/$lookup, whose url stands in for a missing system.
  absl::StatusOr<json::Value> Lookup(CodedValue coding, const std::string& id = {});
  absl::StatusOr<json::Value> ValidateCodeInCodeSystem(const ValidateRequest& request);
  absl::StatusOr<json::Value> ValidateCodeInValueSet(const ValidateRequest& request);
  absl::StatusOr<json::Value> Expand(const ExpandRequest& request);
  absl::StatusOr<json::Value> Translate(const TranslateRequest& request);

  // The indexed code system with this canonical URL (and version, when not empty): built on
  // first use, cached by URL and version, rebuilt when the stored resource changed.
  absl::StatusOr<std::shared_ptr<const CodeSystemIndex>> CodeSystem(std::string_view url,
                                                                    std::string_view version);

 private:
  struct CacheEntry {
    std::string id;
    int64_t version_id = 0;
    int64_t matching = 0;  // how many stored CodeSystems had this url (and version)
    std::shared_ptr<const CodeSystemIndex> index;
  };
  absl::StatusOr<json::Value> FindByUrl(std::string_view type, std::string_view url,
                                        std::string_view version, fhir::StoredResource* found);
  absl::StatusOr<json::Value> ReadById(std::string_view type, std::string_view id);
  absl::StatusOr<int64_t> CountByUrl(std::string_view type, std::string_view url,
                                     std::string_view version);
  absl::StatusOr<bool> StillCurrent(const CacheEntry& entry, std::string_view url,
                                    std::string_view version);
  absl::StatusOr<json::Value> ResolveValueSet(const std::string& url, const std::string& id,
                                              const std::string& version);

  fhir::Repository* repository_;
  std::mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;  // GUARDED_BY(mu_); key url|version
  // The same stored version asked for as url and as url|version shares one index.
  std::unordered_map<std::string, CacheEntry> by_resource_;  // GUARDED_BY(mu_); key id
};

}  // namespace rhip::terminology
