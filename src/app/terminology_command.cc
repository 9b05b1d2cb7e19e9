#include "app/terminology_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/store.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/search_query.h"
#include "terminology/icd10_csv.h"

namespace rhip::app {
namespace {

// Writes `resource` as the stored resource with its url: the same id again, else the url's
// last segment when it is a valid id and free, else a new id.
absl::StatusOr<fhir::WriteResult> Put(fhir::Repository& repo, json::Value resource) {
  std::string type = *resource.FindString("resourceType");
  std::string url = *resource.FindString("url");
  ASSIGN_OR_RETURN(std::vector<fhir::StoredResource> existing,
                   repo.Search(type, StrCat("url=", fhir::PercentEncode(url))));
  std::string id;
  if (!existing.empty()) {
    id = existing.front().id;
  } else {
    std::string last = url.substr(url.find_last_of('/') + 1);
    bool free = IsValidFhirId(last) && !repo.Read(type, last).ok();
    id = free ? last : NewResourceId();
  }
  resource.as_object().Set("id", id);
  return repo.Update(type, id, std::move(resource), std::nullopt);
}

}  // namespace

void AddTerminologyCommand(CLI::App& app, TerminologyConfig* c) {
  CLI::App* cmd = app.add_subcommand("terminology", "Code systems and value sets (术语)");
  cmd->require_subcommand(1);
  CLI::App* load = cmd->add_subcommand(
      "load", "Load a code system from a file as one CodeSystem and a ValueSet of all its codes "
              "(again with the same --url: updated)");
  load->add_option("--format", c->format, "File format: icd10-csv (code,name_zh,level,parent; "
                                          "docs/TERMINOLOGY.md)")
      ->required()
      ->check(CLI::IsMember({"icd10-csv"}));
  load->add_option("FILE", c->file, "The file to load")->required();
  load->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  load->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
  load->add_option("--url", c->url, "Canonical URL of the code system")
      ->default_str(terminology::kDefaultIcd10Url);
  load->add_option("--version", c->version, "Version of the code system (default 1)");
  load->add_option("--name", c->name, "Computer-friendly name (default ICD10CN)");
}

int RunTerminology(const TerminologyConfig& c) {
  std::ifstream in(c.file, std::ios::binary);
  if (!in) {
    std::cerr << "rhip terminology load: cannot read " << c.file << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  terminology::Icd10CsvOptions options;
  if (!c.url.empty()) options.url = c.url;
  if (!c.version.empty()) options.version = c.version;
  if (!c.name.empty()) options.name = c.name;
  options.source = std::filesystem::path(c.file).filename().string();
  absl::StatusOr<terminology::Icd10Load> load = terminology::Icd10FromCsv(text.str(), options);
  if (!load.ok()) {
    std::cerr << "rhip terminology load: " << c.file << ": " << load.status().message() << "\n";
    return 1;
  }
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip terminology load: " << store.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<fhir::WriteResult> cs = Put(*store->repository, std::move(load->code_system));
  if (!cs.ok()) {
    std::cerr << "rhip terminology load: writing the CodeSystem: " << cs.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<fhir::WriteResult> vs = Put(*store->repository, std::move(load->value_set));
  if (!vs.ok()) {
    std::cerr << "rhip terminology load: writing the ValueSet: " << vs.status().message() << "\n";
    return 1;
  }
  std::cout << "loaded " << load->concepts << " codes into CodeSystem/" << cs->resource.id
            << " (version " << cs->resource.version << ", url " << options.url << "|"
            << options.version << ") and ValueSet/" << vs->resource.id << "\n";
  return 0;
}

}  // namespace rhip::app
