#include "net/testing/tls_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/metrics.h"

namespace rhip::net::testing {
namespace {

void Die(const char* what) {
  std::fprintf(stderr, "tls_test_util: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

void AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) Die("X509_add_ext");
  X509_EXTENSION_free(ext);
}

}  // namespace

TestCertificate WriteSelfSignedCertificate(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) Die("EVP_EC_gen");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  AddExtension(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (X509_sign(cert, key, EVP_sha256()) == 0) Die("X509_sign");

  TestCertificate files{dir + "/cert.pem", dir + "/key.pem"};
  FILE* f = std::fopen(files.cert_file.c_str(), "w");
  if (f == nullptr || PEM_write_X509(f, cert) != 1) Die("writing cert.pem");
  std::fclose(f);
  f = std::fopen(files.key_file.c_str(), "w");
  if (f == nullptr || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("writing key.pem");
  }
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

int ConnectLoopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool TlsClient::Connect(uint16_t port, int max_version) {
  fd_ = ConnectLoopback(port);
  if (fd_ < 0) {
    error_ = "connect failed";
    return false;
  }
  timeval tv{5, 0};  // a stuck handshake fails the test instead of hanging it
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
  if (max_version != 0) {
    // Old protocol versions need the lowest security level to be offered at all.
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  if (SSL_connect(ssl_) != 1) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    error_ = buf;
    return false;
  }
  return true;
}

bool TlsClient::Send(const std::string& bytes) {
  return !bytes.empty() && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
                               static_cast<int>(bytes.size());
}

std::string TlsClient::ReadUntil(const std::string& until, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && (until.empty() || received_.find(until) == std::string::npos)) {
    if (SSL_pending(ssl_) == 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    }
    char buf[4096];
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      received_.append(buf, static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) continue;  // a record without application data
    closed_ = true;
  }
  return received_;
}

bool TlsClient::WaitClosed(std::chrono::milliseconds timeout) {
  ReadUntil("", timeout);
  return closed_;
}

std::string TlsClient::negotiated_version() const {
  return ssl_ == nullptr ? "" : SSL_get_version(ssl_);
}

double CounterValue(const std::string& series, double expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    const std::string text = Metrics::Global().RenderPrometheus();
    const size_t at = text.find("\n" + series + " ");
    const double value =
        at == std::string::npos ? 0 : std::stod(text.substr(at + series.size() + 2));
    if (value >= expected || std::chrono::steady_clock::now() > deadline) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int HttpsGetStatus(uint16_t port, const std::string& target) {
  TlsClient client;
  if (!client.Connect(port)) return 0;
  if (!client.Send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")) {
    return 0;
  }
  const std::string response = client.ReadUntil("\r\n\r\n");
  int status = 0;
  if (std::sscanf(response.c_str(), "HTTP/1.1 %d", &status) != 1) return 0;
  return status;
}

}  // namespace rhip::net::testing
