#include "registry/organization_tree.h"

#include <deque>
#include <tuple>
#include <unordered_map>

#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::registry {
namespace {

// How many of the newest Organization versions identify the store's state. A write that
// commits after this many later-stamped Organization writes (possible only with concurrent
// PostgreSQL writers) would go unnoticed until the next Organization write.
constexpr int kStampVersions = 32;

struct VersionKey {
  std::string id;
  int64_t version = 0;
  Micros last_updated = 0;
  bool operator==(const VersionKey&) const = default;
};

// The id in an Organization reference: "Organization/ID", an absolute URL ending in it, or
// either with "/_history/N".
std::string_view OrganizationId(std::string_view ref) {
  size_t at = ref.rfind("Organization/");
  if (at == std::string_view::npos || (at > 0 && ref[at - 1] != '/')) return {};
  ref.remove_prefix(at + 13);
  return ref.substr(0, ref.find('/'));
}

}  // namespace

struct OrganizationTree::Snapshot {
  std::vector<VersionKey> stamp;
  std::vector<std::string> ids, names;
  std::vector<int> parent;  // index, -1 for a root
  std::vector<int> first_child,
      children;  // children of i: children[first_child[i] .. first_child[i+1])
  std::unordered_map<std::string_view, int> index;  // views into ids

  int Find(std::string_view id) const {
    auto it = index.find(id);
    return it == index.end() ? -1 : it->second;
  }
  OrgUnit Unit(int i, int depth) const {
    return {ids[i], names[i], parent[i] < 0 ? std::string() : ids[parent[i]], depth};
  }
  // Breadth first below i (i not included); calls fn(node, depth).
  template <typename Fn>
  void Walk(int i, int max_depth, Fn fn) const {
    std::vector<bool> seen(ids.size());
    seen[i] = true;
    std::vector<std::pair<int, int>> queue = {{i, 0}};
    for (size_t q = 0; q < queue.size(); ++q) {
      auto [node, depth] = queue[q];
      if (max_depth > 0 && depth >= max_depth) continue;
      for (int c = first_child[node]; c < first_child[node + 1]; ++c) {
        int child = children[c];
        if (seen[child]) continue;  // a cycle in partOf
        seen[child] = true;
        fn(child, depth + 1);
        queue.emplace_back(child, depth + 1);
      }
    }
  }
};

namespace {

absl::StatusOr<std::vector<VersionKey>> ReadStamp(fhir::Repository& repository) {
  fhir::HistoryRequest request;
  request.type = "Organization";
  request.count = kStampVersions;
  ASSIGN_OR_RETURN(fhir::HistoryPage page, repository.History(request));
  std::vector<VersionKey> stamp;
  stamp.reserve(page.entries.size());
  for (const fhir::StoredResource& e : page.entries) {
    stamp.push_back({e.id, e.version, e.last_updated});
  }
  return stamp;
}

absl::StatusOr<std::shared_ptr<OrganizationTree::Snapshot>> Build(fhir::Repository& repository,
                                                                  std::vector<VersionKey> stamp) {
  auto snap = std::make_shared<OrganizationTree::Snapshot>();
  snap->stamp = std::move(stamp);
  std::vector<std::string> parent_ids;
  std::string cursor;
  do {
    fhir::SearchInput input;
    input.type = "Organization";
    input.params = {{"_elements", "name,partOf"}, {"_count", "1000"}, {"_total", "none"}};
    if (!cursor.empty()) input.params.emplace_back("_cursor", cursor);
    ASSIGN_OR_RETURN(fhir::SearchResult page, repository.Search(input));
    for (const fhir::StoredResource& r : page.matches) {
      ASSIGN_OR_RETURN(json::Value body, json::Parse(r.json));
      const std::string* name = body.FindString("name");
      const json::Value* part_of = body.Find("partOf");
      const std::string* ref = part_of == nullptr ? nullptr : part_of->FindString("reference");
      snap->ids.push_back(r.id);
      snap->names.push_back(name == nullptr ? std::string() : *name);
      parent_ids.emplace_back(ref == nullptr ? std::string_view() : OrganizationId(*ref));
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());

  const int n = static_cast<int>(snap->ids.size());
  snap->index.reserve(n);
  for (int i = 0; i < n; ++i) snap->index.emplace(snap->ids[i], i);
  snap->parent.assign(n, -1);
  std::vector<int> child_count(n + 1, 0);
  for (int i = 0; i < n; ++i) {
    int p = parent_ids[i].empty() ? -1 : snap->Find(parent_ids[i]);
    if (p == i) p = -1;
    snap->parent[i] = p;
    if (p >= 0) ++child_count[p];
  }
  snap->first_child.assign(n + 1, 0);
  for (int i = 0; i < n; ++i) snap->first_child[i + 1] = snap->first_child[i] + child_count[i];
  snap->children.resize(snap->first_child[n]);
  std::vector<int> fill(snap->first_child.begin(), snap->first_child.end() - 1);
  for (int i = 0; i < n; ++i) {
    if (snap->parent[i] >= 0) snap->children[fill[snap->parent[i]]++] = i;
  }
  return snap;
}

absl::Status UnknownOrganization(std::string_view id) {
  return MakeError(ErrorKind::kNotFound, StrCat("Organization/", id, " is not known"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const OrganizationTree::Snapshot>> OrganizationTree::Current()
    const {
  ASSIGN_OR_RETURN(std::vector<VersionKey> stamp, ReadStamp(*repository_));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ != nullptr && snapshot_->stamp == stamp) return snapshot_;
  }
  std::lock_guard<std::mutex> build_lock(build_mu_);
  {
    // Another thread may have built it while this one waited.
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_ != nullptr && snapshot_->stamp == stamp) return snapshot_;
  }
  // The stamp was read before the organizations: a write in between makes the next query
  // see a newer stamp and build again, never keep a tree older than its stamp.
  ASSIGN_OR_RETURN(std::shared_ptr<Snapshot> built, Build(*repository_, std::move(stamp)));
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(built);
  ++builds_;
  return snapshot_;
}

int64_t OrganizationTree::builds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return builds_;
}

absl::StatusOr<std::vector<std::string>> OrganizationTree::Subtree(std::string_view org_id) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current());
  std::vector<std::string> ids = {std::string(org_id)};
  int i = snap->Find(org_id);
  if (i < 0) return ids;
  snap->Walk(i, 0, [&](int node, int) { ids.push_back(snap->ids[node]); });
  return ids;
}

absl::StatusOr<std::vector<OrgUnit>> OrganizationTree::Ancestors(std::string_view org_id) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current());
  int i = snap->Find(org_id);
  if (i < 0) return UnknownOrganization(org_id);
  std::vector<OrgUnit> out;
  std::vector<bool> seen(snap->ids.size());
  seen[i] = true;
  for (int p = snap->parent[i], depth = 1; p >= 0 && !seen[p]; p = snap->parent[p], ++depth) {
    seen[p] = true;
    out.push_back(snap->Unit(p, depth));
  }
  return out;
}

absl::StatusOr<std::vector<OrgUnit>> OrganizationTree::Descendants(std::string_view org_id,
                                                                   int max_depth) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snap, Current());
  int i = snap->Find(org_id);
  if (i < 0) return UnknownOrganization(org_id);
  std::vector<OrgUnit> out;
  snap->Walk(i, max_depth, [&](int node, int depth) { out.push_back(snap->Unit(node, depth)); });
  return out;
}

}  // namespace rhip::registry
