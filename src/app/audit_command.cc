#include "app/audit_command.h"

#include <iostream>

#include "app/store.h"
#include "core/clock.h"
#include "fhir/search/date_range.h"
#include "security/audit_query.h"
#include "security/audit_verify.h"

namespace rhip::app {
namespace {

void AddStoreOptions(CLI::App* cmd, AuditConfig* c) {
  cmd->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  cmd->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
}

// Where the noted head is in the chain; 0 when no record has that hash (rewritten or cut).
absl::StatusOr<int64_t> SeqOfHash(db::Database& database, const std::string& hash) {
  int64_t seq = 0;
  absl::Status s = database.Read([&](db::Session& session) -> absl::Status {
    absl::StatusOr<db::Rows> rows =
        session.Query("SELECT seq FROM audit_event WHERE hash = :hash", {{"hash", hash}});
    if (!rows.ok()) return rows.status();
    seq = rows->empty() ? 0 : (*rows)[0].Int(0);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return seq;
}

int Verify(const AuditConfig& c, db::Database& database) {
  auto v = security::VerifyAuditChain(database);
  if (!v.ok()) {
    std::cerr << "rhip audit verify: cannot read the audit trail: " << v.status().message() << "\n";
    return 1;
  }
  if (!v->intact) {
    std::cout << "audit chain BROKEN at seq " << v->broken_seq << ": " << v->problem << "\n"
              << "records 1 to " << v->broken_seq - 1 << " are intact\n";
    return 1;
  }
  std::cout << "audit chain intact: " << v->records << " records\n"
            << "head: seq " << v->head_seq << " hash " << v->head_hash << "\n";
  if (c.expect_head.empty()) return 0;
  if (c.expect_head == v->head_hash) {
    std::cout << "expected head matches\n";
    return 0;
  }
  // The chain grows between two checks, so the noted head need not be the head now; but a
  // chain rewritten at or before it (every later hash recomputed) no longer contains it.
  auto seq = SeqOfHash(database, c.expect_head);
  if (!seq.ok()) {
    std::cerr << "rhip audit verify: cannot read the audit trail: " << seq.status().message() << "\n";
    return 1;
  }
  if (*seq == 0) {
    std::cout << "expected head " << c.expect_head
              << " is NOT in the chain: the chain was rewritten or cut since it was noted\n";
    return 1;
  }
  std::cout << "expected head found at seq " << *seq << "; " << v->head_seq - *seq
            << " records appended since\n";
  return 0;
}

absl::StatusOr<fhir::search::DateRange> ParseDate(const std::string& flag, const std::string& text) {
  std::optional<fhir::search::DateRange> r = fhir::search::ParseDateRange(text);
  if (!r) {
    return absl::InvalidArgumentError(
        flag + " '" + text + "' is not a date (2026-11-29, 2026-11-29T08:00, ...)");
  }
  return *r;
}

int List(const AuditConfig& c, db::Database& database) {
  security::AuditQuery q;
  q.actor = c.actor;
  q.patient = c.patient.empty() || c.patient.starts_with("Patient/") ? c.patient
                                                                       : "Patient/" + c.patient;
  if (!c.action.empty()) q.actions = {c.action};
  q.outcome = c.outcome;
  q.limit = c.limit;
  q.before_seq = c.before;
  if (!c.since.empty()) {
    auto r = ParseDate("--since", c.since);
    if (!r.ok()) {
      std::cerr << "rhip audit list: " << r.status().message() << "\n";
      return 2;
    }
    q.since = r->lo;
  }
  if (!c.until.empty()) {
    auto r = ParseDate("--until", c.until);
    if (!r.ok()) {
      std::cerr << "rhip audit list: " << r.status().message() << "\n";
      return 2;
    }
    q.until = r->hi + 1;
  }
  auto page = security::QueryAudit(database, q);
  if (!page.ok()) {
    std::cerr << "rhip audit list: " << page.status().message() << "\n";
    return 1;
  }
  std::cout << "seq\ttime\tactor\trole\torg_unit\taction\tpatient\toutcome\taddress\treason\n";
  for (const security::AuditEntry& e : page->entries) {
    const security::AuditRecord& r = e.record;
    std::cout << e.seq << "\t" << FormatInstant(r.time) << "\t" << r.actor << "\t" << r.role << "\t"
              << r.org_unit << "\t" << r.action << "\t" << r.patient << "\t" << r.outcome << "\t"
              << r.client_address << "\t" << r.reason << "\n";
  }
  if (page->next_before_seq > 0) {
    std::cout << "more: add --before " << page->next_before_seq << " for the next page\n";
  }
  return 0;
}

}  // namespace

void AddAuditCommand(CLI::App& app, AuditConfig* c) {
  CLI::App* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check every audit record's hash and link; name the first changed, deleted or "
                "reordered record");
  AddStoreOptions(verify, c);
  verify->add_option("--expect-head", c->expect_head,
                     "A head hash noted earlier (from a previous verify): fail when it is no "
                     "longer in the chain (rewritten or cut)");
  verify->callback([c] { c->command = "verify"; });
  CLI::App* list = audit->add_subcommand(
      "list", "List audit records, newest first (e.g. --action break-glass for emergency access)");
  AddStoreOptions(list, c);
  list->add_option("--patient", c->patient, "Patient/ID (or ID) whose data was accessed");
  list->add_option("--actor", c->actor, "User name or client id");
  list->add_option("--action", c->action, "read, search, create, update, delete, export, login, "
                                          "login-failed, break-glass");
  list->add_option("--outcome", c->outcome, "HTTP status (200, 403) or ok / denied");
  list->add_option("--since", c->since, "From this date/time (no zone: China Standard Time)");
  list->add_option("--until", c->until, "Up to and including this date/time");
  list->add_option("--limit", c->limit, "Records per page")
      ->check(CLI::Range(1, security::kMaxAuditQueryLimit))
      ->capture_default_str();
  list->add_option("--before", c->before, "Continue a listing: the seq the previous page printed");
  list->callback([c] { c->command = "list"; });
}

int RunAudit(const AuditConfig& c) {
  const std::string name = "rhip audit " + c.command;
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << name << ": " << store.status().message() << "\n";
    return 1;
  }
  return c.command == "list" ? List(c, *store->database) : Verify(c, *store->database);
}

}  // namespace rhip::app
