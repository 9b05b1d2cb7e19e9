#include "terminology/install.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/model/r4_terminology.h"
#include "terminology/internal/embedded_data.h"
#include "terminology/internal/json_fields.h"

namespace rhip::terminology {
namespace {

using internal::StringAt;

constexpr char kPackage[] = "rhip-builtin-terminology";

// FNV-1a 64: stable across builds and platforms, unlike std::hash.
void Fnv(std::string_view text, uint64_t* h) {
  for (unsigned char c : text) {
    *h ^= c;
    *h *= 1099511628211ULL;
  }
}

// The ValueSet of all codes of a built-in CodeSystem, at its CodeSystem.valueSet.
json::Value AllCodesValueSet(const json::Value& cs) {
  json::Object vs;
  vs.Set("resourceType", "ValueSet");
  vs.Set("id", StringAt(cs, "id"));
  vs.Set("url", StringAt(cs, "valueSet"));
  vs.Set("version", StringAt(cs, "version"));
  vs.Set("name", StringAt(cs, "name"));
  vs.Set("title", StringAt(cs, "title"));
  vs.Set("status", StringAt(cs, "status"));
  if (const json::Value* e = cs.Find("experimental")) vs.Set("experimental", *e);
  vs.Set("description", StrCat("All codes of ", StringAt(cs, "url"), ". ", StringAt(cs, "description")));
  json::Object include;
  include.Set("system", StringAt(cs, "url"));
  json::Object compose;
  compose.Set("include", json::Array{json::Value(std::move(include))});
  vs.Set("compose", std::move(compose));
  return vs;
}

absl::StatusOr<std::vector<json::Value>> BuiltinResources() {
  std::vector<json::Value> out;
  absl::StatusOr<json::Value> r4 = json::Parse(fhir::R4TerminologyBundle(), {.max_depth = 256});
  if (!r4.ok()) return MakeError(ErrorKind::kInternal, StrCat("R4 terminology: ", ToStd(r4.status().message())));
  if (const json::Value* entries = r4->Find("entry"); entries != nullptr && entries->is_array()) {
    for (const json::Value& e : entries->as_array()) {
      if (const json::Value* r = e.Find("resource")) out.push_back(*r);
    }
  }
  for (const internal::EmbeddedFile& f : internal::EmbeddedCodeSystems()) {
    absl::StatusOr<json::Value> cs = json::Parse(f.text, {.max_depth = 256});
    if (!cs.ok()) return MakeError(ErrorKind::kInternal, StrCat(f.name, ": ", ToStd(cs.status().message())));
    if (!StringAt(*cs, "valueSet").empty()) out.push_back(AllCodesValueSet(*cs));
    out.push_back(*std::move(cs));
  }
  return out;
}

}  // namespace

std::string BuiltinTerminologyVersion() {
  uint64_t h = 14695981039346656037ULL;
  Fnv(fhir::R4TerminologyBundle(), &h);
  for (const internal::EmbeddedFile& f : internal::EmbeddedCodeSystems()) {
    Fnv(f.name, &h);
    Fnv(f.text, &h);
  }
  return absl::StrFormat("%016x", h);
}

absl::StatusOr<InstallResult> InstallBuiltinTerminology(db::Database* database,
                                                        fhir::Repository* repository) {
  InstallResult result;
  result.version = BuiltinTerminologyVersion();
  std::string stored;
  RETURN_IF_ERROR(database->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT version FROM terminology_package WHERE name = :name",
                                            {{"name", std::string(kPackage)}}));
    if (!rows.empty()) stored = rows[0].Text(0);
    return absl::OkStatus();
  }));
  if (stored == result.version) return result;

  ASSIGN_OR_RETURN(std::vector<json::Value> resources, BuiltinResources());
  json::Array entries;
  for (json::Value& r : resources) {
    std::string url = StrCat(StringAt(r, "resourceType"), "/", StringAt(r, "id"));
    json::Object request;
    request.Set("method", "PUT");
    request.Set("url", url);
    json::Object entry;
    entry.Set("resource", std::move(r));
    entry.Set("request", std::move(request));
    entries.push_back(std::move(entry));
  }
  result.resources = int(entries.size());
  json::Object bundle;
  bundle.Set("resourceType", "Bundle");
  bundle.Set("type", "transaction");
  bundle.Set("entry", std::move(entries));
  absl::StatusOr<json::Value> response = repository->ProcessBundle(std::move(bundle), "urn:rhip:install", {});
  if (!response.ok()) {
    return MakeError(KindOf(response.status()),
                     StrCat("installing the built-in terminology: ", ToStd(response.status().message())));
  }
  RETURN_IF_ERROR(database->Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("DELETE FROM terminology_package WHERE name = :name",
                              {{"name", std::string(kPackage)}}).status());
    return s.Execute("INSERT INTO terminology_package (name, version, installed) VALUES (:name, :version, :installed)",
                     {{"name", std::string(kPackage)}, {"version", result.version},
                      {"installed", Clock::Real().Now()}}).status();
  }));
  result.written = true;
  return result;
}

}  // namespace rhip::terminology
