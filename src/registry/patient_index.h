// The master patient index over the FHIR store (issue 5, docs/MPI.md): every stored Patient
// version is matched inside its own write transaction (a fhir::WriteInterceptor) and belongs to
// exactly one golden record, a FHIR Person whose links name its Patients. Persons of
// people who have one Patient are golden records too, so that clients always find one.
//
// Decisions (Fellegi–Sunter, registry/mpi/): p ≥ link joins the best candidate's Person;
// review ≤ p < link keeps the Patient apart and opens a review item; below stays apart.
// Pairs a steward declared distinct are never linked automatically.
//
// Thread-safe; all state is in the database (a transaction that runs twice does the same).
#pragma once

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
#include "fhir/repository.h"
#include "fhir/write_interceptor.h"
#include "registry/mpi/fellegi_sunter.h"
#include "registry/mpi/training.h"

namespace rhip::registry {

struct PatientIndexOptions {
  mpi::Thresholds thresholds;
  // Candidates taken per blocking key; a key shared by more records is too common to tell
  // anyone apart (a name alone in a big city) and is cut here.
  int max_block = 200;
};

struct MatchCandidate {
  std::string patient_id;
  std::string person_id;
  double probability = 0;
  mpi::Decision decision = mpi::Decision::kSeparate;
};

struct ReviewItem {
  int64_t id = 0;
  std::string patient_id;
  std::string candidate_id;
  double probability = 0;
  std::string status;  // open, linked, distinct, obsolete
  Micros created = 0;
  std::string decided_by;
  Micros decided_at = 0;
  std::string reason;
};

struct LinkEvent {
  int64_t id = 0;
  Micros time = 0;
  std::string actor;
  std::string action;  // auto-link, new, link, unlink, merge, unmerge, review-link, review-distinct
  std::string patient_id;
  std::string other_id;
  std::string person_before;
  std::string person_after;
  double probability = 0;
  std::string reason;
  int64_t undo_of = 0;
};

struct DedupeOptions {
  int threads = 0;  // 0: every core
  // Called now and then with the stage ("index", "link", "apply") and its progress.
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

struct DedupeReport {
  int64_t patients_indexed = 0;  // Patients stored before the index knew them
  int64_t records = 0;
  int64_t pairs_scored = 0;
  int64_t blocks_skipped = 0;   // blocks over the size limit (their keys tell nobody apart)
  int64_t link_pairs = 0;       // pairs at or above the link threshold
  int64_t distinct_pairs = 0;   // of those, pairs a steward declared distinct (not linked)
  int64_t reviews_opened = 0;
  int64_t persons_before = 0;
  int64_t persons_after = 0;
  int64_t patients_moved = 0;   // into another Person
  double index_seconds = 0, load_seconds = 0, link_seconds = 0, apply_seconds = 0;
};

// Who asked for a change, and why (kept with the event).
struct Steward {
  std::string actor;
  std::string reason;
};

class PatientIndex : public fhir::WriteInterceptor {
 public:
  // With the model stored by `rhip mpi train` when there is one, else the built-in
  // mpi::DefaultModel(). REQUIRES: repository, db and clock outlive the index.
  static absl::StatusOr<std::unique_ptr<PatientIndex>> Open(fhir::Repository* repository,
                                                            db::Database* db, const Clock* clock,
                                                            PatientIndexOptions options = {});

  absl::Status AfterWrite(const fhir::StoredResource& written, fhir::TransactionWriter& tx) override;

  // Candidates for a Patient resource (need not be stored), best first, at most count, with
  // p ≥ options.thresholds.review (or ≥ link when only_certain).
  absl::StatusOr<std::vector<MatchCandidate>> Match(const json::Value& patient, int count,
                                                    bool only_certain) const;
  // The Patients sharing the golden record of the Patient with this identifier.
  absl::StatusOr<std::vector<std::string>> LinkedPatients(std::string_view patient_id) const;
  // The golden record's id.
  absl::StatusOr<std::string> PersonOf(std::string_view patient_id) const;

  // Moves Patient `patient` into the Person of `other` (a confirmed link).
  absl::StatusOr<LinkEvent> Link(std::string_view patient, std::string_view other, const Steward& who);
  // Takes patient out of its Person into a new one of its own, and records it as distinct from
  // the Patients it leaves.
  absl::StatusOr<LinkEvent> Unlink(std::string_view patient, const Steward& who);
  // Source is a duplicate of target: source becomes inactive with link replaced-by target,
  // target gets link replaces source, both in target's Person.
  absl::StatusOr<LinkEvent> Merge(std::string_view source, std::string_view target, const Steward& who);
  // Reverses the latest merge of source: its content before the merge comes back, active again,
  // in a Person of its own.
  absl::StatusOr<LinkEvent> Unmerge(std::string_view source, const Steward& who);

  // Items with this status and id > after_id, by id, at most count.
  absl::StatusOr<std::vector<ReviewItem>> Reviews(std::string_view status, int count,
                                                  int64_t after_id = 0) const;
  absl::StatusOr<ReviewItem> Review(int64_t id) const;
  // decision: "link" or "distinct".
  absl::StatusOr<ReviewItem> DecideReview(int64_t id, std::string_view decision, const Steward& who);
  absl::StatusOr<std::vector<LinkEvent>> History(std::string_view patient_id) const;

  // `rhip mpi dedupe`: indexes the Patients the index does not know yet, re-runs linkage over
  // every record with the current model (mpi::Deduplicate) and joins the Persons it links. It
  // only adds links (splitting is a steward's unlink), never links pairs declared distinct, and
  // opens review items for the possible matches. A record whose Person changed meanwhile is left
  // as it is. Safe to run again.
  absl::StatusOr<DedupeReport> Dedupe(const DedupeOptions& options);
  // `rhip mpi train`: estimates m, u and λ from the index's own records (mpi::Train) and, when
  // save, stores the model; an index opened afterwards (the next start) uses it.
  absl::StatusOr<mpi::TrainingResult> Train(const mpi::TrainingOptions& options, bool save);

 private:
  PatientIndex(fhir::Repository* repository, db::Database* db, const Clock* clock,
               const mpi::Model& model, PatientIndexOptions options);
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rhip::registry
