// SMART on FHIR v2 style scopes: `context/Resource.actions`, e.g. `system/Patient.rs`,
// `system/*.cruds`, `user/Observation.cu`. Actions are a subset of c r u d s written in that
// order. SMART v1 `read` (= rs), `write` (= cud) and `*` (= cruds) are accepted and
// normalised to v2 letters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rhip::security {

struct Scope {
  std::string context;   // system | user | patient
  std::string resource;  // a resource type or "*"
  std::string actions;   // non-empty subset of "cruds", in that order

  std::string ToString() const;  // context/resource.actions
  // Whether this scope grants everything `other` asks for.
  bool Covers(const Scope& other) const;
  bool operator==(const Scope&) const = default;
};

// Non-empty letters of c r u d s, each at most once, in that order ("rs", not "sr").
bool IsValidActions(std::string_view actions);

// One scope; kInvalid with a message naming it when malformed.
absl::StatusOr<Scope> ParseScope(std::string_view text);

// A space-separated list (as in OAuth2 `scope`); empty text gives an empty list. Duplicates
// are kept once.
absl::StatusOr<std::vector<Scope>> ParseScopes(std::string_view text);

std::string FormatScopes(const std::vector<Scope>& scopes);

// The scopes to grant when a client holding `granted` asks for `requested`: every requested
// scope must be covered by a granted one (kInvalid naming the first that is not). An empty
// request grants everything the client holds.
absl::StatusOr<std::vector<Scope>> NarrowScopes(const std::vector<Scope>& granted,
                                                const std::vector<Scope>& requested);

// Whether the scopes allow `action` (one of c r u d s) on resource_type.
bool ScopesAllow(const std::vector<Scope>& scopes, std::string_view resource_type, char action);

}  // namespace rhip::security
