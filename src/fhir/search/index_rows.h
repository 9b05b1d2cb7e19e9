// Search-index rows of one resource, as extracted from its search parameters. Storage layout
// (src/db/migrations/0002_search_index.sql): one table per row kind, keyed by the parameter's
// key first so that a search reads one contiguous key range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"

namespace rhip::fhir::search {

struct StringRow {
  int64_t key;
  std::string norm;   // folded (TextFolding::Fold), or a phonetic key
  std::string exact;  // as written, for :exact
};
struct TokenRow {
  int64_t key;
  std::string system;  // "" when the value has none
  std::string code;
};
struct DateRow {
  int64_t key;
  Micros lo;
  Micros hi;
};
struct NumberRow {  // number and quantity
  int64_t key;
  double value;
  std::string system;  // quantity unit system, "" for numbers
  std::string code;    // quantity unit code (or unit text when no code)
};
struct ReferenceRow {
  int64_t key;
  std::string ref;  // "Patient/123" for local references, else the absolute or canonical URL
};
struct UriRow {
  int64_t key;
  std::string value;
};
// A composite of two components: the first a token, the second a token, string, reference
// (c2 holds its code, folded text or reference), a quantity or number (value, c2 = unit code)
// or a date (lo..hi).
struct CompositeRow {
  int64_t key;
  std::string s1;
  std::string c1;
  std::string s2;
  std::string c2;
  double lo = 0;
  double hi = 0;
};

struct IndexRows {
  std::vector<StringRow> strings;
  std::vector<TokenRow> tokens;
  std::vector<DateRow> dates;
  std::vector<NumberRow> numbers;
  std::vector<ReferenceRow> references;
  std::vector<UriRow> uris;
  std::vector<CompositeRow> composites;

  size_t size() const {
    return strings.size() + tokens.size() + dates.size() + numbers.size() + references.size() +
           uris.size() + composites.size();
  }
  // Sorts each kind and drops duplicate rows (the tables' keys are unique).
  void Normalize();
};

}  // namespace rhip::fhir::search
