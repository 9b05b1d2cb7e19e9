// The one place that turns TlsOptions into an OpenSSL server context (used by the HTTP and
// MLLP servers). Policy: TLS 1.2 minimum; for TLS 1.2 only ECDHE key exchange with AEAD
// ciphers (Mozilla "intermediate" without DHE); TLS 1.3 with OpenSSL's default suites; no
// compression, no renegotiation; the server's cipher preference wins.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"
#include "net/tls_context.h"

namespace rhip::net::internal {

// REQUIRES: options.enabled(). kInvalid naming the file and the reason on failure.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> NewServerTlsContext(
    const TlsOptions& options);

}  // namespace rhip::net::internal
