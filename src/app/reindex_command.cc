#include "app/reindex_command.h"

#include <iostream>

#include "app/progress_bar.h"
#include "app/store.h"
#include "fhir/search/reindex.h"

namespace rhip::app {

void AddReindexCommand(CLI::App& app, ReindexConfig* c) {
  CLI::App* cmd = app.add_subcommand(
      "reindex", "Rebuild the search index from the stored resources (resumable: run it again "
                 "after an interruption)");
  cmd->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
  cmd->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
}

int RunReindex(const ReindexConfig& c) {
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip reindex: " << store.status().message() << "\n";
    return 1;
  }
  ProgressBar bar("reindex");
  fhir::search::ReindexProgress last;
  absl::Status st = fhir::search::Reindex(*store->database, [&](const fhir::search::ReindexProgress& p) {
    last = p;
    bar.Update(p.done, p.total, "resources");
  });
  if (!st.ok()) {
    std::cerr << "\nrhip reindex: " << st.message() << " (run it again to resume)\n";
    return 1;
  }
  bar.Update(last.done, last.total, "resources", /*final=*/true);
  std::cerr << "rhip reindex: the search index is current\n";
  return 0;
}

}  // namespace rhip::app
