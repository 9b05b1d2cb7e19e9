#include "registry/organization_tree.h"

#include <deque>
#include <set>

#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::registry {

absl::StatusOr<std::vector<std::string>> OrganizationTree::Subtree(std::string_view org_id) const {
  Micros now = clock_->Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(org_id);
    if (it != cache_.end() && now - it->second.fetched < ttl_) return it->second.ids;
  }
  std::vector<std::string> ids = {std::string(org_id)};
  std::set<std::string, std::less<>> seen = {std::string(org_id)};
  std::deque<std::string> parents = {std::string(org_id)};
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
      ASSIGN_OR_RETURN(fhir::SearchResult page, repository_->Search(input));
      for (const fhir::StoredResource& child : page.matches) {
        if (!seen.insert(child.id).second) continue;
        ids.push_back(child.id);
        parents.push_back(child.id);
      }
      cursor = page.next_cursor;
    } while (!cursor.empty());
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_[std::string(org_id)] = Cached{now, ids};
  return ids;
}

}  // namespace rhip::registry
