// Access tokens for system clients (OAuth2 client_credentials) and, later, users: opaque
// 256-bit random strings handed out once and stored only as their SHA-256, with scopes,
// expiry and a revoked flag. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/identity_store.h"
#include "security/scopes.h"

namespace rhip::security {

// Who a request acts for.
struct Principal {
  enum class Kind { kClient, kUser };
  Kind kind = Kind::kClient;
  std::string subject;  // client id, or user login
  std::vector<Scope> scopes;
  Micros expires = 0;
  // A user's roles with their org units (empty for clients): what the access policy and
  // operations outside the scopes (`$export` permissions) are checked against.
  std::vector<RoleAssignment> roles;
};

struct IssuedToken {
  std::string access_token;  // shown once; only its hash is stored
  int64_t expires_in = 0;    // seconds
  std::vector<Scope> scopes;
};

struct TokenOptions {
  int64_t lifetime_seconds = 3600;
};

class TokenService {
 public:
  // REQUIRES: database, clock and identities outlive the service.
  TokenService(db::Database* database, const Clock* clock, IdentityStore* identities,
               TokenOptions options = {})
      : db_(database), clock_(clock), identities_(identities), options_(options) {}

  // client_credentials grant. InvalidCredentials() (kUnauthorized) for an unknown, revoked or
  // wrong-secret client; kInvalid for a malformed scope or one beyond the client's scopes.
  // requested_scope empty: all the client's scopes.
  absl::StatusOr<IssuedToken> IssueClientToken(std::string_view client_id, std::string_view secret,
                                               std::string_view requested_scope);

  // The principal of a bearer token; kUnauthorized for an unknown, expired or revoked token,
  // or one whose client was revoked or whose user was disabled.
  absl::StatusOr<Principal> Authenticate(std::string_view bearer) const;

  // Revokes one token. OK also when it is unknown (RFC 7009 §2.2).
  absl::Status Revoke(std::string_view bearer);

 private:
  db::Database* db_;
  const Clock* clock_;
  IdentityStore* identities_;
  TokenOptions options_;
};

}  // namespace rhip::security
