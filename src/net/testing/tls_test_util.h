// Test helpers for TLS listeners: a throwaway self-signed certificate and a small blocking
// TLS client on plain sockets and the OpenSSL API (so tests do not share the server's Asio
// code paths they are meant to check).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace rhip::net::testing {

struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

// Writes an EC P-256 key and a self-signed certificate for CN=localhost (SAN localhost,
// 127.0.0.1) valid for one day into dir (cert.pem, key.pem). Aborts the test program on an
// OpenSSL failure (there is nothing meaningful to test without them).
TestCertificate WriteSelfSignedCertificate(const std::string& dir);

// A blocking TCP connection to 127.0.0.1:port; -1 when it fails.
int ConnectLoopback(uint16_t port);

// Writes all of data to a blocking socket; false when the peer is gone.
bool SendAll(int fd, std::string_view data);

// One TLS client connection to 127.0.0.1:port. The server certificate is not verified.
class TlsClient {
 public:
  TlsClient() = default;
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects and completes the handshake; false (with error() set) otherwise.
  // max_version 0: the library's highest; e.g. TLS1_1_VERSION to test refusal.
  bool Connect(uint16_t port, int max_version = 0);
  bool Send(const std::string& bytes);
  // Reads until `until` appears in what was received, the peer closes, or timeout; returns
  // everything received so far (also kept in received()).
  std::string ReadUntil(const std::string& until,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // True when the peer closed (EOF or a reset) within timeout.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  const std::string& error() const { return error_; }
  std::string negotiated_version() const;

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool closed_ = false;
  std::string received_;
  std::string error_;
};

// The value of a metrics series as rendered by Metrics::Global(), e.g.
// `rhip_http_rejected_total{reason="timeout"}`; 0 when absent. A timeout closes the socket
// before the server's coroutine sees the error and counts it, so a count a test expects may
// lag the close it observed: this waits (up to 2 s) for the value to reach `expected`.
double CounterValue(const std::string& series, double expected);

// GET /healthz over TLS; the HTTP status, 0 when the request failed.
int HttpsGetStatus(uint16_t port, const std::string& target);

}  // namespace rhip::net::testing
