#include "security/token_service.h"

#include "core/error.h"
#include "core/status_macros.h"
#include "security/password.h"

namespace rhip::security {
namespace {

constexpr Micros kMicrosPerSecond = 1000 * 1000;
// Tokens rhip issues are 43 characters; anything much longer is not worth hashing.
constexpr size_t kMaxTokenLength = 256;

absl::Status InvalidToken() {
  return MakeError(ErrorKind::kUnauthorized, "the access token is unknown, expired or revoked");
}

}  // namespace

absl::StatusOr<IssuedToken> TokenService::IssueClientToken(std::string_view client_id,
                                                           std::string_view secret,
                                                           std::string_view requested_scope) {
  ASSIGN_OR_RETURN(ClientInfo client, identities_->AuthenticateClient(client_id, secret));
  ASSIGN_OR_RETURN(std::vector<Scope> requested, ParseScopes(requested_scope));
  ASSIGN_OR_RETURN(std::vector<Scope> scopes, NarrowScopes(client.scopes, requested));
  IssuedToken token{RandomToken(32), options_.lifetime_seconds, scopes};
  const std::string hash = Sha256Hex(token.access_token);
  const Micros now = clock_->Now();
  RETURN_IF_ERROR(db_->Write([&](db::Session& s) {
    return s
        .Execute("INSERT INTO tokens (token_hash, client_id, scopes, issued, expires) "
                 "VALUES (:hash, :client, :scopes, :now, :expires)",
                 {{"hash", hash},
                  {"client", client.client_id},
                  {"scopes", FormatScopes(scopes)},
                  {"now", now},
                  {"expires", now + options_.lifetime_seconds * kMicrosPerSecond}})
        .status();
  }));
  return token;
}

absl::StatusOr<Principal> TokenService::Authenticate(std::string_view bearer) const {
  if (bearer.empty() || bearer.size() > kMaxTokenLength) return InvalidToken();
  const std::string hash = Sha256Hex(bearer);
  Principal p;
  bool valid = false;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query("SELECT t.client_id, c.status, u.login, u.status, t.scopes, t.expires, t.revoked "
                "FROM tokens t LEFT JOIN clients c ON c.client_id = t.client_id "
                "LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = :hash",
                {{"hash", hash}}));
    valid = false;
    if (rows.empty()) return absl::OkStatus();
    const db::Row& r = rows[0];
    bool is_client = !r.IsNull(0);
    const std::string& status = is_client ? r.Text(1) : r.Text(3);
    if (r.Int(6) != 0 || r.Int(5) <= clock_->Now() || status != "active") return absl::OkStatus();
    p.kind = is_client ? Principal::Kind::kClient : Principal::Kind::kUser;
    p.subject = is_client ? r.Text(0) : r.Text(2);
    ASSIGN_OR_RETURN(p.scopes, ParseScopes(r.Text(4)));
    p.expires = r.Int(5);
    valid = true;
    return absl::OkStatus();
  }));
  if (!valid) return InvalidToken();
  return p;
}

absl::Status TokenService::Revoke(std::string_view bearer) {
  if (bearer.empty() || bearer.size() > kMaxTokenLength) return absl::OkStatus();
  const std::string hash = Sha256Hex(bearer);
  return db_->Write([&](db::Session& s) {
    return s.Execute("UPDATE tokens SET revoked = 1 WHERE token_hash = :hash", {{"hash", hash}})
        .status();
  });
}

}  // namespace rhip::security
