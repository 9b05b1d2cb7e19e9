// rhip: one binary for the regional health information platform.
#include <iostream>
#include <optional>

#include "CLI/CLI.hpp"
#include "app/audit_command.h"
#include "app/chinese_text_folding.h"
#include "app/identity_commands.h"
#include "app/region_command.h"
#include "app/reindex_command.h"
#include "app/import_command.h"
#include "app/mpi_command.h"
#include "app/serve_command.h"
#include "app/terminology_command.h"
#include "app/validate_command.h"
#include "app/version.h"

int main(int argc, char** argv) {
  CLI::App app{"rhip - regional health information platform (区域全民健康信息平台)"};
  app.set_version_flag("--version", "rhip " RHIP_VERSION);
  app.require_subcommand(1);
  rhip::app::ServeConfig serve;
  rhip::app::AddServeCommand(app, &serve);
  rhip::app::ImportConfig import;
  rhip::app::AddImportCommand(app, &import);
  rhip::app::ValidateConfig validate;
  rhip::app::AddValidateCommand(app, &validate);
  rhip::app::ReindexConfig reindex;
  rhip::app::AddReindexCommand(app, &reindex);
  rhip::app::IdentityConfig identity;
  rhip::app::AddIdentityCommands(app, &identity);
  rhip::app::AuditConfig audit;
  rhip::app::AddAuditCommand(app, &audit);
  rhip::app::MpiConfig mpi;
  rhip::app::AddMpiCommand(app, &mpi);
  rhip::app::RegionConfig region;
  rhip::app::AddRegionCommand(app, &region);
  rhip::app::TerminologyConfig terminology;
  rhip::app::AddTerminologyCommand(app, &terminology);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version with exit code 0; usage errors must exit 2.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // Before any store is opened: index rows and searches must fold text the same way.
  rhip::app::InstallChineseTextFolding();
  if (app.got_subcommand("serve")) return rhip::app::RunServe(serve);
  if (app.got_subcommand("import")) return rhip::app::RunImport(import);
  if (app.got_subcommand("reindex")) return rhip::app::RunReindex(reindex);
  if (app.got_subcommand("audit")) return rhip::app::RunAudit(audit);
  if (app.got_subcommand("mpi")) return rhip::app::RunMpi(app, mpi);
  if (app.got_subcommand("region")) return rhip::app::RunRegion(region);
  if (app.got_subcommand("validate")) return rhip::app::RunValidate(validate);
  if (app.got_subcommand("terminology")) return rhip::app::RunTerminology(terminology);
  if (std::optional<int> code = rhip::app::RunIdentityCommands(identity)) return *code;
  return 2;
}
