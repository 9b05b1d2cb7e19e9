#include "app/audit_command.h"

#include <iostream>

#include "app/store.h"
#include "security/audit_verify.h"

namespace rhip::app {

void AddAuditCommand(CLI::App& app, AuditConfig* c) {
  CLI::App* audit = app.add_subcommand("audit", "The tamper-evident audit trail");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check every audit record's hash and link; name the first changed, deleted or "
                "reordered record");
  verify->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  verify->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
}

int RunAudit(const AuditConfig& c) {
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip audit verify: " << store.status().message() << "\n";
    return 1;
  }
  auto v = security::VerifyAuditChain(*store->database);
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
  return 0;
}

}  // namespace rhip::app
