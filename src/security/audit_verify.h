// Checks the whole audit chain (docs/SECURITY.md, "Audit trail"): every record's hash, the
// links between records, gap-free seq numbers and the chain head.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "db/database.h"

namespace rhip::security {

struct AuditVerification {
  bool intact = true;
  int64_t records = 0;    // records checked
  int64_t broken_seq = 0;  // the first seq that is wrong (0 when intact)
  std::string problem;     // why, for a person: "record changed", "record missing", ...
  int64_t head_seq = 0;    // the chain head (newest seq and hash), to note down elsewhere:
  std::string head_hash;   // a rewritten chain no longer ends in a hash noted earlier
};

// Reads the chain on one snapshot. A non-OK status is a database failure, not a broken chain.
absl::StatusOr<AuditVerification> VerifyAuditChain(db::Database& database);

}  // namespace rhip::security
