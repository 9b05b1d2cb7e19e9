// The FHIR resource repository: versioned create/read/update/delete, history, conditional
// operations and bundles over a db::Database. HTTP knows nothing of storage and the
// repository knows nothing of HTTP: rest_handler.cc maps between them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/json.h"
#include "db/database.h"
#include "fhir/search/query_compiler.h"
#include "fhir/search/search_request.h"

namespace rhip::fhir {

class TransactionWriter;  // write_interceptor.h
class WriteInterceptor;

// One version of one resource as stored.
struct StoredResource {
  std::string type;
  std::string id;
  int64_t version = 0;
  Micros last_updated = 0;
  bool deleted = false;
  std::string method;  // how this version came to be: POST, PUT, PATCH or DELETE
  std::string json;    // the resource with id and meta set; empty when deleted
};

struct WriteResult {
  StoredResource resource;
  // True when the write made a new resource (HTTP 201); false for an update, a delete,
  // or a conditional create that found an existing match (HTTP 200).
  bool created = false;
  // False when nothing was written: conditional create matched, or delete of an absent
  // or already deleted resource.
  bool changed = true;
};

// One resource of Repository::WriteBulk.
struct BulkResult {
  absl::Status status;  // not OK: the resource was rejected, with the reason
  std::string type;
  std::string id;
  int64_t version = 0;
};

struct Visibility {
  bool visible = false;
  std::string patient;  // "Patient/ID" the resource belongs to (itself for a Patient), or ""
};

// Version precondition from If-Match (W/"n" or "n").
using ExpectedVersion = std::optional<int64_t>;

enum class PatchFormat { kJsonPatch, kFhirPathPatch };

struct HistoryRequest {
  std::string type;  // empty: system history
  std::string id;    // empty: type (or system) history
  std::optional<Micros> since;  // versions last updated at or after
  std::optional<Micros> at;     // only versions current at this instant
  int count = 50;               // page size, 1..1000
  std::string cursor;           // opaque, from HistoryPage::next_cursor
};

struct HistoryPage {
  std::vector<StoredResource> entries;  // newest first
  std::string next_cursor;              // empty on the last page
};

struct SearchInput {
  std::string type;                  // empty: a system search (across types, see _type)
  search::QueryParams params;        // decoded query (and _search form) parameters
  bool lenient = false;              // Prefer: handling=lenient
  std::string compartment_id;        // Patient/[id]/[type]?... and $everything
  bool everything = false;           // Patient/[id]/$everything: the Patient and its compartment
  search::AccessPredicate access;    // the caller's access rule, applied in SQL
};

struct SearchResult {
  search::SearchRequest request;         // as understood: _summary, _elements, link parameters
  std::vector<StoredResource> matches;   // this page, in order
  std::vector<StoredResource> included;  // _include / _revinclude
  std::optional<int64_t> total;
  std::string next_cursor;  // empty on the last page
  std::string prev_cursor;  // empty on the first page
};

class Repository {
 public:
  virtual ~Repository() = default;

  // REQUIRES: db and clock outlive the repository.
  static std::unique_ptr<Repository> Create(db::Database* db, const Clock* clock);

  virtual absl::StatusOr<StoredResource> Read(std::string_view type, std::string_view id) = 0;
  virtual absl::StatusOr<StoredResource> VRead(std::string_view type, std::string_view id,
                                               int64_t version) = 0;

  // Whether the current, non-deleted resource type/id exists and `access` admits it (an
  // empty predicate admits every resource), and the Patient it belongs to. One statement.
  virtual absl::StatusOr<Visibility> CheckVisible(std::string_view type, std::string_view id,
                                                  const search::AccessPredicate& access) = 0;

  // Server-assigned id. With if_none_exist (a query such as "identifier=sys|v"), an existing
  // single match is returned instead of creating; several matches fail with 412.
  virtual absl::StatusOr<WriteResult> Create(json::Value resource,
                                             std::string_view if_none_exist = {}) = 0;
  // Update, or create with the client's id when absent (update-as-create).
  virtual absl::StatusOr<WriteResult> Update(std::string_view type, std::string_view id,
                                             json::Value resource, ExpectedVersion expected) = 0;
  // Update the single match of query; no match creates; several matches fail with 412.
  virtual absl::StatusOr<WriteResult> ConditionalUpdate(std::string_view type,
                                                        std::string_view query,
                                                        json::Value resource,
                                                        ExpectedVersion expected) = 0;
  virtual absl::StatusOr<WriteResult> Patch(std::string_view type, std::string_view id,
                                            PatchFormat format, const json::Value& patch,
                                            ExpectedVersion expected) = 0;
  virtual absl::StatusOr<WriteResult> Delete(std::string_view type, std::string_view id,
                                             ExpectedVersion expected) = 0;
  // Deletes every match (at most `limit`, else 412). Returns how many were deleted.
  virtual absl::StatusOr<int> ConditionalDelete(std::string_view type, std::string_view query,
                                                int limit) = 0;

  virtual absl::StatusOr<HistoryPage> History(const HistoryRequest& request) = 0;

  // A FHIR search: one page of matches with includes, total and paging cursors.
  virtual absl::StatusOr<SearchResult> Search(const SearchInput& input) = 0;

  // Convenience: the first page (at most _count, default 20, max 1000) of current resources of
  // type matching query, an URL query string.
  absl::StatusOr<std::vector<StoredResource>> Search(std::string_view type, std::string_view query);

  // The stored StructureDefinition with this canonical URL ("|version" ignored), for
  // meta.profile validation; nullopt when there is none.
  std::optional<json::Value> FindStructureDefinition(std::string_view canonical_url);

  // Bulk loading (rhip import, $import): writes resources, each a PUT when it carries an id
  // and a POST otherwise, in one durable transaction, with validation, id assignment and index
  // extraction on the caller's thread. Items are independent: one that is invalid gets its
  // error in its result and the others are written. A failure of the whole write is the
  // returned status. New resources are read by id at once but found by search only after
  // BuildStagedIndex. References are stored as written: callers resolve conditional ones
  // (ProcessBundle does) first.
  virtual absl::StatusOr<std::vector<BulkResult>> WriteBulk(std::vector<json::Value> resources) = 0;

  // Makes every bulk-loaded resource searchable (search/staged_index.h); returns the number
  // of index rows moved, 0 at once when there are none.
  virtual absl::StatusOr<int64_t> BuildStagedIndex(
      const std::function<void(int64_t rows_done, int64_t rows_total)>& progress = {}) = 0;

  // Processes a Bundle of type batch or transaction and returns the response Bundle.
  // base_url (e.g. http://host/fhir) prefixes fullUrl and Location values. `access` applies
  // to its GET entries (searches, and reads: 403 when not admitted); writes are the caller's
  // to check (fhir/personal_data_access.h).
  virtual absl::StatusOr<json::Value> ProcessBundle(json::Value bundle, std::string_view base_url,
                                                    const search::AccessPredicate& access) = 0;

  // Registers a domain reaction to every stored version of `type`, by any path (REST, bundles,
  // bulk loads), run inside the same transaction (write_interceptor.h). REQUIRES: before the
  // repository is shared between threads; interceptor outlives the repository.
  virtual void AddWriteInterceptor(std::string_view type, WriteInterceptor* interceptor) = 0;

  // Runs fn as one durable write transaction (for domain operations that change resources and
  // their own tables together, such as an MPI merge). fn's error rolls everything back; fn may
  // run twice (db/database.h). Its writes run no interceptors.
  virtual absl::Status WriteTransaction(
      const std::function<absl::Status(TransactionWriter&)>& fn) = 0;
};

}  // namespace rhip::fhir
