#include "net/internal/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.h"
#include "core/strings.h"

namespace rhip::net {
namespace internal {
namespace {

namespace ssl = boost::asio::ssl;

constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The first OpenSSL reason queued on this thread (the root cause; later entries are the
// callers' generic "PEM lib" and the like) and clears the queue; else the error code's text.
std::string OpenSslReason(const boost::system::error_code& ec) {
  std::string reason;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    if (reason.empty() && r != nullptr) reason = r;
  }
  if (reason.empty()) reason = ec ? ec.message() : "unknown error";
  if (reason.find("password") != std::string::npos || reason.find("bad decrypt") != std::string::npos) {
    reason += " (the key is encrypted; rhip needs it unencrypted: openssl pkey -in KEY -out KEY.plain)";
  }
  return reason;
}

// Opening the file first gives "No such file or directory" instead of OpenSSL's "system lib".
absl::Status CheckReadable(std::string_view what, const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("TLS ", what, " '", file, "': ", std::strerror(errno)));
  }
  std::fclose(f);
  return absl::OkStatus();
}

absl::Status Invalid(std::string_view what, const std::string& file, const std::string& reason) {
  // OpenSSL's reason for a file with no usable PEM block is only "PEM lib" or "no start line".
  if (reason == "PEM lib" || reason.find("no start line") != std::string::npos) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("TLS ", what, " '", file, "': not a PEM ", what, " (", reason, ")"));
  }
  return MakeError(ErrorKind::kInvalid, StrCat("TLS ", what, " '", file, "': ", reason));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ssl::context>> NewServerTlsContext(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return MakeError(ErrorKind::kInvalid,
                     "TLS needs both a certificate file and a private key file");
  }
  if (absl::Status s = CheckReadable("certificate", options.cert_file); !s.ok()) return s;
  if (absl::Status s = CheckReadable("private key", options.key_file); !s.ok()) return s;
  ERR_clear_error();
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return MakeError(ErrorKind::kInternal,
                     StrCat("cannot configure TLS: ", OpenSslReason({})));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE);
  // Without a callback OpenSSL would prompt on the terminal for an encrypted key.
  boost::system::error_code ec;
  context->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  if (context->use_certificate_chain_file(options.cert_file, ec)) {
    return Invalid("certificate", options.cert_file, OpenSslReason(ec));
  }
  if (context->use_private_key_file(options.key_file, ssl::context::pem, ec)) {
    return Invalid("private key", options.key_file, OpenSslReason(ec));
  }
  // use_private_key_file already refuses a key of another certificate ("key values
  // mismatch"); this catches a certificate file without a usable public key.
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Invalid("private key", options.key_file, OpenSslReason({}));
  }
  return context;
}

}  // namespace internal

absl::Status CheckTlsOptions(const TlsOptions& options) {
  return internal::NewServerTlsContext(options).status();
}

}  // namespace rhip::net
