// Runs bulk jobs ($export, $import) one at a time on a background thread. Jobs are rows in
// bulk_job (job_store.h) and files in DATA/bulk/JOBID/, so after a restart a finished job
// can still be reported and downloaded and an unfinished one is run again (an export from
// the start, an import from its progress file).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "db/database.h"
#include "fhir/bulk/exporter.h"
#include "fhir/bulk/job_store.h"
#include "fhir/repository.h"

namespace rhip::fhir::bulk {

struct BulkOptions {
  std::string data_dir;                        // files go to DATA/bulk/, imports come from DATA/import/
  int64_t max_file_bytes = int64_t{1} << 30;   // an output file is split beyond this
  int import_threads = 4;
  int import_batch_size = 500;
};

class BulkService {
 public:
  // REQUIRES: db, repository and clock outlive the service.
  BulkService(db::Database* db, Repository* repository, const Clock* clock, BulkOptions options);
  ~BulkService();  // stops the worker (an interrupted job resumes after the next start)

  // Queues the unfinished jobs of an earlier run and starts the worker thread.
  absl::Status Start();

  // base_url: absolute FHIR base for file URLs in the manifest. Returns the job id.
  absl::StatusOr<std::string> SubmitExport(const ExportParams& params, std::string request_url,
                                           std::string base_url);
  // files: paths under DATA/import/ (already checked). Returns the job id.
  absl::StatusOr<std::string> SubmitImport(const std::vector<std::string>& files,
                                           std::string request_url, std::string base_url);

  absl::StatusOr<Job> Get(std::string_view id);
  // Progress of the running job, or its stored progress.
  std::string Progress(const Job& job);
  // Stops the job if it runs, then deletes its files and row. NotFound when absent.
  absl::Status Cancel(std::string_view id);

  // DATA/bulk/JOBID
  std::string JobDir(std::string_view id) const;
  const std::string& import_dir() const { return import_dir_; }

 private:
  void WorkLoop();
  void RunJob(const Job& job);
  absl::StatusOr<std::string> RunExportJob(const Job& job, const json::Value& params);
  absl::StatusOr<std::string> RunImportJob(const Job& job, const json::Value& params);
  absl::StatusOr<std::string> Submit(std::string kind, json::Value params, std::string request_url);
  void SetProgress(const std::string& id, std::string text);

  db::Database* db_;
  Repository* repository_;
  const Clock* clock_;
  BulkOptions options_;
  std::string import_dir_;
  JobStore store_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // job ids
  std::string running_;            // id of the job being run, empty when idle
  std::map<std::string, std::string> progress_;
  std::atomic<bool> cancel_{false};  // asks the running job to stop
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace rhip::fhir::bulk
