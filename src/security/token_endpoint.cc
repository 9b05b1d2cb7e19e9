#include "security/token_endpoint.h"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/pct_string_view.hpp>

#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "core/error.h"
#include "core/json.h"
#include "core/strings.h"
#include "security/password.h"

namespace rhip::security {
namespace {

net::HttpResponse OAuthJson(int status, const json::Value& body) {
  net::HttpResponse r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json");
  // RFC 6749 §5.1: token responses must not be cached.
  r.SetHeader("Cache-Control", "no-store");
  r.SetHeader("Pragma", "no-cache");
  r.body = json::Serialize(body);
  return r;
}

// RFC 6749 §5.2.
net::HttpResponse OAuthError(int status, std::string_view error, std::string_view description) {
  json::Object o;
  o.Set("error", error);
  o.Set("error_description", description);
  net::HttpResponse r = OAuthJson(status, json::Value(std::move(o)));
  if (status == 401) r.SetHeader("WWW-Authenticate", "Basic realm=\"rhip\"");
  return r;
}

net::HttpResponse InvalidClient() {
  // The same answer for an unknown client, a wrong secret and a revoked client.
  return OAuthError(401, "invalid_client", "client authentication failed");
}

// application/x-www-form-urlencoded decoding ('+' is a space).
std::optional<std::string> FormDecode(std::string_view s) {
  auto pct = boost::urls::make_pct_string_view(boost::urls::string_view(s.data(), s.size()));
  if (!pct) return std::nullopt;
  return pct->decode(boost::urls::encoding_opts(/*space_as_plus=*/true));
}

// The form's parameters; nullopt when malformed or a parameter repeats (RFC 6749 §3.2).
std::optional<std::map<std::string, std::string>> ParseForm(std::string_view body) {
  const boost::urls::string_view text(body.data(), body.size());
  if (!boost::urls::parse_query(text)) return std::nullopt;
  std::map<std::string, std::string> out;
  if (body.empty()) return out;
  for (auto param : boost::urls::params_view(text, boost::urls::encoding_opts(true))) {
    if (!out.emplace(param.key, param.value).second) return std::nullopt;
  }
  return out;
}

struct ClientCredentials {
  std::string id;
  std::string secret;
};

// Credentials from `Authorization: Basic` (RFC 6749 §2.3.1: form-encoded, then base64);
// nullopt when the header is absent or another scheme, an error when it is malformed.
absl::StatusOr<std::optional<ClientCredentials>> BasicCredentials(std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization.substr(0, kScheme.size())), ToAbsl(kScheme))) {
    return std::optional<ClientCredentials>();
  }
  auto malformed = [] { return MakeError(ErrorKind::kInvalid, "malformed Basic credentials"); };
  absl::StatusOr<std::string> decoded =
      Base64Decode(ToStd(absl::StripAsciiWhitespace(ToAbsl(authorization.substr(kScheme.size())))));
  if (!decoded.ok()) return malformed();
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return malformed();
  std::optional<std::string> id = FormDecode(std::string_view(*decoded).substr(0, colon));
  std::optional<std::string> secret = FormDecode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret) return malformed();
  return std::optional<ClientCredentials>(ClientCredentials{*std::move(id), *std::move(secret)});
}

std::string_view MediaType(std::string_view content_type) {
  return ToStd(absl::StripAsciiWhitespace(ToAbsl(content_type.substr(0, content_type.find(';')))));
}

}  // namespace

net::HttpResponse TokenEndpoint::Handle(const net::HttpRequest& req) const {
  if (req.method != "POST") {
    net::HttpResponse r = OAuthError(405, "invalid_request", "use POST");
    r.SetHeader("Allow", "POST");
    return r;
  }
  if (!absl::EqualsIgnoreCase(ToAbsl(MediaType(req.Header("Content-Type"))),
                              "application/x-www-form-urlencoded")) {
    return OAuthError(400, "invalid_request",
                      "the body must be application/x-www-form-urlencoded");
  }
  std::optional<std::map<std::string, std::string>> form = ParseForm(req.body);
  if (!form) {
    return OAuthError(400, "invalid_request", "malformed form body or a repeated parameter");
  }
  auto param = [&](const char* name) -> const std::string* {
    auto it = form->find(name);
    return it == form->end() ? nullptr : &it->second;
  };
  const std::string* grant_type = param("grant_type");
  if (grant_type == nullptr) return OAuthError(400, "invalid_request", "grant_type is required");
  if (*grant_type != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type", "only client_credentials is supported");
  }
  absl::StatusOr<std::optional<ClientCredentials>> basic =
      BasicCredentials(req.Header("Authorization"));
  if (!basic.ok()) return InvalidClient();
  ClientCredentials creds;
  const std::string* form_id = param("client_id");
  const std::string* form_secret = param("client_secret");
  if (basic->has_value()) {
    // RFC 6749 §2.3: a client must not use more than one authentication method.
    if (form_secret != nullptr) {
      return OAuthError(400, "invalid_request", "use either HTTP Basic or client_secret, not both");
    }
    creds = **basic;
  } else {
    if (form_id == nullptr || form_secret == nullptr) return InvalidClient();
    creds = {*form_id, *form_secret};
  }
  const std::string* scope = param("scope");
  absl::StatusOr<IssuedToken> token =
      tokens_->IssueClientToken(creds.id, creds.secret, scope ? *scope : "");
  if (!token.ok()) {
    switch (KindOf(token.status())) {
      case ErrorKind::kUnauthorized:
        return InvalidClient();
      case ErrorKind::kInvalid:
        return OAuthError(400, "invalid_scope", ToStd(token.status().message()));
      default:
        // The message of an infrastructure fault stays in the server; the client learns only
        // that it should retry.
        return OAuthError(500, "server_error", "the token could not be issued");
    }
  }
  json::Object o;
  o.Set("access_token", token->access_token);
  o.Set("token_type", "Bearer");
  o.Set("expires_in", token->expires_in);
  o.Set("scope", FormatScopes(token->scopes));
  return OAuthJson(200, json::Value(std::move(o)));
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(ToAbsl(authorization.substr(0, kScheme.size())), ToAbsl(kScheme))) {
    return std::nullopt;
  }
  std::string_view token =
      ToStd(absl::StripAsciiWhitespace(ToAbsl(authorization.substr(kScheme.size()))));
  if (token.empty()) return std::nullopt;
  return token;
}

absl::StatusOr<Principal> AuthenticateRequest(const TokenService& tokens,
                                              const net::HttpRequest& req) {
  std::optional<std::string_view> bearer = BearerToken(req.Header("Authorization"));
  if (!bearer) return MakeError(ErrorKind::kUnauthorized, "a bearer token is required");
  return tokens.Authenticate(*bearer);
}

}  // namespace rhip::security
