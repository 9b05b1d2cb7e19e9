// The OAuth2 token endpoint (POST /auth/token, RFC 6749 §4.4 client_credentials) and the
// bearer-token check the router calls (RFC 6750). Errors here are OAuth JSON
// ({"error": "invalid_client", "error_description": ...}), not OperationOutcomes: OAuth
// clients parse that format.
#pragma once

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/http_message.h"
#include "security/token_service.h"

namespace rhip::security {

class TokenEndpoint {
 public:
  // REQUIRES: tokens outlives the endpoint.
  explicit TokenEndpoint(TokenService* tokens) : tokens_(tokens) {}

  // Handles a request for /auth/token. Client credentials come either from the form
  // (client_id, client_secret) or from HTTP Basic, never both.
  net::HttpResponse Handle(const net::HttpRequest& req) const;

 private:
  TokenService* tokens_;
};

// The token of an `Authorization: Bearer TOKEN` header value; nullopt for any other scheme
// or an empty token.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// The principal behind a request's Authorization header: kUnauthorized when there is no
// bearer token or it is not valid. This is what the router calls once /fhir requires
// authentication.
absl::StatusOr<Principal> AuthenticateRequest(const TokenService& tokens,
                                              const net::HttpRequest& req);

}  // namespace rhip::security
