// What one FHIR request may see and what it touched: the caller (the server's router) fills
// in the access from the access policy; the RestHandler applies it to every read, search and
// write, and reports back what the audit record needs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/strings.h"
#include "fhir/search/query_compiler.h"
#include "security/access_policy.h"

namespace rhip::fhir {

struct RequestAccess {
  // In: whose residents are in scope, and that scope as SQL (PersonalDataPredicate). An empty
  // predicate admits everything: unrestricted principals, and break-the-glass reads.
  security::OrgScope scope;
  search::AccessPredicate predicate;
  bool mask = false;  // mask identifiers, phones and addresses (security/masking.h)
  std::string actor;  // the principal, for records that name who changed something
  // The resource types the principal may search, for $everything; nullopt: every type.
  std::optional<std::vector<std::string>> searchable_types;

  // Out: what the request read or wrote, for its audit record.
  std::string patient;                 // "Patient/ID" when it concerned one resident
  std::vector<std::string> resources;  // "Type/id", at most kMaxAuditedResources
  static constexpr size_t kMaxAuditedResources = 100;

  bool restricted() const { return !predicate.sql.empty(); }
  void Touched(std::string_view type, std::string_view id) {
    if (resources.size() < kMaxAuditedResources) resources.push_back(StrCat(type, "/", id));
  }
};

}  // namespace rhip::fhir
