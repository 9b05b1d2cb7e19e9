// A FHIR search (http://hl7.org/fhir/R4/search.html) parsed and checked against the search
// parameters: what query_compiler.h turns into SQL and the repository runs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fhir/search/search_parameters.h"

namespace rhip::fhir::search {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// One search criterion: a parameter with OR'ed values, or a chain / reverse chain (_has)
// leading to a criterion on another resource type.
struct Criterion {
  enum class Kind { kValue, kChain, kHas };
  Kind kind = Kind::kValue;
  // kValue: the parameter searched; kChain: the reference parameter of this type followed;
  // kHas: the reference parameter of `other_types[0]` that points back at this type.
  const SearchParam* param = nullptr;
  std::string modifier;             // kValue: "exact", "missing", "not", "Patient", ...
  std::vector<std::string> values;  // kValue: OR'ed values, still search-escaped (\, \| \$ \\)
  std::vector<std::string> other_types;  // kChain: target types; kHas: the referring type
  std::string owner_type;  // kHas: the type searched (whose resources are referred to), if one
  // kChain/kHas: the criterion on the other type; one per entry of other_types for kChain.
  std::vector<Criterion> next;
};

struct SortKey {
  const SearchParam* param = nullptr;  // nullptr for _id and _lastUpdated
  std::string code;
  bool descending = false;
};

struct Include {
  bool reverse = false;  // _revinclude
  bool iterate = false;
  std::string source_type;             // the type holding the reference
  const SearchParam* param = nullptr;  // nullptr: every reference parameter (*)
  std::string target_type;             // optional :Type restriction
};

// _contained: whether contained resources are searched (kTrue: only they, kBoth: they and
// the others); _containedType: whether their containers or they themselves are returned.
enum class Contained { kFalse, kTrue, kBoth };
enum class ContainedType { kContainer, kContained };

enum class Summary { kNone, kTrue, kText, kData, kCount };
enum class Total { kNone, kEstimate, kAccurate };

struct SearchRequest {
  // Resource types searched: one for a type search, several or none (all) for a system search.
  std::vector<std::string> types;
  std::vector<Criterion> criteria;  // AND
  // Compartment: only resources linked to Patient/compartment_id (compartment search,
  // $everything); with include_compartment_owner the Patient itself is a match too.
  std::string compartment_id;
  bool include_compartment_owner = false;
  std::optional<int64_t> since;  // $everything _since: last updated at or after (µs)
  std::vector<SortKey> sort;
  std::vector<Include> includes;
  int count = 20;
  Summary summary = Summary::kNone;
  std::vector<std::string> elements;
  Contained contained = Contained::kFalse;
  ContainedType contained_type = ContainedType::kContainer;
  std::optional<Total> total;  // unset: accurate on the first page, none on later pages
  std::string cursor;
  // The parameters as understood (unknown ones dropped in lenient mode, _cursor removed),
  // for the Bundle's self/next/previous links.
  QueryParams understood;
};

inline constexpr int kDefaultCount = 20;
inline constexpr int kMaxCount = 1000;

struct ParseOptions {
  bool lenient = false;  // Prefer: handling=lenient: unknown parameters are ignored
};

// Parses params for a search of `type` (empty for a system search, where _type may list types).
// Unknown parameters, modifiers and malformed values are kInvalid errors that name them.
absl::StatusOr<SearchRequest> ParseSearchRequest(const SearchParamRegistry& registry,
                                                 std::string_view type, const QueryParams& params,
                                                 const ParseOptions& options = {});

// Splits on an unescaped separator, keeping escapes in the parts.
std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep);
// Removes search escapes: "a\,b" -> "a,b".
std::string UnescapeValue(std::string_view s);

}  // namespace rhip::fhir::search
