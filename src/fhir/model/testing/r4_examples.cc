#include "core/testing/paths.h"
#include "fhir/model/testing/r4_examples.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rhip::fhir::testing {
namespace {

// Upstream examples that are not valid R4, each checked by reading the file. The test also
// fails if a listed file turns out valid, so the list cannot go stale silently.
constexpr KnownInvalid kKnownInvalidExamples[] = {
    // google/fhir's parser corner case: valueQuantity and valueString together.
    {"observation_invalid_multiple_choicex_provided.json",
     "two types for Observation.value[x]; status and code missing"},
    // Nested display items carry no linkId (Questionnaire.item.linkId is 1..1).
    {"Questionnaire-qs1.json", "items at depth 2-4 lack the required linkId"},
    // The core package's own IG resource (two copies) omits name and status (both 1..1).
    {"ig-r4.json", "ImplementationGuide.name and .status missing"},
    {"ImplementationGuide-fhir.json", "ImplementationGuide.name and .status missing"},
    // Search parameters generated for extensions of CodeSystem/ValueSet omit base (1..*).
    {"SearchParameter-codesystem-extensions-CodeSystem-author.json", "SearchParameter.base missing"},
    {"SearchParameter-codesystem-extensions-CodeSystem-effective.json", "SearchParameter.base missing"},
    {"SearchParameter-codesystem-extensions-CodeSystem-end.json", "SearchParameter.base missing"},
    {"SearchParameter-codesystem-extensions-CodeSystem-keyword.json", "SearchParameter.base missing"},
    {"SearchParameter-codesystem-extensions-CodeSystem-workflow.json", "SearchParameter.base missing"},
    {"SearchParameter-valueset-extensions-ValueSet-author.json", "SearchParameter.base missing"},
    {"SearchParameter-valueset-extensions-ValueSet-effective.json", "SearchParameter.base missing"},
    {"SearchParameter-valueset-extensions-ValueSet-end.json", "SearchParameter.base missing"},
    {"SearchParameter-valueset-extensions-ValueSet-keyword.json", "SearchParameter.base missing"},
    {"SearchParameter-valueset-extensions-ValueSet-workflow.json", "SearchParameter.base missing"},
    // id is 67 characters; the id type allows at most 64.
    {"SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json",
     "Resource.id longer than 64 characters"},
    // The workflow pattern logical models are neither abstract nor based on anything.
    {"StructureDefinition-Definition.json", "sdf-4: not abstract and no baseDefinition"},
    {"StructureDefinition-Event.json", "sdf-4: not abstract and no baseDefinition"},
    {"StructureDefinition-FiveWs.json", "sdf-4: not abstract and no baseDefinition"},
    {"StructureDefinition-Request.json", "sdf-4: not abstract and no baseDefinition"},
};

}  // namespace

std::span<const KnownInvalid> KnownInvalidExamples() { return kKnownInvalidExamples; }

const KnownInvalid* FindKnownInvalid(std::string_view file) {
  for (const KnownInvalid& k : kKnownInvalidExamples) {
    if (k.file == file) return &k;
  }
  return nullptr;
}

R4Examples::R4Examples() {
  std::filesystem::path archive =
      std::filesystem::path(rhip::testing::SharedDataDir()) / "fhir-r4-examples.tar.xz";
  if (!std::filesystem::exists(archive)) return;
  std::string dir = (std::filesystem::temp_directory_path() / "rhip-fhir-examples-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return;
  std::string command = "tar xJf '" + archive.string() + "' -C '" + dir + "'";
  if (std::system(command.c_str()) != 0) {
    std::filesystem::remove_all(dir);
    return;
  }
  dir_ = dir;
}

R4Examples::~R4Examples() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> R4Examples::JsonFiles() const {
  std::vector<std::string> out;
  if (dir_.empty()) return out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string R4Examples::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace rhip::fhir::testing
