#include "security/audit_query.h"

#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "security/internal/audit_chain.h"

namespace rhip::security {
namespace {

AuditEntry ToEntry(const db::Row& r) {
  internal::AuditRow row = internal::RowToAudit(r);
  return {row.seq, std::move(row.record), std::move(row.prev_hash), std::move(row.hash)};
}

// SQL for an outcome class; outcomes are HTTP statuses or the words ok / denied.
std::string_view OutcomeClassSql(AuditOutcomeClass c) {
  switch (c) {
    case AuditOutcomeClass::kSuccess:
      return "(outcome LIKE '2%' OR outcome LIKE '3%' OR outcome = 'ok')";
    case AuditOutcomeClass::kMinorFailure:
      return "(outcome LIKE '4%' OR outcome = 'denied')";
    case AuditOutcomeClass::kSeriousFailure:
      break;
  }
  return "(outcome NOT LIKE '2%' AND outcome NOT LIKE '3%' AND outcome <> 'ok' AND "
         "outcome NOT LIKE '4%' AND outcome <> 'denied')";
}

}  // namespace

AuditOutcomeClass ClassifyAuditOutcome(std::string_view outcome) {
  if (outcome == "ok" || outcome.starts_with('2') || outcome.starts_with('3')) {
    return AuditOutcomeClass::kSuccess;
  }
  if (outcome == "denied" || outcome.starts_with('4')) return AuditOutcomeClass::kMinorFailure;
  return AuditOutcomeClass::kSeriousFailure;
}

absl::StatusOr<AuditPage> QueryAudit(db::Database& database, const AuditQuery& q) {
  if (q.limit < 1 || q.limit > kMaxAuditQueryLimit) {
    return MakeError(ErrorKind::kInvalid,
                     StrCat("the page size must be 1 to ", kMaxAuditQueryLimit, ", not ", q.limit));
  }
  // One SQL text per combination of filters, the same for both engines.
  std::string sql = StrCat("SELECT ", internal::kAuditColumns, " FROM audit_event WHERE 1 = 1");
  db::Params params;
  std::vector<std::string> action_names;  // params hold views of these
  action_names.reserve(q.actions.size());
  if (q.since) {
    sql += " AND time >= :since";
    params.emplace_back("since", *q.since);
  }
  if (q.until) {
    sql += " AND time < :until";
    params.emplace_back("until", *q.until);
  }
  if (!q.actor.empty()) {
    sql += " AND actor = :actor";
    params.emplace_back("actor", q.actor);
  }
  if (!q.patient.empty()) {
    sql += " AND patient = :patient";
    params.emplace_back("patient", q.patient);
  }
  if (!q.actions.empty()) {
    sql += " AND action IN (";
    for (size_t i = 0; i < q.actions.size(); ++i) {
      action_names.push_back(StrCat("action", i));
      StrAppend(&sql, i == 0 ? ":" : ", :", action_names.back());
    }
    sql += ")";
    for (size_t i = 0; i < q.actions.size(); ++i) params.emplace_back(action_names[i], q.actions[i]);
  }
  if (!q.outcome.empty()) {
    sql += " AND outcome = :outcome";
    params.emplace_back("outcome", q.outcome);
  }
  if (q.outcome_class) StrAppend(&sql, " AND ", OutcomeClassSql(*q.outcome_class));
  if (q.before_seq > 0) {
    sql += " AND seq < :before";
    params.emplace_back("before", q.before_seq);
  }
  // One more than asked tells whether another page follows.
  StrAppend(&sql, " ORDER BY seq DESC LIMIT ", q.limit + 1);
  AuditPage page;
  RETURN_IF_ERROR(database.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.QueryPlannedForValues(sql, params));
    page = AuditPage();
    for (const db::Row& r : rows) page.entries.push_back(ToEntry(r));
    return absl::OkStatus();
  }));
  if (static_cast<int>(page.entries.size()) > q.limit) {
    page.entries.resize(q.limit);
    page.next_before_seq = page.entries.back().seq;
  }
  return page;
}

absl::StatusOr<std::optional<AuditEntry>> ReadAudit(db::Database& database, int64_t seq) {
  std::optional<AuditEntry> entry;
  RETURN_IF_ERROR(database.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(StrCat("SELECT ", internal::kAuditColumns,
                                    " FROM audit_event WHERE seq = :seq"),
                             {{"seq", seq}}));
    entry.reset();
    if (!rows.empty()) entry = ToEntry(rows[0]);
    return absl::OkStatus();
  }));
  return entry;
}

}  // namespace rhip::security
