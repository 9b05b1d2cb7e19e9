// The audit chain's record hash and row layout, shared by the writer and the verifier.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "db/database.h"
#include "db/multi_row_insert.h"
#include "security/audit_record.h"

namespace rhip::security::internal {

// prev_hash of the first record (seq 1): 64 zeros.
extern const std::string_view kGenesisHash;

// Lower-case hex SHA-256 of the record's canonical encoding (docs/SECURITY.md, "chain format").
// Stored on disk: changing the encoding invalidates every existing chain.
std::string AuditHash(std::string_view prev_hash, int64_t seq, const AuditRecord& record);

// The audit_event columns in the order AuditRow and the writer use.
inline constexpr std::string_view kAuditColumns =
    "seq, time, actor, role, org_unit, client_address, action, patient, resources, query, "
    "outcome, reason, prev_hash, hash, record_id";
inline constexpr size_t kAuditColumnCount = 15;

// A stored audit_event row (columns as kAuditColumns).
struct AuditRow {
  int64_t seq = 0;
  AuditRecord record;
  std::string prev_hash;
  std::string hash;
  // The id the log gave the record when it was appended (not hashed: a delivery id that makes
  // journal recovery idempotent); empty for records written before migration 0007.
  std::string record_id;
};
AuditRow RowToAudit(const db::Row& row);
db::RowValues AuditToRow(AuditRow row);

}  // namespace rhip::security::internal
