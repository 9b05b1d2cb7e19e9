#include "bench/ingest/synthea.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace rhip::bench {
namespace {

absl::StatusOr<Bundle> LoadBundle(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  Bundle b;
  b.name = path.filename().string();
  b.text = std::move(text).str();
  auto doc = json::Parse(b.text);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(b.name, ": ", doc.status().message()));
  }
  b.doc = std::move(*doc);
  const std::string* rt = b.doc.FindString("resourceType");
  const std::string* type = b.doc.FindString("type");
  const json::Value* entries = b.doc.Find("entry");
  if (rt == nullptr || *rt != "Bundle" || type == nullptr || entries == nullptr ||
      !entries->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(b.name, " is not a Bundle with entries"));
  }
  b.type = *type;
  for (const json::Value& e : entries->as_array()) {
    if (const json::Value* r = e.Find("resource"); r != nullptr && r->is_object()) ++b.resources;
  }
  return b;
}

}  // namespace

absl::StatusOr<std::vector<Bundle>> LoadBundles(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".json") paths.push_back(it->path());
  }
  if (ec) return absl::NotFoundError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(paths.begin(), paths.end());
  std::vector<Bundle> bundles;
  for (const auto& path : paths) {
    ASSIGN_OR_RETURN(Bundle b, LoadBundle(path));
    bundles.push_back(std::move(b));
  }
  if (bundles.empty()) return absl::NotFoundError(absl::StrCat("no *.json bundles under ", dir));
  std::stable_partition(bundles.begin(), bundles.end(),
                        [](const Bundle& b) { return b.type == "batch"; });
  return bundles;
}

}  // namespace rhip::bench
