#include "fhir/rest_access.h"

#include "absl/strings/str_split.h"
#include "core/json.h"
#include "core/strings.h"

namespace rhip::fhir {
namespace {

std::vector<std::string> Segments(std::string_view path, std::string_view base_path) {
  path.remove_prefix(std::min(path.size(), base_path.size()));
  std::vector<std::string> out;
  for (absl::string_view s : absl::StrSplit(ToAbsl(path), '/', absl::SkipEmpty())) {
    out.emplace_back(ToStd(s));
  }
  return out;
}

// A search ('s') or a read ('r') for GET on a type-relative path.
char ReadAction(const std::vector<std::string>& seg) {
  return seg.size() <= 1 || seg[1] == "_history" || seg[1] == "_search" ? 's' : 'r';
}

char WriteAction(std::string_view method) {
  if (method == "POST") return 'c';
  if (method == "PUT" || method == "PATCH") return 'u';
  if (method == "DELETE") return 'd';
  return 'r';
}

void AddBundleNeeds(std::string_view body, std::vector<AccessNeed>* needs) {
  absl::StatusOr<json::Value> bundle = json::Parse(body);
  if (!bundle.ok() || !bundle->is_object()) return;
  const json::Value* entries = bundle->Find("entry");
  if (entries == nullptr || !entries->is_array()) return;
  for (const json::Value& entry : entries->as_array()) {
    const json::Value* request = entry.is_object() ? entry.Find("request") : nullptr;
    const std::string* method = request && request->is_object() ? request->FindString("method") : nullptr;
    const std::string* url = request && request->is_object() ? request->FindString("url") : nullptr;
    if (method == nullptr || url == nullptr) {
      needs->push_back({"*", 'c'});
      continue;
    }
    std::string_view u = *url;
    u = u.substr(0, u.find('?'));
    std::vector<std::string> seg = Segments(u, "");
    if (seg.empty() || seg[0].starts_with("$") || seg[0].starts_with("_")) {
      needs->push_back({"*", *method == "GET" ? 's' : WriteAction(*method)});
      continue;
    }
    needs->push_back({seg[0], *method == "GET" || *method == "HEAD" ? ReadAction(seg)
                                                                    : WriteAction(*method)});
  }
}

}  // namespace

bool IsPublicFhirRequest(const net::HttpRequest& request, std::string_view base_path) {
  std::vector<std::string> seg = Segments(request.path, base_path);
  return (request.method == "GET" || request.method == "HEAD") && seg.size() == 1 &&
         seg[0] == "metadata";
}

std::vector<AccessNeed> RequiredAccess(const net::HttpRequest& request, std::string_view base_path) {
  std::vector<std::string> seg = Segments(request.path, base_path);
  const std::string& m = request.method;
  bool read = m == "GET" || m == "HEAD";
  if (seg.empty()) {
    if (m == "POST") {
      std::vector<AccessNeed> needs;
      AddBundleNeeds(request.body, &needs);
      return needs;
    }
    return {{"*", 's'}};
  }
  // Bulk data and system-wide operations read or write every type.
  for (const std::string& s : seg) {
    if (s == "$export" || s.starts_with("$bulk-")) return {{"*", 'r'}, {"*", 's'}};
    // The types $everything returns are limited to those the principal may search
    // (RequestAccess::searchable_types), so reading the Patient is what it needs up front.
    if (s == "$everything") return {{"Patient", 'r'}};
    if (s == "$import") return {{"*", 'c'}, {"*", 'u'}};
  }
  // The master patient index's operations (registry/patient_index_rest.h): matching reads
  // Patients; changing links needs the steward's `$mpi` permission as well.
  if (seg[0] == "Patient" && seg.size() >= 2 && seg.back().starts_with("$")) {
    const std::string& op = seg.back();
    if (op == "$match" || op == "$ihe-pix") return {{"Patient", 's'}};
    if (op == "$mpi-history") return {{"Patient", 'r'}, {"$mpi", 'r'}};
    if (op == "$mpi-review" && read) return {{"Patient", 's'}, {"$mpi", 'r'}};
    if (op == "$mpi-review" || op == "$mpi-link" || op == "$mpi-unlink" || op == "$merge" ||
        op == "$unmerge") {
      return {{"Patient", 'u'}, {"$mpi", 'u'}};
    }
  }
  if (seg[0].starts_with("_") || seg[0].starts_with("$")) return {{"*", read || seg[0] == "_search" ? 's' : 'r'}};
  // Operations that only read, whether called with GET or POST (R4 operationslist.html).
  if (seg.back() == "$validate" || seg.back() == "$lookup" || seg.back() == "$validate-code" ||
      seg.back() == "$expand" || seg.back() == "$translate" || seg.back() == "$subsumes") {
    return {{seg[0], 'r'}};
  }
  // Compartment search: Patient/{id}/Observation reads the patient and searches the type.
  // (An instance operation, Organization/{id}/$descendants, reads the type.)
  if (seg.size() == 3 && read && !seg[2].starts_with("_") && !seg[2].starts_with("$")) {
    return {{seg[0], 'r'}, {seg[2], 's'}};
  }
  if (read || (seg.size() == 2 && seg[1] == "_search")) return {{seg[0], ReadAction(seg)}};
  return {{seg[0], WriteAction(m)}};
}

}  // namespace rhip::fhir
