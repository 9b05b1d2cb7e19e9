// Reads an ICD-10 diagnosis code list in CSV into one CodeSystem (concepts nested by parent:
// chapter → block → category → subcategory → extension) and a ValueSet of all its codes, for
// `rhip terminology load --format icd10-csv` (docs/TERMINOLOGY.md).
//
// Format: UTF-8 (a BOM is skipped), RFC 4180 quoting, a header row naming the columns:
//   code      (required) the code, unique
//   name_zh   (required; or `name` / `display`) the display
//   parent    (required) the parent's code, empty for a top-level concept
//   level     (optional) chapter, block, category, subcategory, extension, ... kept as the
//             concept property `level`
// Other columns are ignored. Parents may come after their children.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/json.h"

namespace rhip::terminology {

inline constexpr char kDefaultIcd10Url[] = "https://rhip.cn/fhir/CodeSystem/icd-10-cn";

struct Icd10CsvOptions {
  std::string url = kDefaultIcd10Url;
  std::string version = "1";
  std::string name = "ICD10CN";
  std::string title = "ICD-10 疾病分类与代码";
  std::string source;  // where the file came from, for the description (e.g. its name)
};

struct Icd10Load {
  json::Value code_system;  // no id: the caller decides
  json::Value value_set;    // compose: every code of the CodeSystem
  int concepts = 0;
};

// The ValueSet url for a code system url: /CodeSystem/ → /ValueSet/, else url?fhir_vs
// (R4's implicit value set of a code system).
std::string AllCodesValueSetUrl(std::string_view code_system_url);

// kInvalid errors name the line (1-based, the header is line 1).
absl::StatusOr<Icd10Load> Icd10FromCsv(std::string_view csv, const Icd10CsvOptions& options);

}  // namespace rhip::terminology
