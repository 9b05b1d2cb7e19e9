#include "fhir/bulk/bulk_service.h"

#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/bulk/importer.h"
#include "fhir/operation_outcome.h"

namespace rhip::fhir::bulk {
namespace {

namespace fs = std::filesystem;

json::Value FileEntry(std::string_view type, std::string url, int64_t count) {
  json::Object o;
  o.Set("type", type);
  o.Set("url", std::move(url));
  o.Set("count", count);
  return json::Value(std::move(o));
}

}  // namespace

BulkService::BulkService(db::Database* db, Repository* repository, const Clock* clock,
                         BulkOptions options)
    : db_(db),
      repository_(repository),
      clock_(clock),
      options_(std::move(options)),
      import_dir_(StrCat(options_.data_dir, "/import")),
      store_(db) {}

BulkService::~BulkService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

absl::Status BulkService::Start() {
  std::error_code ec;
  fs::create_directories(StrCat(options_.data_dir, "/bulk"), ec);
  if (!ec) fs::create_directories(import_dir_, ec);
  if (ec) return MakeError(ErrorKind::kInternal, StrCat("cannot create bulk directories: ", ec.message()));
  ASSIGN_OR_RETURN(std::vector<Job> unfinished, store_.Unfinished());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Job& j : unfinished) queue_.push_back(j.id);
  }
  worker_ = std::thread([this] { WorkLoop(); });
  return absl::OkStatus();
}

std::string BulkService::JobDir(std::string_view id) const {
  return StrCat(options_.data_dir, "/bulk/", id);
}

absl::StatusOr<std::string> BulkService::Submit(std::string kind, json::Value params,
                                                std::string request_url) {
  Job job;
  job.id = NewResourceId();
  job.kind = std::move(kind);
  job.status = kStatusQueued;
  job.request_url = std::move(request_url);
  job.params = json::Serialize(params);
  job.transaction_time = clock_->Now();
  job.progress = "queued";
  RETURN_IF_ERROR(store_.Insert(job));
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job.id);
  }
  cv_.notify_all();
  return job.id;
}

absl::StatusOr<std::string> BulkService::SubmitExport(const ExportParams& params,
                                                      std::string request_url,
                                                      std::string base_url) {
  json::Object p;
  p.Set("base", std::move(base_url));
  p.Set("export", params.ToJson());
  return Submit("export", json::Value(std::move(p)), std::move(request_url));
}

absl::StatusOr<std::string> BulkService::SubmitImport(const std::vector<std::string>& files,
                                                      std::string request_url,
                                                      std::string base_url) {
  json::Object p;
  p.Set("base", std::move(base_url));
  json::Array f;
  for (const std::string& s : files) f.push_back(json::Value(s));
  p.Set("files", std::move(f));
  return Submit("import", json::Value(std::move(p)), std::move(request_url));
}

absl::StatusOr<Job> BulkService::Get(std::string_view id) { return store_.Get(id); }

std::string BulkService::Progress(const Job& job) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = progress_.find(job.id);
  return it != progress_.end() ? it->second : job.progress;
}

void BulkService::SetProgress(const std::string& id, std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  progress_[id] = std::move(text);
}

absl::Status BulkService::Cancel(std::string_view id) {
  ASSIGN_OR_RETURN(Job job, store_.Get(id));
  {
    std::unique_lock<std::mutex> lock(mu_);
    std::erase(queue_, job.id);
    if (running_ == job.id) {
      cancel_ = true;
      cv_.wait(lock, [&] { return running_ != job.id; });
    }
  }
  std::error_code ec;
  fs::remove_all(JobDir(job.id), ec);
  if (ec) return MakeError(ErrorKind::kInternal, StrCat("cannot remove job files: ", ec.message()));
  return store_.Remove(job.id);
}

void BulkService::WorkLoop() {
  while (true) {
    std::string id;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      running_ = id;
      cancel_ = false;
    }
    absl::StatusOr<Job> job = store_.Get(id);
    if (job.ok()) RunJob(*job);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_.clear();
      progress_.erase(id);
    }
    cv_.notify_all();
  }
}

void BulkService::RunJob(const Job& job) {
  absl::Status st = store_.SetStatus(job.id, kStatusRunning, "running", "");
  absl::StatusOr<json::Value> params = json::Parse(job.params);
  if (st.ok() && !params.ok()) st = params.status();
  absl::StatusOr<std::string> result =
      !st.ok()               ? absl::StatusOr<std::string>(st)
      : job.kind == "export" ? RunExportJob(job, *params)
                             : RunImportJob(job, *params);
  if (absl::IsCancelled(result.status())) {
    // Cancelled by DELETE (which removes the job) or by shutdown (the job stays "running"
    // and is resumed by the next start): nothing to record either way.
    return;
  }
  if (result.ok()) {
    (void)store_.SetStatus(job.id, kStatusCompleted, "completed", *result);
  } else {
    ErrorResponse err = ErrorResponseFor(result.status());
    (void)store_.SetStatus(job.id, kStatusFailed, "failed", json::Serialize(err.outcome));
  }
}

absl::StatusOr<std::string> BulkService::RunExportJob(const Job& job, const json::Value& params) {
  const std::string* base = params.FindString("base");
  const json::Value* p = params.Find("export");
  if (base == nullptr || p == nullptr) return MakeError(ErrorKind::kInternal, "damaged export job");
  ASSIGN_OR_RETURN(ExportParams export_params, ExportParams::FromJson(*p));
  std::string dir = JobDir(job.id);
  std::error_code ec;
  fs::remove_all(dir, ec);  // a resumed export starts over
  fs::create_directories(dir, ec);
  if (ec) return MakeError(ErrorKind::kInternal, StrCat("cannot create ", dir, ": ", ec.message()));
  ExportOptions o;
  o.max_file_bytes = options_.max_file_bytes;
  o.cancel = &cancel_;
  o.on_progress = [&](int64_t n) { SetProgress(job.id, StrCat("exported ", n, " resources")); };
  ASSIGN_OR_RETURN(ExportResult r, RunExport(*db_, *repository_, export_params, dir, o));
  json::Array output;
  json::Array errors;
  std::string prefix = StrCat(*base, "/$bulk-file/", job.id, "/");
  for (const OutputFile& f : r.files) output.push_back(FileEntry(f.type, prefix + f.name, f.count));
  for (const OutputFile& f : r.errors) errors.push_back(FileEntry(f.type, prefix + f.name, f.count));
  json::Object manifest;
  manifest.Set("transactionTime", FormatInstant(job.transaction_time));
  manifest.Set("request", job.request_url);
  manifest.Set("requiresAccessToken", false);
  manifest.Set("output", std::move(output));
  manifest.Set("error", std::move(errors));
  return json::Serialize(json::Value(std::move(manifest)));
}

absl::StatusOr<std::string> BulkService::RunImportJob(const Job& job, const json::Value& params) {
  const std::string* base = params.FindString("base");
  const json::Value* files = params.Find("files");
  if (base == nullptr || files == nullptr || !files->is_array()) {
    return MakeError(ErrorKind::kInternal, "damaged import job");
  }
  std::vector<std::string> paths;
  for (const json::Value& f : files->as_array()) {
    if (f.is_string()) paths.push_back(f.as_string());
  }
  std::string dir = JobDir(job.id);
  std::error_code ec;
  fs::create_directories(dir, ec);  // kept on resume: it holds the progress file
  if (ec) return MakeError(ErrorKind::kInternal, StrCat("cannot create ", dir, ": ", ec.message()));
  ImportOptions o;
  o.threads = options_.import_threads;
  o.batch_size = options_.import_batch_size;
  o.report_path = StrCat(dir, "/report.ndjson");
  o.progress_path = StrCat(dir, "/progress.json");
  o.cancel = &cancel_;
  o.on_progress = [&](const ImportProgress& p) {
    SetProgress(job.id, StrCat("imported ", p.imported, " resources, ", p.rejected, " rejected, ",
                               p.bytes_total > 0 ? 100 * p.bytes_done / p.bytes_total : 100,
                               "% read"));
  };
  ASSIGN_OR_RETURN(ImportStats stats, RunImport(*repository_, paths, o));
  // The report accumulates over resumed runs: count its lines for the manifest.
  int64_t rejected = 0;
  if (std::FILE* f = std::fopen(o.report_path.c_str(), "rb")) {
    for (int c; (c = std::fgetc(f)) != EOF;) rejected += c == '\n';
    std::fclose(f);
  }
  json::Array errors;
  if (rejected > 0) {
    errors.push_back(FileEntry("OperationOutcome",
                               StrCat(*base, "/$bulk-file/", job.id, "/report.ndjson"), rejected));
  }
  json::Object manifest;
  manifest.Set("transactionTime", FormatInstant(job.transaction_time));
  manifest.Set("request", job.request_url);
  manifest.Set("requiresAccessToken", false);
  manifest.Set("output", json::Array{});
  manifest.Set("error", std::move(errors));
  json::Object summary;
  summary.Set("files", stats.files);
  summary.Set("importedThisRun", stats.imported);
  summary.Set("rejected", rejected);
  manifest.Set("extension", json::Value(std::move(summary)));
  return json::Serialize(json::Value(std::move(manifest)));
}

}  // namespace rhip::fhir::bulk
