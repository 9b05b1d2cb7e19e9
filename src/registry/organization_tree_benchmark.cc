// OrganizationTree on a county (1 + 20 townships × 24 villages = 501 org units) and on a city
// of 40,421 (20 counties × 20 townships × 100 villages): the first query after a write
// (rebuild), descendants() and Subtree() of the county / city once built (each query includes
// the check for writes), against the same-run baseline of the previous implementation —
// breadth first over Organization?partof= searches, level by level. Run by hand:
//   ninja -C build organization_tree_benchmark && build/organization_tree_benchmark
#include <stdlib.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/strings.h"
#include "db/database.h"
#include "fhir/repository.h"
#include "registry/organization_tree.h"

namespace rhip::registry {
namespace {

template <typename F>
double MillisPerCall(int n, F f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f();
  std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - start;
  return d.count() / n;
}

size_t kBundleSize = 2000;

// Organizations with ids o0 (root), children by PUT in transaction bundles of kBundleSize.
void MakeTree(fhir::Repository& repo, const std::vector<int>& fanout) {
  json::Array entries;
  auto flush = [&] {
    if (entries.empty()) return;
    json::Object bundle;
    bundle.Set("resourceType", "Bundle");
    bundle.Set("type", "transaction");
    bundle.Set("entry", std::move(entries));
    entries.clear();
    auto r = repo.ProcessBundle(std::move(bundle), "", {});
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      std::exit(1);
    }
  };
  int next = 0;
  auto add = [&](int parent) {
    int id = next++;
    std::string text = StrCat(R"({"resource":{"resourceType":"Organization","id":"o)", id,
                              R"(","name":"单位)", id, "\"");
    if (parent >= 0) StrAppend(&text, R"(,"partOf":{"reference":"Organization/o)", parent, "\"}");
    StrAppend(&text, R"(},"request":{"method":"PUT","url":"Organization/o)", id, "\"}}");
    entries.push_back(*json::Parse(text));
    if (entries.size() == kBundleSize) flush();
    return id;
  };
  std::vector<int> level = {add(-1)};
  for (int f : fanout) {
    std::vector<int> below;
    for (int p : level) {
      for (int i = 0; i < f; ++i) below.push_back(add(p));
    }
    level = std::move(below);
  }
  flush();
}

// The previous implementation: one paged partof search per organization.
size_t SearchBfs(fhir::Repository& repo, const std::string& root) {
  size_t n = 1;
  std::deque<std::string> parents = {root};
  while (!parents.empty()) {
    std::string parent = std::move(parents.front());
    parents.pop_front();
    std::string cursor;
    do {
      fhir::SearchInput input;
      input.type = "Organization";
      input.params = {{"partof", StrCat("Organization/", parent)},
                      {"_elements", "id"},
                      {"_count", "1000"},
                      {"_total", "none"}};
      if (!cursor.empty()) input.params.emplace_back("_cursor", cursor);
      auto page = repo.Search(input);
      if (!page.ok()) std::exit(1);
      for (const fhir::StoredResource& child : page->matches) {
        parents.push_back(child.id);
        ++n;
      }
      cursor = page->next_cursor;
    } while (!cursor.empty());
  }
  return n;
}

void Run(const char* label, const std::vector<int>& fanout, int repeat) {
  std::string pattern = (std::filesystem::temp_directory_path() / "rhip-orgbench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::exit(1);
  {
    auto db = db::Database::Open({.target = pattern});
    if (!db.ok()) std::exit(1);
    auto repo = fhir::Repository::Create(db->get(), &Clock::Real());
    MakeTree(*repo, fanout);
    OrganizationTree tree(repo.get());
    size_t units = 0;
    double build = MillisPerCall(1, [&] { units = tree.Descendants("o0")->size() + 1; });
    double descendants = MillisPerCall(repeat, [&] { (void)tree.Descendants("o0"); });
    double subtree = MillisPerCall(repeat, [&] { (void)tree.Subtree("o0"); });
    size_t first_child = 0;
    double child = MillisPerCall(repeat, [&] { first_child = tree.Descendants("o1")->size(); });
    double leaf = MillisPerCall(repeat, [&] { (void)tree.Ancestors(StrCat("o", units - 1)); });
    size_t baseline_units = 0;
    double baseline = MillisPerCall(1, [&] { baseline_units = SearchBfs(*repo, "o0"); });
    std::cout << label << ": " << units << " org units (baseline found " << baseline_units << ")\n"
              << "  first query (rebuild)     " << build << " ms\n"
              << "  descendants(root)         " << descendants << " ms\n"
              << "  Subtree(root) (ids)       " << subtree << " ms\n"
              << "  descendants(first child)  " << child << " ms  (" << first_child << " units)\n"
              << "  ancestors(leaf)           " << leaf << " ms  (the write check dominates)\n"
              << "  baseline: partof BFS      " << baseline << " ms\n";
  }
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace rhip::registry

int main(int argc, char** argv) {
  // A larger bundle size shows the write check after a big transaction (many versions with
  // the same lastUpdated).
  if (argc > 1) rhip::registry::kBundleSize = std::atoi(argv[1]);
  rhip::registry::Run("county", {20, 24}, 200);
  rhip::registry::Run("city", {20, 20, 100}, 20);
  return 0;
}
