// TLS settings shared by every listener in net/ (HTTP and MLLP): one certificate chain and
// one private key in PEM files. Boost.Asio's ssl::context is built from them in
// internal/tls_context.h; this header stays free of Boost and OpenSSL.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace rhip::net {

struct TlsOptions {
  std::string cert_file;  // PEM: the server certificate first, then any intermediates
  std::string key_file;   // PEM private key, unencrypted (no passphrase prompt at start-up)

  // TLS is on when either file is named; both are then required.
  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// Loads both files and checks that the key belongs to the certificate, so that a command
// line can report a bad file before anything starts. kInvalid with the file and the
// OpenSSL reason otherwise.
absl::Status CheckTlsOptions(const TlsOptions& options);

}  // namespace rhip::net
