#include "fhir/bulk/importer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/json.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "fhir/bulk/resource_reader.h"
#include "fhir/operation_outcome.h"
#include "fhir/reference.h"

namespace rhip::fhir::bulk {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using RefMap = std::unordered_map<std::string, std::string>;  // fullUrl -> Type/id

// Where a file's committed prefix ends: the item number and the byte just past it.
struct Mark {
  int64_t number = 0;
  int64_t offset = 0;
  bool done = false;
};

struct Batch {
  size_t file = 0;
  int64_t seq = 0;
  std::vector<ReadItem> items;
};

struct FileState {
  std::string path;
  FileFormat format = FileFormat::kNdjson;
  std::shared_ptr<const RefMap> refs;
  Mark committed;
  int64_t issued = 0;          // batches queued
  int64_t next_commit = 0;     // seq of the oldest batch not yet committed
  std::map<int64_t, Mark> finished;  // batches done out of order, by seq
  bool reading_done = false;
  bool malformed = false;  // reading stopped at a fault in the file
};

void RewriteReferences(json::Value* v, const RefMap& refs) {
  if (v->is_object()) {
    for (auto& [key, child] : v->as_object()) {
      if (key == "reference" && child.is_string()) {
        auto it = refs.find(child.as_string());
        if (it != refs.end()) child = json::Value(it->second);
      } else {
        RewriteReferences(&child, refs);
      }
    }
  } else if (v->is_array()) {
    for (json::Value& child : v->as_array()) RewriteReferences(&child, refs);
  }
}

// Whether v holds a reference only the repository's bundle processing resolves: a conditional
// one (Type?criteria) or a urn:uuid/urn:oid placeholder.
bool NeedsResolution(const json::Value& v) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "reference" && child.is_string()) {
        if (IsPlaceholderReference(child.as_string()) || IsConditionalReference(child.as_string())) {
          return true;
        }
      } else if (NeedsResolution(child)) {
        return true;
      }
    }
  } else if (v.is_array()) {
    for (const json::Value& child : v.as_array()) {
      if (NeedsResolution(child)) return true;
    }
  }
  return false;
}

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// The index just past the JSON string starting at s[i] (a quote), or npos.
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The index just past the JSON value starting at s[i], or npos.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] != '{' && s[i] != '[') {
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
      ++i;
    }
    return i;
  }
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      i = SkipString(s, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// The text of member key of the JSON object in s, looking at the top level only and skipping
// the other members' values without building them; nullopt when absent or malformed.
std::optional<std::string_view> MemberText(std::string_view s, std::string_view key) {
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  i = SkipSpace(s, i + 1);
  while (i < s.size() && s[i] == '"') {
    size_t end = SkipString(s, i);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view name = s.substr(i + 1, end - i - 2);
    i = SkipSpace(s, end);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    i = SkipSpace(s, i + 1);
    size_t value_end = SkipValue(s, i);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (name == key) return s.substr(i, value_end - i);
    i = SkipSpace(s, value_end);
    if (i < s.size() && s[i] == ',') i = SkipSpace(s, i + 1);
  }
  return std::nullopt;
}

// A string member's value when it needs no unescaping (ids, types and URLs do not).
std::optional<std::string_view> PlainStringMember(std::string_view s, std::string_view key) {
  std::optional<std::string_view> v = MemberText(s, key);
  if (!v || v->size() < 2 || v->front() != '"' || v->find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  return v->substr(1, v->size() - 2);
}

// fullUrl -> Type/id for the entries of a Bundle file whose resources have ids, so that
// urn:uuid references (Synthea's transaction bundles) point at the ids the import keeps.
// Scans the three members instead of parsing each entry (this pass reads the whole file once
// more); an entry it cannot read plainly is parsed.
absl::StatusOr<std::shared_ptr<const RefMap>> CollectFullUrls(const std::string& path) {
  auto refs = std::make_shared<RefMap>();
  ASSIGN_OR_RETURN(std::unique_ptr<ResourceReader> reader, ResourceReader::Open(path));
  ReadItem item;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&item);
    if (!more.ok() || !*more) break;  // a fault is reported by the import pass
    std::optional<std::string_view> full_url = PlainStringMember(item.text, "fullUrl");
    std::optional<std::string_view> resource = MemberText(item.text, "resource");
    std::optional<std::string_view> type, id;
    if (resource) {
      type = PlainStringMember(*resource, "resourceType");
      id = PlainStringMember(*resource, "id");
    }
    if (full_url && type && id) {
      refs->emplace(std::string(*full_url), StrCat(*type, "/", *id));
      continue;
    }
    absl::StatusOr<json::Value> entry = json::Parse(item.text);
    if (!entry.ok()) continue;  // reported when the entry itself is imported
    const std::string* url = entry->FindString("fullUrl");
    const json::Value* r = entry->Find("resource");
    if (url == nullptr || r == nullptr) continue;
    const std::string* t = r->FindString("resourceType");
    const std::string* i = r->FindString("id");
    if (t != nullptr && i != nullptr) refs->emplace(*url, StrCat(*t, "/", *i));
  }
  return std::shared_ptr<const RefMap>(std::move(refs));
}

class Importer {
 public:
  Importer(Repository& repo, const ImportOptions& o) : repo_(repo), o_(o) {}

  absl::StatusOr<ImportStats> Run(const std::vector<std::string>& paths) {
    start_ = Clock::now();
    RETURN_IF_ERROR(LoadProgress());
    RETURN_IF_ERROR(BuildIndex());
    if (!o_.report_path.empty()) {
      report_ = std::fopen(o_.report_path.c_str(), "ab");
      if (report_ == nullptr) {
        return MakeError(ErrorKind::kInternal, StrCat("cannot open report ", o_.report_path));
      }
    }
    for (const std::string& p : paths) {
      std::error_code ec;
      auto size = fs::file_size(p, ec);
      if (ec) return MakeError(ErrorKind::kNotFound, StrCat("cannot read ", p, ": ", ec.message()));
      progress_.bytes_total += static_cast<int64_t>(size);
      FileState f;
      f.path = fs::absolute(p).lexically_normal().string();
      ASSIGN_OR_RETURN(f.format, ResourceReader::FormatOf(p));
      auto it = saved_.find(f.path);
      if (it != saved_.end()) f.committed = it->second;
      files_.push_back(std::move(f));
    }
    stats_.files = static_cast<int64_t>(files_.size());

    std::vector<std::thread> workers;
    for (int i = 0; i < o_.threads; ++i) workers.emplace_back([this] { WorkLoop(); });
    absl::Status read_status = ReadAll();
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      if (!read_status.ok() && error_.ok()) error_ = read_status;
    }
    queue_cv_.notify_all();
    for (std::thread& t : workers) t.join();
    absl::Status saved = SaveProgress(/*force=*/true);
    if (report_ != nullptr) std::fclose(report_);
    // What was written is made searchable even when the run stopped early.
    absl::Status indexed = BuildIndex();
    stats_.seconds = Seconds();
    Report();
    RETURN_IF_ERROR(error_);
    RETURN_IF_ERROR(saved);
    RETURN_IF_ERROR(indexed);
    return stats_;
  }

 private:
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  absl::Status BuildIndex() {
    Clock::time_point t0 = Clock::now();
    ASSIGN_OR_RETURN(int64_t rows, repo_.BuildStagedIndex(o_.on_index_progress));
    stats_.index_rows += rows;
    stats_.index_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return absl::OkStatus();
  }

  bool Stopping() {
    if (o_.cancel != nullptr && o_.cancel->load()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.ok()) error_ = absl::CancelledError("import cancelled");
    }
    std::lock_guard<std::mutex> lock(mu_);
    return !error_.ok();
  }

  void Report() {
    if (!o_.on_progress) return;
    ImportProgress p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      p = progress_;
    }
    p.seconds = Seconds();
    o_.on_progress(p);
  }

  absl::Status ReadAll() {
    int64_t bytes_before = 0;
    for (size_t i = 0; i < files_.size(); ++i) {
      FileState& f = files_[i];
      std::error_code ec;
      int64_t size = static_cast<int64_t>(fs::file_size(f.path, ec));
      if (f.committed.done) {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.files_skipped++;
        f.reading_done = true;
        bytes_before += size;
        progress_.bytes_done = bytes_before;
        continue;
      }
      absl::Status st = ReadFile(i, bytes_before);
      if (!st.ok() && (KindOf(st) != ErrorKind::kInvalid || Stopping())) return st;
      bytes_before += size;
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok()) {
        // A malformed file: what came before the fault is imported, the fault is reported,
        // the other files go on, and the file stays unfinished for a re-run once fixed.
        f.malformed = true;
        json::Object o;
        o.Set("file", f.path);
        o.Set("outcome", Outcome(ToStd(st.message())));
        RETURN_IF_ERROR(WriteReportLocked({json::Serialize(json::Value(std::move(o)))}));
        progress_.rejected++;
        stats_.rejected++;
      }
      f.reading_done = true;
      AdvanceLocked(f);
    }
    return absl::OkStatus();
  }

  // Queues file i's items in batches, from its committed mark on.
  absl::Status ReadFile(size_t i, int64_t bytes_before) {
    FileState& f = files_[i];
    if (f.format == FileFormat::kBundle) {
      ASSIGN_OR_RETURN(f.refs, CollectFullUrls(f.path));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ResourceReader> reader,
                     ResourceReader::Open(f.path, f.committed.number, f.committed.offset));
    Batch batch;
    batch.file = i;
    while (true) {
      if (Stopping()) {
        // Not OK: the file must not be marked done.
        std::lock_guard<std::mutex> lock(mu_);
        return error_;
      }
      ReadItem item;
      absl::StatusOr<bool> more = reader->Next(&item);
      if (more.ok() && *more) batch.items.push_back(std::move(item));
      if (batch.items.size() >= static_cast<size_t>(o_.batch_size) ||
          (!(more.ok() && *more) && !batch.items.empty())) {
        Push(std::move(batch));
        batch = Batch{};
        batch.file = i;
        {
          std::lock_guard<std::mutex> lock(mu_);
          progress_.bytes_done = bytes_before + reader->offset();
        }
        Report();
      }
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
    }
  }

  void Push(Batch batch) {
    std::unique_lock<std::mutex> lock(mu_);
    batch.seq = files_[batch.file].issued++;
    space_cv_.wait(lock, [&] {
      return queue_.size() < static_cast<size_t>(2 * o_.threads) || !error_.ok();
    });
    queue_.push_back(std::move(batch));
    queue_cv_.notify_one();
  }

  void WorkLoop() {
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        queue_cv_.wait(lock, [&] { return !queue_.empty() || closed_ || !error_.ok(); });
        if (queue_.empty() || !error_.ok()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
        space_cv_.notify_one();
      }
      absl::Status st = Process(batch);
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok()) {
        if (error_.ok()) error_ = st;
        space_cv_.notify_all();
        queue_cv_.notify_all();
        return;
      }
      FileState& f = files_[batch.file];
      f.finished[batch.seq] = Mark{batch.items.back().number, batch.items.back().end_offset, false};
      AdvanceLocked(f);
    }
  }

  // Moves the file's committed mark over every batch finished in order.
  void AdvanceLocked(FileState& f) {
    while (!f.finished.empty() && f.finished.begin()->first == f.next_commit) {
      f.committed = f.finished.begin()->second;
      f.finished.erase(f.finished.begin());
      f.next_commit++;
    }
    if (f.reading_done && !f.malformed && f.next_commit == f.issued) f.committed.done = true;
    dirty_ = true;
    absl::Status st = SaveProgressLocked(false);
    if (!st.ok() && error_.ok()) error_ = st;
  }

  void Reject(std::vector<std::string>* lines, const FileState& f, const ReadItem& item,
              json::Value outcome) {
    json::Object o;
    o.Set("file", f.path);
    o.Set(f.format == FileFormat::kNdjson ? "line" : "entry", item.number);
    o.Set("outcome", std::move(outcome));
    lines->push_back(json::Serialize(json::Value(std::move(o))));
  }

  static json::Value Outcome(std::string_view message) {
    return ErrorResponseFor(MakeError(ErrorKind::kInvalid, message)).outcome;
  }

  // Items go to Repository::WriteBulk (the fast path, index staged) unless they hold a
  // reference the repository must resolve (conditional, or a placeholder the file's fullUrls
  // did not map): those go through a batch Bundle, after the staged index is built so their
  // searches see everything loaded before.
  absl::Status Process(const Batch& batch) {
    const FileState& f = files_[batch.file];
    std::vector<std::string> rejected;
    std::vector<json::Value> direct;
    std::vector<size_t> direct_items;  // item index of each direct resource
    json::Array entries;
    std::vector<size_t> entry_items;  // item index of each bundle entry
    for (size_t i = 0; i < batch.items.size(); ++i) {
      const ReadItem& item = batch.items[i];
      absl::StatusOr<json::Value> parsed = json::Parse(item.text);
      if (!parsed.ok()) {
        Reject(&rejected, f, item, Outcome(StrCat("invalid JSON: ", parsed.status().message())));
        continue;
      }
      json::Value resource;
      if (f.format == FileFormat::kBundle) {
        json::Value* r = parsed->Find("resource");
        if (r == nullptr) {
          Reject(&rejected, f, item, Outcome("Bundle.entry has no resource"));
          continue;
        }
        resource = std::move(*r);
      } else {
        resource = *std::move(parsed);
      }
      const std::string* type = resource.is_object() ? resource.FindString("resourceType") : nullptr;
      if (type == nullptr) {
        Reject(&rejected, f, item, Outcome("not a FHIR resource (no resourceType)"));
        continue;
      }
      if (f.refs && !f.refs->empty()) RewriteReferences(&resource, *f.refs);
      if (!NeedsResolution(resource)) {
        direct.push_back(std::move(resource));
        direct_items.push_back(i);
        continue;
      }
      json::Object request;
      const std::string* id = resource.FindString("id");
      request.Set("method", id != nullptr ? "PUT" : "POST");
      request.Set("url", id != nullptr ? StrCat(*type, "/", *id) : *type);
      json::Object entry;
      entry.Set("resource", std::move(resource));
      entry.Set("request", std::move(request));
      entries.push_back(json::Value(std::move(entry)));
      entry_items.push_back(i);
    }
    int64_t imported = 0;
    if (!direct.empty()) {
      ASSIGN_OR_RETURN(std::vector<BulkResult> results, repo_.WriteBulk(std::move(direct)));
      for (size_t k = 0; k < results.size(); ++k) {
        if (results[k].status.ok()) {
          ++imported;
        } else {
          Reject(&rejected, f, batch.items[direct_items[k]],
                 ErrorResponseFor(results[k].status).outcome);
        }
      }
    }
    if (!entries.empty()) {
      RETURN_IF_ERROR(repo_.BuildStagedIndex().status());
      json::Object bundle;
      bundle.Set("resourceType", "Bundle");
      bundle.Set("type", "batch");
      bundle.Set("entry", std::move(entries));
      ASSIGN_OR_RETURN(json::Value response,
                       repo_.ProcessBundle(json::Value(std::move(bundle)), "urn:rhip:import", {}));
      const json::Value* out = response.Find("entry");
      if (out == nullptr || !out->is_array() || out->as_array().size() != entry_items.size()) {
        return MakeError(ErrorKind::kInternal, "batch response does not match the request");
      }
      for (size_t k = 0; k < entry_items.size(); ++k) {
        const json::Value* resp = out->as_array()[k].Find("response");
        const std::string* status = resp == nullptr ? nullptr : resp->FindString("status");
        if (status != nullptr && !status->empty() && (*status)[0] == '2') {
          ++imported;
          continue;
        }
        const json::Value* outcome = resp == nullptr ? nullptr : resp->Find("outcome");
        Reject(&rejected, f, batch.items[entry_items[k]],
               outcome != nullptr ? *outcome : Outcome(StrCat("rejected: ", status ? *status : "?")));
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    progress_.imported += imported;
    progress_.rejected += static_cast<int64_t>(rejected.size());
    stats_.imported += imported;
    stats_.rejected += static_cast<int64_t>(rejected.size());
    return WriteReportLocked(rejected);
  }

  absl::Status WriteReportLocked(const std::vector<std::string>& lines) {
    if (report_ == nullptr || lines.empty()) return absl::OkStatus();
    for (const std::string& line : lines) {
      std::fwrite(line.data(), 1, line.size(), report_);
      std::fputc('\n', report_);
    }
    // Report lines reach the file before the progress mark passes them.
    if (std::fflush(report_) != 0) {
      return MakeError(ErrorKind::kInternal, StrCat("cannot write ", o_.report_path));
    }
    return absl::OkStatus();
  }

  absl::Status LoadProgress() {
    if (o_.progress_path.empty()) return absl::OkStatus();
    std::FILE* f = std::fopen(o_.progress_path.c_str(), "rb");
    if (f == nullptr) return absl::OkStatus();  // first run
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
    absl::StatusOr<json::Value> v = json::Parse(text);
    const json::Value* files = v.ok() ? v->Find("files") : nullptr;
    if (files == nullptr || !files->is_object()) {
      return MakeError(ErrorKind::kInvalid,
                       StrCat("progress file ", o_.progress_path, " is damaged; delete it to start over"));
    }
    for (const auto& [path, m] : files->as_object()) {
      Mark mark;
      if (const json::Value* x = m.Find("number")) mark.number = x->AsInt64().value_or(0);
      if (const json::Value* x = m.Find("offset")) mark.offset = x->AsInt64().value_or(0);
      if (const json::Value* x = m.Find("done")) mark.done = x->is_bool() && x->as_bool();
      saved_[path] = mark;
    }
    return absl::OkStatus();
  }

  absl::Status SaveProgress(bool force) {
    std::lock_guard<std::mutex> lock(mu_);
    return SaveProgressLocked(force);
  }

  // Writes the marks to a temporary file and renames it over the progress file, so a crash
  // leaves either the old or the new state. At most once a second unless forced.
  absl::Status SaveProgressLocked(bool force) {
    if (o_.progress_path.empty() || !dirty_) return absl::OkStatus();
    if (!force && Clock::now() - last_save_ < std::chrono::seconds(1)) return absl::OkStatus();
    json::Object files;
    for (const auto& [path, mark] : saved_) {
      json::Object m;
      m.Set("number", mark.number);
      m.Set("offset", mark.offset);
      m.Set("done", mark.done);
      files.Set(path, json::Value(std::move(m)));
    }
    for (const FileState& f : files_) {
      json::Object m;
      m.Set("number", f.committed.number);
      m.Set("offset", f.committed.offset);
      m.Set("done", f.committed.done);
      files.Set(f.path, json::Value(std::move(m)));
    }
    json::Object root;
    root.Set("files", std::move(files));
    std::string text = json::SerializePretty(json::Value(std::move(root)));
    std::string tmp = o_.progress_path + ".tmp";
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (out == nullptr) return MakeError(ErrorKind::kInternal, StrCat("cannot write ", tmp));
    bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    ok = std::fclose(out) == 0 && ok;
    std::error_code ec;
    if (ok) fs::rename(tmp, o_.progress_path, ec);
    if (!ok || ec) return MakeError(ErrorKind::kInternal, StrCat("cannot write ", o_.progress_path));
    last_save_ = Clock::now();
    dirty_ = false;
    return absl::OkStatus();
  }

  Repository& repo_;
  const ImportOptions& o_;
  Clock::time_point start_;
  std::map<std::string, Mark> saved_;  // from the progress file, by absolute path
  std::vector<FileState> files_;       // guarded by mu_ once workers run
  std::FILE* report_ = nullptr;

  std::mutex mu_;
  std::condition_variable queue_cv_;  // work queued or closed
  std::condition_variable space_cv_;  // room in the queue
  std::deque<Batch> queue_;
  bool closed_ = false;
  absl::Status error_;
  ImportProgress progress_;
  ImportStats stats_;
  bool dirty_ = false;
  Clock::time_point last_save_{};
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ListImportFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  std::set<std::string> seen;  // a file named and also inside a named directory: once
  auto add = [&](const std::string& p) {
    if (seen.insert(fs::absolute(p).lexically_normal().string()).second) out.push_back(p);
  };
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        std::string name = it->path().string();
        if (ResourceReader::FormatOf(name).ok()) found.push_back(name);
      }
      if (ec) return MakeError(ErrorKind::kNotFound, StrCat("cannot list ", p, ": ", ec.message()));
      std::sort(found.begin(), found.end());
      for (const std::string& f : found) add(f);
    } else if (fs::is_regular_file(p, ec)) {
      RETURN_IF_ERROR(ResourceReader::FormatOf(p).status());
      add(p);
    } else {
      return MakeError(ErrorKind::kNotFound, StrCat("no such file or directory: ", p));
    }
  }
  return out;
}

absl::StatusOr<ImportStats> RunImport(Repository& repository, const std::vector<std::string>& files,
                                      const ImportOptions& options) {
  Importer importer(repository, options);
  return importer.Run(files);
}

}  // namespace rhip::fhir::bulk
