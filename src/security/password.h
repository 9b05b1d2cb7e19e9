// Secrets at rest: argon2id hashes for passwords and client secrets (libsodium
// crypto_pwhash_str, "$argon2id$..." strings), random secrets and tokens, SHA-256 digests.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rhip::security {

// An argon2id string (salt and cost parameters inside) for the secret. Internal error only
// when the machine cannot allocate the hash's memory.
absl::StatusOr<std::string> HashSecret(std::string_view secret);

// Whether secret matches hash (from HashSecret); false for a malformed hash.
bool VerifySecret(std::string_view hash, std::string_view secret);

// Spends the time of one VerifySecret, for the path where there is no stored hash, so timing
// does not reveal whether an account exists.
void VerifyAgainstDummy(std::string_view secret);

// The password policy: at least 10 characters from at least three of the classes lower case,
// upper case, digits and others. kInvalid with the reason (safe to show the user).
absl::Status CheckPasswordPolicy(std::string_view password);

// A random password that satisfies CheckPasswordPolicy.
std::string GeneratePassword();

// `bytes` random bytes as unpadded base64url (256 bits -> 43 characters).
std::string RandomToken(size_t bytes = 32);

// Lower-case hex SHA-256 of s.
std::string Sha256Hex(std::string_view s);

// Constant-time comparison of equal-length strings (false when the lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard base64 (RFC 4648 §4, padded) encoding.
std::string Base64Encode(std::string_view bytes);
// Standard base64 (RFC 4648 §4, padded) decoding; kInvalid on malformed input.
absl::StatusOr<std::string> Base64Decode(std::string_view s);

}  // namespace rhip::security
