#include "security/http_headers.h"

namespace rhip::security {

void AddSecurityHeaders(const net::HttpRequest& request, net::HttpResponse* response) {
  response->SetHeader("X-Content-Type-Options", "nosniff");
  // Meant for the web app's HTML; harmless on JSON, so it goes on every response.
  response->SetHeader("Content-Security-Policy",
                      "default-src 'self'; frame-ancestors 'none'; object-src 'none'; "
                      "base-uri 'self'");
  response->SetHeader("X-Frame-Options", "DENY");
  response->SetHeader("Referrer-Policy", "no-referrer");
  // Logins, session info with the CSRF token, tokens: never in a shared or browser cache.
  if (request.path.rfind("/auth/", 0) == 0) response->SetHeader("Cache-Control", "no-store");
  // Only over TLS: on plain HTTP the header is ignored (RFC 6797 §8.1) and would mislead.
  if (request.tls) response->SetHeader("Strict-Transport-Security", "max-age=31536000");
}

}  // namespace rhip::security
