#include "security/internal/audit_chain.h"

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <utility>

namespace rhip::security::internal {
namespace {

// Names the encoding, so a hash of this layout never equals one of another layout.
constexpr std::string_view kDomain = "rhip-audit-v1";

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  // A field: its length as 8 bytes big-endian, then its bytes; so no two field lists share
  // an encoding ("ab","c" vs "a","bc").
  void Field(std::string_view bytes) {
    std::array<unsigned char, 8> length;
    uint64_t n = bytes.size();
    for (int i = 7; i >= 0; --i, n >>= 8) length[i] = static_cast<unsigned char>(n & 0xff);
    EVP_DigestUpdate(ctx_.get(), length.data(), length.size());
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
  }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx_.get(), digest, &size);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(kHex[digest[i] >> 4]);
      hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

const std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string AuditHash(std::string_view prev_hash, int64_t seq, const AuditRecord& r) {
  Sha256 sha;
  sha.Field(kDomain);
  sha.Field(prev_hash);
  sha.Field(std::to_string(seq));
  sha.Field(std::to_string(r.time));
  for (const std::string* field : {&r.actor, &r.role, &r.org_unit, &r.client_address, &r.action,
                                   &r.patient, &r.resources, &r.query, &r.outcome, &r.reason}) {
    sha.Field(*field);
  }
  return sha.HexDigest();
}

AuditRow RowToAudit(const db::Row& row) {
  AuditRow a;
  a.seq = row.Int(0);
  a.record.time = row.Int(1);
  std::string* text[] = {&a.record.actor,     &a.record.role,      &a.record.org_unit,
                         &a.record.client_address, &a.record.action, &a.record.patient,
                         &a.record.resources, &a.record.query,     &a.record.outcome,
                         &a.record.reason,    &a.prev_hash,        &a.hash};
  for (size_t i = 0; i < std::size(text); ++i) *text[i] = row.Text(i + 2);
  if (!row.IsNull(14)) a.record_id = row.Text(14);
  return a;
}

db::RowValues AuditToRow(AuditRow a) {
  AuditRecord& r = a.record;
  return {a.seq,
          r.time,
          std::move(r.actor),
          std::move(r.role),
          std::move(r.org_unit),
          std::move(r.client_address),
          std::move(r.action),
          std::move(r.patient),
          std::move(r.resources),
          std::move(r.query),
          std::move(r.outcome),
          std::move(r.reason),
          std::move(a.prev_hash),
          std::move(a.hash),
          a.record_id.empty() ? db::Value() : db::Value(std::move(a.record_id))};
}

}  // namespace rhip::security::internal
