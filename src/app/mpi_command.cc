#include "app/mpi_command.h"

#include <cstdio>
#include <iostream>

#include "app/progress_bar.h"
#include "app/store.h"
#include "registry/mpi/training.h"

namespace rhip::app {

void AddMpiCommand(CLI::App& app, MpiConfig* c) {
  CLI::App* mpi = app.add_subcommand("mpi", "Master patient index jobs over the whole store");
  mpi->require_subcommand(1);
  CLI::App* dedupe = mpi->add_subcommand(
      "dedupe", "Index Patients the index does not know, re-run linkage over every record and "
                "join the golden records it links (adds links only; safe to run again)");
  CLI::App* train = mpi->add_subcommand(
      "train", "Estimate the matching model (m, u, prior) from this store's records and store it; "
               "a server started afterwards uses it");
  for (CLI::App* cmd : {dedupe, train}) {
    cmd->add_option("--data", c->data_dir, "Data directory (the SQLite store)")->required();
    cmd->add_option("--db", c->db_url, "postgresql://... to use PostgreSQL instead of SQLite");
    cmd->add_option("--threads", c->threads, "Worker threads (0: every core)")->check(CLI::Range(0, 256));
  }
  train->add_option("--u-pairs", c->u_pairs, "Random pairs sampled for u")->check(CLI::Range(int64_t{1000}, int64_t{1'000'000'000}));
  train->add_flag("--dry-run", c->dry_run, "Print the trained model without storing it");
}

namespace {

int Dedupe(registry::PatientIndex& index, const MpiConfig& c) {
  ProgressBar index_bar("index");
  ProgressBar link_bar("link");
  ProgressBar apply_bar("apply");
  auto report = index.Dedupe({.threads = c.threads,
                              .progress = [&](std::string_view stage, int64_t done, int64_t total) {
                                if (stage == "index") index_bar.Update(done, total, "Patients");
                                if (stage == "link") link_bar.Update(done, total, "pairs");
                                if (stage == "apply") apply_bar.Update(done, total, "moves");
                              }});
  if (!report.ok()) {
    std::cerr << "\nrhip mpi dedupe: " << report.status().message() << "\n";
    return 1;
  }
  const registry::DedupeReport& r = *report;
  std::printf(
      "records             %lld (newly indexed %lld)\n"
      "pairs scored        %lld (blocks over the size limit: %lld)\n"
      "link pairs          %lld (declared distinct, not linked: %lld)\n"
      "review items opened %lld\n"
      "golden records      %lld before, %lld after (%lld Patients moved)\n"
      "time                index %.1f s, load %.1f s, link %.1f s, apply %.1f s\n",
      static_cast<long long>(r.records), static_cast<long long>(r.patients_indexed),
      static_cast<long long>(r.pairs_scored), static_cast<long long>(r.blocks_skipped),
      static_cast<long long>(r.link_pairs), static_cast<long long>(r.distinct_pairs),
      static_cast<long long>(r.reviews_opened), static_cast<long long>(r.persons_before),
      static_cast<long long>(r.persons_after), static_cast<long long>(r.patients_moved),
      r.index_seconds, r.load_seconds, r.link_seconds, r.apply_seconds);
  return 0;
}

int Train(registry::PatientIndex& index, const MpiConfig& c) {
  registry::mpi::TrainingOptions options;
  options.u_pairs = c.u_pairs;
  options.threads = c.threads;
  auto result = index.Train(options, /*save=*/!c.dry_run);
  if (!result.ok()) {
    std::cerr << "rhip mpi train: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << registry::mpi::DescribeTraining(*result);
  std::cerr << (c.dry_run ? "rhip mpi train: not stored (--dry-run)\n"
                          : "rhip mpi train: model stored; restart rhip serve to use it\n");
  return 0;
}

}  // namespace

int RunMpi(const CLI::App& app, const MpiConfig& c) {
  auto store = OpenStore(c.data_dir, c.db_url);
  if (!store.ok()) {
    std::cerr << "rhip mpi: " << store.status().message() << "\n";
    return 1;
  }
  const CLI::App* mpi = app.get_subcommand("mpi");
  if (mpi->got_subcommand("dedupe")) return Dedupe(*store->patient_index, c);
  return Train(*store->patient_index, c);
}

}  // namespace rhip::app
