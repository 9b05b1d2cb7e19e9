// Reading the audit trail: search records by time, actor, patient, action and outcome,
// newest first, with keyset paging on seq (stable while records are appended: a page never
// repeats or skips a record). Used by `rhip audit list` and the FHIR AuditEvent view.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "security/audit_record.h"

namespace rhip::security {

// The most records one query returns.
inline constexpr int kMaxAuditQueryLimit = 1000;

// Outcome classes of FHIR AuditEvent.outcome: 0 success, 4 minor failure (the request was
// refused or wrong: 4xx, "denied"), 8 serious failure (the server failed: 5xx).
enum class AuditOutcomeClass { kSuccess = 0, kMinorFailure = 4, kSeriousFailure = 8 };
AuditOutcomeClass ClassifyAuditOutcome(std::string_view outcome);

struct AuditQuery {
  std::optional<Micros> since;  // time >= since
  std::optional<Micros> until;  // time < until
  std::string actor;            // exact; empty: any
  std::string patient;          // exact ("Patient/ID"); empty: any
  std::vector<std::string> actions;  // any of them; empty: any
  std::string outcome;               // exact ("200", "denied"); empty: any
  std::optional<AuditOutcomeClass> outcome_class;
  int64_t before_seq = 0;  // keyset cursor: only records with seq < before_seq; 0: from the newest
  int limit = 50;          // 1 .. kMaxAuditQueryLimit
};

struct AuditEntry {
  int64_t seq = 0;
  AuditRecord record;
  std::string prev_hash;
  std::string hash;
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest (highest seq) first
  int64_t next_before_seq = 0;      // the cursor for the next page; 0 when this is the last
};

// kInvalid for a limit out of range; other errors are database failures.
absl::StatusOr<AuditPage> QueryAudit(db::Database& database, const AuditQuery& query);
// The record with this seq, or nullopt.
absl::StatusOr<std::optional<AuditEntry>> ReadAudit(db::Database& database, int64_t seq);

}  // namespace rhip::security
