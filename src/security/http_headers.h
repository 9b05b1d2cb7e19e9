// The security headers every HTTP response of rhip carries (docs/SECURITY.md, "Web
// sessions"): no MIME sniffing, no framing, a same-origin content policy, no referrer, no
// caching of /auth/*, and HSTS on TLS.
#pragma once

#include "net/http_message.h"

namespace rhip::security {

// Adds the headers to response (replacing any of the same name), for request.
void AddSecurityHeaders(const net::HttpRequest& request, net::HttpResponse* response);

}  // namespace rhip::security
