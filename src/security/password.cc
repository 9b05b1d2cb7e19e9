#include "security/password.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

#include "core/error.h"

namespace rhip::security {
namespace {

// sodium_init is idempotent and thread-safe; call it before any other libsodium function.
void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no usable random source: nothing secure can run
}

}  // namespace

absl::StatusOr<std::string> HashSecret(std::string_view secret) {
  EnsureSodium();
  char out[crypto_pwhash_STRBYTES];
  // INTERACTIVE limits (2 passes, 64 MiB): libsodium's recommendation for online logins.
  if (crypto_pwhash_str(out, secret.data(), secret.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return MakeError(ErrorKind::kInternal, "out of memory while hashing a secret");
  }
  return std::string(out);
}

bool VerifySecret(std::string_view hash, std::string_view secret) {
  EnsureSodium();
  std::string h(hash);  // crypto_pwhash_str_verify needs a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), secret.data(), secret.size()) == 0;
}

void VerifyAgainstDummy(std::string_view secret) {
  static const std::string dummy = [] {
    auto h = HashSecret(RandomToken());
    return h.ok() ? *h : std::string();
  }();
  (void)VerifySecret(dummy, secret);
}

std::string RandomToken(size_t bytes) {
  EnsureSodium();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

absl::Status CheckPasswordPolicy(std::string_view password) {
  constexpr size_t kMinLength = 10;
  if (password.size() < kMinLength) {
    return MakeError(ErrorKind::kInvalid, "a password needs at least 10 characters");
  }
  bool lower = false, upper = false, digit = false, other = false;
  for (char c : password) {
    if (c >= 'a' && c <= 'z') lower = true;
    else if (c >= 'A' && c <= 'Z') upper = true;
    else if (c >= '0' && c <= '9') digit = true;
    else other = true;
  }
  if (int{lower} + int{upper} + int{digit} + int{other} < 3) {
    return MakeError(ErrorKind::kInvalid,
                     "a password needs three of: lower case, upper case, digits, other characters");
  }
  return absl::OkStatus();
}

std::string GeneratePassword() {
  // 96 random bits; a draw that happens to miss a character class is drawn again.
  for (;;) {
    std::string p = RandomToken(12);
    if (CheckPasswordPolicy(p).ok()) return p;
  }
}

std::string Sha256Hex(std::string_view s) {
  EnsureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  std::string hex(crypto_hash_sha256_BYTES * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  EnsureSodium();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
  EnsureSodium();
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view s) {
  EnsureSodium();
  std::string out(s.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(),
                        s.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != s.data() + s.size()) {
    return MakeError(ErrorKind::kInvalid, "malformed base64");
  }
  out.resize(len);
  return out;
}

}  // namespace rhip::security
