#include "app/validate_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/json.h"
#include "core/strings.h"
#include "fhir/model/validator.h"

namespace rhip::app {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

class Runner {
 public:
  explicit Runner(fhir::ValidateOptions options) : options_(std::move(options)) {}

  void File(const std::string& path) {
    std::optional<std::string> text = ReadFile(path);
    if (!text) {
      Fail(path, "cannot read the file");
      return;
    }
    if (EndsWith(path, ".ndjson")) {
      std::istringstream lines(*text);
      std::string line;
      for (int n = 1; std::getline(lines, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Text(StrCat(path, ":", n), line);
      }
      return;
    }
    absl::StatusOr<json::Value> doc = json::Parse(*text);
    if (!doc.ok()) {
      Fail(path, StrCat("not JSON: ", ToStd(doc.status().message())));
      return;
    }
    const std::string* rt = doc->FindString("resourceType");
    const json::Value* entries = doc->Find("entry");
    if (rt != nullptr && *rt == "Bundle" && entries != nullptr && entries->is_array()) {
      const json::Array& list = entries->as_array();
      for (size_t i = 0; i < list.size(); ++i) {
        if (const json::Value* r = list[i].Find("resource")) Resource(StrCat(path, " entry[", i, "]"), *r);
      }
      return;
    }
    Resource(path, *doc);
  }

  int exit_code() const { return failed_ ? 1 : 0; }
  void Summary() const {
    std::cout << resources_ << " resource(s) checked, " << invalid_ << " with errors\n";
  }

 private:
  void Text(const std::string& where, std::string_view text) {
    absl::StatusOr<json::Value> doc = json::Parse(text);
    if (!doc.ok()) {
      Fail(where, StrCat("not JSON: ", ToStd(doc.status().message())));
      return;
    }
    Resource(where, *doc);
  }

  void Resource(const std::string& where, const json::Value& resource) {
    ++resources_;
    std::vector<Issue> issues = fhir::ValidateResource(resource, options_);
    std::string name;
    if (const std::string* rt = resource.FindString("resourceType")) {
      name = *rt;
      if (const std::string* id = resource.FindString("id")) name = StrCat(name, "/", *id);
    }
    bool errors = fhir::HasErrors(issues);
    std::cout << where << (name.empty() ? "" : " ") << name << ": "
              << (errors ? "INVALID" : "ok") << "\n";
    for (const Issue& i : issues) {
      std::cout << "  " << i.severity << " " << (i.expression.empty() ? "-" : i.expression) << ": "
                << i.diagnostics << "\n";
    }
    if (errors) {
      ++invalid_;
      failed_ = true;
    }
  }

  void Fail(const std::string& where, std::string_view message) {
    std::cout << where << ": INVALID\n  error -: " << message << "\n";
    ++invalid_;
    failed_ = true;
  }

  fhir::ValidateOptions options_;
  bool failed_ = false;
  int resources_ = 0;
  int invalid_ = 0;
};

}  // namespace

void AddValidateCommand(CLI::App& app, ValidateConfig* c) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "Validate FHIR R4 JSON resources (a resource, a Bundle, or .ndjson) offline");
  cmd->add_option("files", c->files, "Files to validate")->required()->check(CLI::ExistingFile);
  cmd->add_option("--profile", c->profile_files,
                  "StructureDefinition JSON file for meta.profile (repeatable)")
      ->check(CLI::ExistingFile);
}

int RunValidate(const ValidateConfig& config) {
  auto profiles = std::make_shared<std::map<std::string, json::Value, std::less<>>>();
  for (const std::string& path : config.profile_files) {
    std::optional<std::string> text = ReadFile(path);
    absl::StatusOr<json::Value> sd = text ? json::Parse(*text) : absl::NotFoundError("unreadable");
    const std::string* url = sd.ok() ? sd->FindString("url") : nullptr;
    if (url == nullptr) {
      std::cerr << path << ": not a StructureDefinition with a url\n";
      return 2;
    }
    std::string key = *url;
    (*profiles)[key] = *std::move(sd);
  }
  fhir::ValidateOptions options;
  if (!profiles->empty()) {
    options.profile_lookup = [profiles](std::string_view url) -> std::optional<json::Value> {
      auto it = profiles->find(url.substr(0, url.find('|')));
      if (it == profiles->end()) return std::nullopt;
      return it->second;
    };
  }
  Runner runner(std::move(options));
  for (const std::string& file : config.files) runner.File(file);
  runner.Summary();
  return runner.exit_code();
}

}  // namespace rhip::app
