#include "security/audit_verify.h"

#include <utility>

#include "core/status_macros.h"
#include "core/strings.h"
#include "security/internal/audit_chain.h"

namespace rhip::security {
namespace {

// Records read per query; bounds memory on a long chain.
constexpr int64_t kPage = 4096;

void Break(AuditVerification& v, int64_t seq, std::string problem) {
  v.intact = false;
  v.broken_seq = seq;
  v.problem = std::move(problem);
}

}  // namespace

absl::StatusOr<AuditVerification> VerifyAuditChain(db::Database& database) {
  AuditVerification v;
  RETURN_IF_ERROR(database.Read([&](db::Session& s) -> absl::Status {
    v = AuditVerification();
    ASSIGN_OR_RETURN(db::Rows head,
                     s.Query("SELECT seq, hash FROM audit_chain_head WHERE id = 1"));
    if (head.size() != 1) return absl::DataLossError("audit_chain_head has no row");
    v.head_seq = head[0].Int(0);
    v.head_hash = head[0].Text(1);
    int64_t expected = 1;
    std::string prev(internal::kGenesisHash);
    const std::string page_sql = StrCat("SELECT ", internal::kAuditColumns,
                                        " FROM audit_event WHERE seq >= :from ORDER BY seq LIMIT ",
                                        kPage);
    while (true) {
      ASSIGN_OR_RETURN(db::Rows rows, s.Query(page_sql, {{"from", expected}}));
      for (const db::Row& r : rows) {
        internal::AuditRow row = internal::RowToAudit(r);
        if (row.seq != expected) {
          Break(v, expected,
                StrCat("record ", expected, " is missing (deleted); the next record is ", row.seq));
          return absl::OkStatus();
        }
        if (row.prev_hash != prev) {
          Break(v, row.seq,
                StrCat("record ", row.seq, " does not follow record ", row.seq - 1,
                       " (prev_hash differs: records reordered, or one replaced)"));
          return absl::OkStatus();
        }
        if (internal::AuditHash(row.prev_hash, row.seq, row.record) != row.hash) {
          Break(v, row.seq, StrCat("record ", row.seq, " was changed (its hash does not match)"));
          return absl::OkStatus();
        }
        prev = std::move(row.hash);
        ++expected;
        ++v.records;
      }
      if (static_cast<int64_t>(rows.size()) < kPage) break;
    }
    if (v.head_seq != v.records || v.head_hash != prev) {
      Break(v, v.records + 1,
            v.head_seq > v.records
                ? StrCat("records ", v.records + 1, " to ", v.head_seq,
                         " are missing (the chain head names record ", v.head_seq, ")")
                : StrCat("the chain head (seq ", v.head_seq,
                         ") does not match the last record ", v.records));
    }
    return absl::OkStatus();
  }));
  return v;
}

}  // namespace rhip::security
