#include "fhir/bulk/job_store.h"

#include <utility>

#include "core/error.h"
#include "core/status_macros.h"
#include "core/strings.h"

namespace rhip::fhir::bulk {
namespace {

constexpr char kColumns[] =
    "id, kind, status, request_url, params, transaction_time, progress, result";

Job FromRow(const db::Row& r) {
  Job j;
  j.id = r.Text(0);
  j.kind = r.Text(1);
  j.status = r.Text(2);
  j.request_url = r.Text(3);
  j.params = r.Text(4);
  j.transaction_time = r.Int(5);
  j.progress = r.Text(6);
  if (!r.IsNull(7)) j.result = r.Text(7);
  return j;
}

}  // namespace

absl::Status JobStore::Insert(const Job& job) {
  return db_->Write([&](db::Session& s) {
    return s
        .Execute(StrCat("INSERT INTO bulk_job (", kColumns,
                        ") VALUES (:id, :kind, :status, :url, :params, :tt, :progress, :result)"),
                 {{"id", job.id},
                  {"kind", job.kind},
                  {"status", job.status},
                  {"url", job.request_url},
                  {"params", job.params},
                  {"tt", job.transaction_time},
                  {"progress", job.progress},
                  {"result", job.result}})
        .status();
  });
}

absl::StatusOr<Job> JobStore::Get(std::string_view id) {
  std::optional<Job> job;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(StrCat("SELECT ", kColumns,
                                                   " FROM bulk_job WHERE id = :id"),
                                            {{"id", std::string(id)}}));
    if (!rows.empty()) job = FromRow(rows[0]);
    return absl::OkStatus();
  }));
  if (!job) return MakeError(ErrorKind::kNotFound, StrCat("no bulk job ", id));
  return *std::move(job);
}

absl::Status JobStore::SetStatus(std::string_view id, std::string_view status,
                                 std::string_view progress, std::string_view result) {
  return db_->Write([&](db::Session& s) {
    return s
        .Execute("UPDATE bulk_job SET status = :status, progress = :progress, result = :result "
                 "WHERE id = :id",
                 {{"status", std::string(status)},
                  {"progress", std::string(progress)},
                  {"result", std::string(result)},
                  {"id", std::string(id)}})
        .status();
  });
}

absl::Status JobStore::Remove(std::string_view id) {
  return db_->Write([&](db::Session& s) {
    return s.Execute("DELETE FROM bulk_job WHERE id = :id", {{"id", std::string(id)}}).status();
  });
}

absl::StatusOr<std::vector<Job>> JobStore::Unfinished() {
  std::vector<Job> out;
  RETURN_IF_ERROR(db_->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(StrCat("SELECT ", kColumns,
                                    " FROM bulk_job WHERE status IN ('queued', 'running') "
                                    "ORDER BY transaction_time")));
    out.clear();
    for (const db::Row& r : rows) out.push_back(FromRow(r));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace rhip::fhir::bulk
