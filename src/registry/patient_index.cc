#include "registry/patient_index.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/ids.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "db/multi_row_insert.h"
#include "registry/mpi/blocking.h"
#include "registry/mpi/linker.h"
#include "registry/mpi/model_io.h"
#include "registry/mpi/normalize.h"
#include "registry/patient_fields.h"
#include "registry/resident_id.h"
#include "security/masking.h"

namespace rhip::registry {
namespace {

// Stored in mpi_record.assurance: Person.link.assurance of the Patient in its golden record.
constexpr std::string_view kConfirmed = "level4";  // founded the Person, or linked by a steward
constexpr std::string_view kAutomatic = "level3";  // linked by the matcher

constexpr std::string_view kRecordColumns =
    "patient_id, person_id, family, given, resident_id, birth_date, sex, phone, division, address, "
    "organization, name_key, id_flag, assurance, updated";

struct IndexedRecord {
  std::string patient_id;
  std::string person_id;
  PatientFields fields;
  std::string id_flag;
  std::string assurance;
  Micros updated = 0;
};

IndexedRecord RecordOf(const db::Row& r) {
  IndexedRecord out;
  out.patient_id = r.Text(0);
  out.person_id = r.Text(1);
  out.fields.family = r.Text(2);
  out.fields.given = r.Text(3);
  out.fields.resident_id = r.Text(4);
  out.fields.birth_date = r.Text(5);
  out.fields.sex = r.Text(6);
  out.fields.phone = r.Text(7);
  out.fields.division_code = r.Text(8);
  out.fields.address = r.Text(9);
  out.fields.managing_organization = r.Text(10);
  out.id_flag = r.Text(12);
  out.assurance = r.Text(13);
  out.updated = r.Int(14);
  return out;
}

absl::StatusOr<std::optional<IndexedRecord>> LoadRecord(db::Session& s, std::string_view patient_id) {
  ASSIGN_OR_RETURN(db::Rows rows, s.Query(StrCat("SELECT ", kRecordColumns,
                                                 " FROM mpi_record WHERE patient_id = :p"),
                                          {{"p", std::string(patient_id)}}));
  if (rows.empty()) return std::nullopt;
  return RecordOf(rows[0]);
}

absl::StatusOr<IndexedRecord> RequireRecord(db::Session& s, std::string_view patient_id) {
  ASSIGN_OR_RETURN(std::optional<IndexedRecord> r, LoadRecord(s, patient_id));
  if (!r) {
    return MakeError(ErrorKind::kNotFound,
                     StrCat("Patient/", patient_id, " is not in the patient index (主索引中无此患者)"));
  }
  return *std::move(r);
}

absl::StatusOr<std::vector<IndexedRecord>> LoadRecords(db::Session& s, std::string_view where,
                                                       const db::Params& params) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query(StrCat("SELECT ", kRecordColumns, " FROM mpi_record WHERE ", where,
                                  " ORDER BY patient_id"),
                           params));
  std::vector<IndexedRecord> out;
  out.reserve(rows.size());
  for (const db::Row& r : rows) out.push_back(RecordOf(r));
  return out;
}

absl::StatusOr<std::vector<IndexedRecord>> Members(db::Session& s, std::string_view person_id) {
  return LoadRecords(s, "person_id = :person", {{"person", std::string(person_id)}});
}

absl::Status SaveRecord(db::Session& s, const IndexedRecord& r, std::string_view name_key) {
  const PatientFields& f = r.fields;
  return s
      .Execute(StrCat("INSERT INTO mpi_record (", kRecordColumns,
                      ") VALUES (:patient, :person, :family, :given, :rid, :birth, :sex, :phone, "
                      ":division, :address, :org, :name_key, :flag, :assurance, :updated) "
                      "ON CONFLICT (patient_id) DO UPDATE SET person_id = :person, "
                      "family = :family, given = :given, resident_id = :rid, birth_date = :birth, "
                      "sex = :sex, phone = :phone, division = :division, address = :address, "
                      "organization = :org, name_key = :name_key, id_flag = :flag, "
                      "assurance = :assurance, updated = :updated"),
               {{"patient", r.patient_id},
                {"person", r.person_id},
                {"family", f.family},
                {"given", f.given},
                {"rid", f.resident_id},
                {"birth", f.birth_date},
                {"sex", f.sex},
                {"phone", f.phone},
                {"division", f.division_code},
                {"address", f.address},
                {"org", f.managing_organization},
                {"name_key", std::string(name_key)},
                {"flag", r.id_flag},
                {"assurance", r.assurance},
                {"updated", r.updated}})
      .status();
}

absl::Status MovePatient(db::Session& s, std::string_view patient_id, std::string_view person_id,
                         std::string_view assurance) {
  return s
      .Execute("UPDATE mpi_record SET person_id = :person, assurance = :assurance "
               "WHERE patient_id = :p",
               {{"person", std::string(person_id)},
                {"assurance", std::string(assurance)},
                {"p", std::string(patient_id)}})
      .status();
}

// fresh: the Patient has no keys yet (a new record), so there is nothing to delete.
absl::Status SaveKeys(db::Session& s, std::string_view patient_id, const std::vector<int64_t>& keys,
                      bool fresh = false) {
  if (!fresh) {
    RETURN_IF_ERROR(s.Execute("DELETE FROM mpi_block WHERE patient_id = :p",
                              {{"p", std::string(patient_id)}})
                        .status());
  }
  std::vector<db::RowValues> rows;
  rows.reserve(keys.size());
  for (int64_t key : keys) rows.push_back({key, std::string(patient_id)});
  return db::InsertRows(s, {.table = "mpi_block", .columns = "key, patient_id", .max_chunk = 16},
                        std::move(rows))
      .status();
}

// Locks the index for this transaction (PostgreSQL: the row lock orders concurrent Patient
// writes) and adds delta to the record count; returns the count.
absl::StatusOr<int64_t> CountRecords(db::Session& s, int64_t delta) {
  ASSIGN_OR_RETURN(db::Rows rows, s.Query("UPDATE mpi_stats SET records = records + :d WHERE id = 1 "
                                          "RETURNING records",
                                          {{"d", delta}}));
  return rows.empty() ? int64_t{0} : rows[0].Int(0);
}

std::pair<std::string, std::string> Ordered(std::string_view a, std::string_view b) {
  return a < b ? std::pair{std::string(a), std::string(b)} : std::pair{std::string(b), std::string(a)};
}

absl::StatusOr<std::set<std::string>> DistinctFrom(db::Session& s, std::string_view patient_id) {
  ASSIGN_OR_RETURN(db::Rows rows,
                   s.Query("SELECT b FROM mpi_distinct WHERE a = :p UNION "
                           "SELECT a FROM mpi_distinct WHERE b = :p",
                           {{"p", std::string(patient_id)}}));
  std::set<std::string> out;
  for (const db::Row& r : rows) out.insert(r.Text(0));
  return out;
}

absl::Status MarkDistinct(db::Session& s, std::string_view a, std::string_view b) {
  auto [x, y] = Ordered(a, b);
  return s
      .Execute("INSERT INTO mpi_distinct (a, b) VALUES (:a, :b) ON CONFLICT (a, b) DO NOTHING",
               {{"a", x}, {"b", y}})
      .status();
}

absl::Status ForgetDistinct(db::Session& s, std::string_view a, std::string_view b) {
  auto [x, y] = Ordered(a, b);
  return s.Execute("DELETE FROM mpi_distinct WHERE a = :a AND b = :b", {{"a", x}, {"b", y}}).status();
}

// The name frequencies of the term-frequency adjustment, counted in the index inside the
// transaction: a match on a name shared by many residents weighs less. A small store says little
// about how common a name is, so the count is smoothed towards the model's own exact-name rate
// (kPriorRecords pseudo-records): a store of two 王芳 does not make 王芳 half the population.
class StoredNameFrequencies final : public mpi::TermFrequencies {
 public:
  static constexpr double kPriorRecords = 10000;

  StoredNameFrequencies(db::Session& s, int64_t records, double model_rate)
      : s_(s), records_(static_cast<double>(std::max<int64_t>(records, 0))), model_rate_(model_rate) {}
  double NameFrequency(std::string_view folded_full_name) const override {
    auto it = cache_.find(folded_full_name);
    if (it != cache_.end()) return it->second;
    double count = 0;
    absl::StatusOr<db::Rows> rows = s_.Query("SELECT COUNT(*) FROM mpi_record WHERE name_key = :n",
                                             {{"n", std::string(folded_full_name)}});
    if (rows.ok() && !rows->empty()) count = static_cast<double>((*rows)[0].Int(0));
    double f = (count + kPriorRecords * model_rate_) / (records_ + kPriorRecords);
    cache_.emplace(std::string(folded_full_name), f);
    return f;
  }

 private:
  db::Session& s_;
  double records_;
  double model_rate_;  // u of the exact-name level: how often two random residents share a name
  mutable std::map<std::string, double, std::less<>> cache_;
};

// A duplicate retired by a merge (active false, link replaced-by): no candidate for matching.
bool IsRetired(const json::Value& patient) {
  const json::Value* active = patient.Find("active");
  if (active == nullptr || !active->is_bool() || active->as_bool()) return false;
  const json::Value* links = patient.Find("link");
  if (links == nullptr || !links->is_array()) return false;
  for (const json::Value& l : links->as_array()) {
    const std::string* type = l.is_object() ? l.FindString("type") : nullptr;
    if (type != nullptr && *type == "replaced-by") return true;
  }
  return false;
}

// A resident-ID problem of data kept as given (registration refuses these before they get here).
std::string IdFlag(std::string_view resident_id, Micros now) {
  if (resident_id.empty()) return "";
  ResidentIdCheck check = CheckResidentId(resident_id, ShanghaiDate(now));
  return check.issues.empty() ? "" : check.issues.front().message;
}

}  // namespace

struct PatientIndex::Impl {
  fhir::Repository* repository;
  db::Database* db;
  const Clock* clock;
  mpi::Model model;
  PatientIndexOptions options;

  struct Scored {
    IndexedRecord record;
    double probability = 0;
    mpi::Decision decision = mpi::Decision::kSeparate;
  };

  // Stored records sharing a blocking key with `record`, scored, best first.
  absl::StatusOr<std::vector<Scored>> Score(db::Session& s, const mpi::PersonRecord& record,
                                            std::string_view self, int64_t records) const {
    std::vector<int64_t> keys = mpi::BlockingKeys(record);
    std::vector<Scored> out;
    if (keys.empty()) return out;
    // One statement for every key (a round trip each would dominate on PostgreSQL), each key's
    // block cut at max_block + 1 rows so that an oversized block is seen and skipped.
    std::string sql;
    db::Params params;  // names are views: they point into `names`
    std::vector<std::string> names;
    names.reserve(keys.size());
    params.emplace_back("n", int64_t{options.max_block} + 1);
    for (size_t i = 0; i < keys.size(); ++i) {
      names.push_back(StrCat("k", i));
      StrAppend(&sql, i ? " UNION ALL " : "", "SELECT * FROM (SELECT key, patient_id FROM mpi_block "
                "WHERE key = :", names.back(), " LIMIT :n) b", i);
      params.emplace_back(names.back(), keys[i]);
    }
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(sql, params));
    std::map<int64_t, int> block_size;
    for (const db::Row& r : rows) ++block_size[r.Int(0)];
    std::set<std::string> ids;
    for (const db::Row& r : rows) {
      if (block_size[r.Int(0)] <= options.max_block && r.Text(1) != self) ids.insert(r.Text(1));
    }
    if (ids.empty()) return out;
    std::string in;
    db::Params id_params;
    std::vector<std::string> id_names;
    id_names.reserve(ids.size());
    for (const std::string& id : ids) {
      id_names.push_back(StrCat("p", id_names.size()));
      StrAppend(&in, id_params.empty() ? ":" : ", :", id_names.back());
      id_params.emplace_back(id_names.back(), id);
    }
    ASSIGN_OR_RETURN(std::vector<IndexedRecord> candidates,
                     LoadRecords(s, StrCat("patient_id IN (", in, ")"), id_params));
    StoredNameFrequencies tf(s, records,
                             model.u[static_cast<size_t>(mpi::Comparison::kName)]
                                    [static_cast<size_t>(mpi::NameLevel::kExact)]);
    mpi::Scorer scorer(model, &tf);
    for (IndexedRecord& candidate : candidates) {
      mpi::PersonRecord other = mpi::Normalize(candidate.fields.View());
      double p = mpi::MatchProbability(scorer.Weight(record, other));
      out.push_back({std::move(candidate), p, mpi::DecidePair(record, other, p, options.thresholds)});
    }
    std::sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) {
      return a.probability != b.probability ? a.probability > b.probability
                                            : a.record.patient_id < b.record.patient_id;
    });
    return out;
  }

  absl::StatusOr<int64_t> AddEvent(db::Session& s, Micros now, const LinkEvent& e) const {
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query("INSERT INTO mpi_event (time, actor, action, patient_id, other_id, person_before, "
                "person_after, probability, reason, undo_of, detail) VALUES (:time, :actor, :action, "
                ":patient, :other, :before, :after, :p, :reason, :undo, :detail) RETURNING id",
                {{"time", now},
                 {"actor", e.actor},
                 {"action", e.action},
                 {"patient", e.patient_id},
                 {"other", e.other_id},
                 {"before", e.person_before},
                 {"after", e.person_after},
                 {"p", e.probability},
                 {"reason", e.reason},
                 {"undo", e.undo_of},
                 {"detail", std::string()}}));
    return rows[0].Int(0);
  }

  absl::StatusOr<LinkEvent> Record(db::Session& s, Micros now, LinkEvent e,
                                   std::string_view detail = {}) const {
    e.time = now;
    ASSIGN_OR_RETURN(e.id, AddEvent(s, now, e));
    if (!detail.empty()) {
      RETURN_IF_ERROR(s.Execute("UPDATE mpi_event SET detail = :d WHERE id = :id",
                                {{"d", std::string(detail)}, {"id", e.id}})
                          .status());
    }
    return e;
  }

  absl::Status OpenReview(db::Session& s, Micros now, std::string_view patient,
                          std::string_view candidate, double p) const {
    return s
        .Execute("INSERT INTO mpi_review (patient_id, candidate_id, probability, status, created, "
                 "decided_by, decided_at, reason) VALUES (:p, :c, :prob, 'open', :now, '', 0, '') "
                 "ON CONFLICT (patient_id, candidate_id) DO UPDATE SET probability = :prob",
                 {{"p", std::string(patient)},
                  {"c", std::string(candidate)},
                  {"prob", p},
                  {"now", now}})
        .status();
  }

  // Open review items between two Patients are settled by a steward's decision on them.
  absl::Status SettleReviews(db::Session& s, Micros now, std::string_view a, std::string_view b,
                             std::string_view status, const Steward& who) const {
    return s
        .Execute("UPDATE mpi_review SET status = :status, decided_by = :by, decided_at = :now, "
                 "reason = :reason WHERE status = 'open' AND ((patient_id = :a AND candidate_id = :b) "
                 "OR (patient_id = :b AND candidate_id = :a))",
                 {{"status", std::string(status)},
                  {"by", who.actor},
                  {"now", now},
                  {"reason", who.reason},
                  {"a", std::string(a)},
                  {"b", std::string(b)}})
        .status();
  }

  // Rewrites the golden record of person_id from its members (survivorship in docs/MPI.md), or
  // deletes it when none is left. Writes nothing when the content is unchanged.
  absl::Status WriteGolden(fhir::TransactionWriter& tx, std::string_view person_id) const {
    ASSIGN_OR_RETURN(std::vector<IndexedRecord> members, Members(tx.session(), person_id));
    if (members.empty()) return tx.Delete("Person", person_id);
    return WriteGolden(tx, person_id, std::move(members));
  }

  // With the members known (a Person founded by a new record has exactly that one).
  absl::Status WriteGolden(fhir::TransactionWriter& tx, std::string_view person_id,
                           std::vector<IndexedRecord> members, bool new_person = false) const {
    if (new_person) return tx.Put(GoldenRecord(person_id, std::move(members), tx.now())).status();
    json::Value person = GoldenRecord(person_id, members, tx.now());
    absl::StatusOr<fhir::StoredResource> current = tx.Read("Person", person_id);
    if (current.ok()) {
      absl::StatusOr<json::Value> old = json::Parse(current->json);
      if (old.ok() && old->is_object()) {
        old->as_object().Erase("meta");
        if (json::Serialize(*old) == json::Serialize(person)) return absl::OkStatus();
      }
    }
    return tx.Put(person).status();
  }

  static json::Value GoldenRecord(std::string_view person_id, std::vector<IndexedRecord> members,
                                  Micros now) {
    // Records with a resident ID that passes its checks first (a registration desk saw the card),
    // then newest first: for most fields the first record that has the field wins.
    std::stable_sort(members.begin(), members.end(), [](const IndexedRecord& a, const IndexedRecord& b) {
      bool a_checked = !a.fields.resident_id.empty() && a.id_flag.empty();
      bool b_checked = !b.fields.resident_id.empty() && b.id_flag.empty();
      if (a_checked != b_checked) return a_checked;
      return a.updated > b.updated;
    });
    auto latest = [&](auto field) -> std::string {
      for (const IndexedRecord& m : members) {
        const std::string& v = m.fields.*field;
        if (!v.empty()) return v;
      }
      return "";
    };
    // Identity fields by vote, the newest breaking ties; a resident ID that fails its checks
    // (id_flag) does not vote while a good one exists.
    auto voted = [&](auto field, bool valid_ids_only) -> std::string {
      std::map<std::string, std::pair<int, size_t>> votes;  // value -> (count, newest position)
      for (size_t i = 0; i < members.size(); ++i) {
        const std::string& v = members[i].fields.*field;
        if (v.empty() || (valid_ids_only && !members[i].id_flag.empty())) continue;
        auto [it, fresh] = votes.emplace(v, std::pair{0, i});
        ++it->second.first;
      }
      std::string best;
      std::pair<int, size_t> best_vote{0, 0};
      for (const auto& [v, vote] : votes) {
        if (vote.first > best_vote.first ||
            (vote.first == best_vote.first && vote.second < best_vote.second)) {
          best = v;
          best_vote = vote;
        }
      }
      return best;
    };
    std::string resident_id = voted(&PatientFields::resident_id, true);
    if (resident_id.empty()) resident_id = voted(&PatientFields::resident_id, false);
    std::string id_normalized = resident_id;
    if (std::optional<ResidentIdInfo> info = CheckResidentId(resident_id, ShanghaiDate(now)).info) {
      id_normalized = info->normalized;
    }

    json::Object person;
    person.Set("resourceType", "Person");
    person.Set("id", std::string(person_id));
    if (!id_normalized.empty()) {
      json::Object identifier;
      identifier.Set("system", std::string(security::kResidentIdSystem));
      identifier.Set("value", id_normalized);
      json::Array identifiers;
      identifiers.push_back(json::Value(std::move(identifier)));
      person.Set("identifier", json::Value(std::move(identifiers)));
    }
    // The name as one record gave it: family and given of the newest record with a name.
    for (const IndexedRecord& m : members) {
      if (m.fields.family.empty() && m.fields.given.empty()) continue;
      json::Object name;
      name.Set("use", "official");
      name.Set("text", StrCat(m.fields.family, m.fields.given));
      if (!m.fields.family.empty()) name.Set("family", m.fields.family);
      if (!m.fields.given.empty()) {
        json::Array given;
        given.push_back(json::Value(m.fields.given));
        name.Set("given", json::Value(std::move(given)));
      }
      json::Array names;
      names.push_back(json::Value(std::move(name)));
      person.Set("name", json::Value(std::move(names)));
      break;
    }
    if (std::string phone = latest(&PatientFields::phone); !phone.empty()) {
      json::Object telecom;
      telecom.Set("system", "phone");
      telecom.Set("value", phone);
      json::Array telecoms;
      telecoms.push_back(json::Value(std::move(telecom)));
      person.Set("telecom", json::Value(std::move(telecoms)));
    }
    if (std::string gender = voted(&PatientFields::sex, false); !gender.empty()) {
      person.Set("gender", gender);
    }
    if (std::string birth = voted(&PatientFields::birth_date, false); !birth.empty()) {
      person.Set("birthDate", birth);
    }
    std::string address_text = latest(&PatientFields::address);
    std::string division = latest(&PatientFields::division_code);
    if (!address_text.empty() || !division.empty()) {
      json::Object address;
      if (!division.empty()) {
        json::Object ext;
        ext.Set("url", std::string(kDivisionCodeExtension));
        ext.Set("valueCode", division);
        json::Array exts;
        exts.push_back(json::Value(std::move(ext)));
        address.Set("extension", json::Value(std::move(exts)));
      }
      address.Set("use", "home");
      if (!address_text.empty()) address.Set("text", address_text);
      json::Array addresses;
      addresses.push_back(json::Value(std::move(address)));
      person.Set("address", json::Value(std::move(addresses)));
    }
    person.Set("active", true);
    // Links in a stable order (by Patient id), so that an unchanged Person is not rewritten.
    std::sort(members.begin(), members.end(), [](const IndexedRecord& a, const IndexedRecord& b) {
      return a.patient_id < b.patient_id;
    });
    json::Array links;
    for (const IndexedRecord& m : members) {
      json::Object target;
      target.Set("reference", StrCat("Patient/", m.patient_id));
      json::Object link;
      link.Set("target", json::Value(std::move(target)));
      link.Set("assurance", m.assurance);
      links.push_back(json::Value(std::move(link)));
    }
    person.Set("link", json::Value(std::move(links)));
    return json::Value(std::move(person));
  }

  // --- the write interceptor ---

  absl::Status OnPatientDeleted(fhir::TransactionWriter& tx, std::string_view patient_id) const {
    db::Session& s = tx.session();
    ASSIGN_OR_RETURN(std::optional<IndexedRecord> old, LoadRecord(s, patient_id));
    if (!old) return absl::OkStatus();
    RETURN_IF_ERROR(CountRecords(s, -1).status());
    RETURN_IF_ERROR(SaveKeys(s, patient_id, {}));
    RETURN_IF_ERROR(
        s.Execute("DELETE FROM mpi_record WHERE patient_id = :p", {{"p", std::string(patient_id)}})
            .status());
    RETURN_IF_ERROR(s.Execute("UPDATE mpi_review SET status = 'obsolete' WHERE status = 'open' AND "
                              "(patient_id = :p OR candidate_id = :p)",
                              {{"p", std::string(patient_id)}})
                        .status());
    RETURN_IF_ERROR(Record(s, tx.now(),
                           {.actor = "mpi", .action = "remove", .patient_id = std::string(patient_id),
                            .person_before = old->person_id})
                        .status());
    return WriteGolden(tx, old->person_id);
  }

  absl::Status OnPatientStored(fhir::TransactionWriter& tx, const fhir::StoredResource& written) const {
    db::Session& s = tx.session();
    ASSIGN_OR_RETURN(json::Value patient, json::Parse(written.json));
    IndexedRecord rec;
    rec.patient_id = written.id;
    rec.fields = ExtractPatientFields(patient);
    const bool retired = IsRetired(patient);
    rec.id_flag = IdFlag(rec.fields.resident_id, tx.now());
    rec.updated = tx.now();
    mpi::PersonRecord normalized = mpi::Normalize(rec.fields.View());

    ASSIGN_OR_RETURN(std::optional<IndexedRecord> old, LoadRecord(s, written.id));
    ASSIGN_OR_RETURN(int64_t records, CountRecords(s, old ? 0 : 1));
    if (old) {
      rec.person_id = old->person_id;
      rec.assurance = old->assurance;
      ASSIGN_OR_RETURN(std::vector<IndexedRecord> members, Members(s, old->person_id));
      if (members.size() > 1) {
        // An update keeps the links it has: changing them is a steward's decision.
        RETURN_IF_ERROR(SaveRecord(s, rec, normalized.full));
        RETURN_IF_ERROR(SaveKeys(s, rec.patient_id, retired ? std::vector<int64_t>{} : mpi::BlockingKeys(normalized)));
        return WriteGolden(tx, rec.person_id);
      }
    }
    ASSIGN_OR_RETURN(std::vector<Scored> scored, Score(s, normalized, written.id, records));
    std::set<std::string> distinct;
    if (!scored.empty() && scored.front().decision != mpi::Decision::kSeparate) {
      ASSIGN_OR_RETURN(distinct, DistinctFrom(s, written.id));
    }
    const Scored* best = nullptr;
    std::set<std::string> reviewed_persons;
    for (const Scored& c : scored) {
      if (c.decision == mpi::Decision::kSeparate) break;
      if (c.decision == mpi::Decision::kLink && best == nullptr) {
        ASSIGN_OR_RETURN(std::vector<IndexedRecord> members, Members(s, c.record.person_id));
        bool blocked = std::any_of(members.begin(), members.end(), [&](const IndexedRecord& m) {
          return distinct.count(m.patient_id) != 0;
        });
        if (!blocked) {
          best = &c;
          continue;
        }
      }
      // Possible matches in other golden records go to review (one item per Person).
      if (distinct.count(c.record.patient_id) == 0 &&
          (best == nullptr || c.record.person_id != best->record.person_id) &&
          reviewed_persons.insert(c.record.person_id).second && reviewed_persons.size() <= 3) {
        RETURN_IF_ERROR(OpenReview(s, tx.now(), written.id, c.record.patient_id, c.probability));
      }
    }
    std::string before = old ? old->person_id : "";
    if (best != nullptr) {
      rec.person_id = best->record.person_id;
      rec.assurance = std::string(kAutomatic);
      RETURN_IF_ERROR(Record(s, tx.now(),
                             {.actor = "mpi", .action = "auto-link", .patient_id = written.id,
                              .other_id = best->record.patient_id, .person_before = before,
                              .person_after = rec.person_id, .probability = best->probability})
                          .status());
    } else if (!old) {
      rec.person_id = NewResourceId();
      rec.assurance = std::string(kConfirmed);
      RETURN_IF_ERROR(Record(s, tx.now(),
                             {.actor = "mpi", .action = "new", .patient_id = written.id,
                              .person_after = rec.person_id,
                              .probability = scored.empty() ? 0 : scored.front().probability})
                          .status());
    }
    RETURN_IF_ERROR(SaveRecord(s, rec, normalized.full));
    RETURN_IF_ERROR(SaveKeys(s, rec.patient_id, mpi::BlockingKeys(normalized), /*fresh=*/!old));
    if (!old && best == nullptr) return WriteGolden(tx, rec.person_id, {rec}, /*new_person=*/true);
    RETURN_IF_ERROR(WriteGolden(tx, rec.person_id));
    if (!before.empty() && before != rec.person_id) RETURN_IF_ERROR(WriteGolden(tx, before));
    return absl::OkStatus();
  }

  // --- steward operations ---

  absl::StatusOr<LinkEvent> Move(fhir::TransactionWriter& tx, const IndexedRecord& rec,
                                 std::string_view person_id, LinkEvent event) const {
    db::Session& s = tx.session();
    RETURN_IF_ERROR(MovePatient(s, rec.patient_id, person_id, kConfirmed));
    RETURN_IF_ERROR(WriteGolden(tx, person_id));
    if (rec.person_id != person_id) RETURN_IF_ERROR(WriteGolden(tx, rec.person_id));
    event.patient_id = rec.patient_id;
    event.person_before = rec.person_id;
    event.person_after = std::string(person_id);
    return Record(s, tx.now(), std::move(event));
  }

  absl::StatusOr<LinkEvent> DoLink(fhir::TransactionWriter& tx, std::string_view patient,
                                   std::string_view other, const Steward& who,
                                   std::string_view action) const {
    db::Session& s = tx.session();
    RETURN_IF_ERROR(CountRecords(s, 0).status());
    ASSIGN_OR_RETURN(IndexedRecord a, RequireRecord(s, patient));
    ASSIGN_OR_RETURN(IndexedRecord b, RequireRecord(s, other));
    if (a.patient_id == b.patient_id) {
      return MakeError(ErrorKind::kInvalid, "a Patient cannot be linked with itself");
    }
    RETURN_IF_ERROR(ForgetDistinct(s, a.patient_id, b.patient_id));
    RETURN_IF_ERROR(SettleReviews(s, tx.now(), a.patient_id, b.patient_id, "linked", who));
    return Move(tx, a, b.person_id,
                {.actor = who.actor, .action = std::string(action), .other_id = b.patient_id,
                 .probability = 1, .reason = who.reason});
  }

  absl::StatusOr<LinkEvent> DoUnlink(fhir::TransactionWriter& tx, std::string_view patient,
                                     const Steward& who, std::string_view other_id = {},
                                     int64_t undo_of = 0) const {
    db::Session& s = tx.session();
    RETURN_IF_ERROR(CountRecords(s, 0).status());
    ASSIGN_OR_RETURN(IndexedRecord a, RequireRecord(s, patient));
    ASSIGN_OR_RETURN(std::vector<IndexedRecord> members, Members(s, a.person_id));
    if (undo_of != 0) {
      // An unmerge separates the pair it joined (the target may have been unlinked or deleted
      // since, leaving the source alone: it still gets its own Person back).
      RETURN_IF_ERROR(MarkDistinct(s, a.patient_id, other_id));
    } else if (members.size() < 2) {
      return MakeError(ErrorKind::kUnprocessable,
                       StrCat("Patient/", a.patient_id, " is not linked with another Patient"));
    } else {
      for (const IndexedRecord& m : members) {
        if (m.patient_id != a.patient_id) RETURN_IF_ERROR(MarkDistinct(s, a.patient_id, m.patient_id));
      }
    }
    return Move(tx, a, NewResourceId(),
                {.actor = who.actor, .action = undo_of ? "unmerge" : "unlink",
                 .other_id = std::string(other_id), .probability = 0, .reason = who.reason,
                 .undo_of = undo_of});
  }
};

namespace {

// Patient.link entries other than those to `other`, plus (when type is set) one of that type.
json::Value WithLink(const json::Value& patient, std::string_view other, std::string_view type) {
  json::Value out = patient;
  json::Array links;
  if (const json::Value* old = patient.Find("link"); old != nullptr && old->is_array()) {
    for (const json::Value& l : old->as_array()) {
      const json::Value* o = l.is_object() ? l.Find("other") : nullptr;
      const std::string* ref = o != nullptr && o->is_object() ? o->FindString("reference") : nullptr;
      if (ref == nullptr || *ref != StrCat("Patient/", other)) links.push_back(l);
    }
  }
  if (!type.empty()) {
    json::Object ref;
    ref.Set("reference", StrCat("Patient/", other));
    json::Object link;
    link.Set("other", json::Value(std::move(ref)));
    link.Set("type", std::string(type));
    links.push_back(json::Value(std::move(link)));
  }
  if (links.empty()) {
    out.as_object().Erase("link");
  } else {
    out.as_object().Set("link", json::Value(std::move(links)));
  }
  out.as_object().Erase("meta");
  return out;
}

LinkEvent EventOf(const db::Row& r) {
  return {.id = r.Int(0), .time = r.Int(1), .actor = r.Text(2), .action = r.Text(3),
          .patient_id = r.Text(4), .other_id = r.Text(5), .person_before = r.Text(6),
          .person_after = r.Text(7), .probability = r.Double(8), .reason = r.Text(9),
          .undo_of = r.Int(10)};
}

constexpr std::string_view kEventColumns =
    "id, time, actor, action, patient_id, other_id, person_before, person_after, probability, "
    "reason, undo_of";

ReviewItem ReviewOf(const db::Row& r) {
  return {.id = r.Int(0), .patient_id = r.Text(1), .candidate_id = r.Text(2),
          .probability = r.Double(3), .status = r.Text(4), .created = r.Int(5),
          .decided_by = r.Text(6), .decided_at = r.Int(7), .reason = r.Text(8)};
}

constexpr std::string_view kReviewColumns =
    "id, patient_id, candidate_id, probability, status, created, decided_by, decided_at, reason";

// A steward's change: needs a reason, runs fn(tx) → LinkEvent in one write transaction.
template <typename Fn>
absl::StatusOr<LinkEvent> StewardChange(fhir::Repository* repository, const Steward& who, Fn fn) {
  if (who.reason.size() < 2) {
    return MakeError(ErrorKind::kInvalid, "a reason is required (须说明理由)");
  }
  LinkEvent out;
  RETURN_IF_ERROR(repository->WriteTransaction([&](fhir::TransactionWriter& tx) -> absl::Status {
    ASSIGN_OR_RETURN(out, fn(tx));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace

PatientIndex::PatientIndex(fhir::Repository* repository, db::Database* db, const Clock* clock,
                           const mpi::Model& model, PatientIndexOptions options)
    : impl_(std::make_shared<Impl>(Impl{repository, db, clock, model, options})) {}

absl::StatusOr<std::unique_ptr<PatientIndex>> PatientIndex::Open(fhir::Repository* repository,
                                                                 db::Database* db,
                                                                 const Clock* clock,
                                                                 PatientIndexOptions options) {
  mpi::Model model = mpi::DefaultModel();
  RETURN_IF_ERROR(db->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT model FROM mpi_model WHERE id = 1"));
    if (rows.empty()) return absl::OkStatus();
    absl::StatusOr<mpi::Model> trained = mpi::ModelFromJson(rows[0].Text(0));
    if (!trained.ok()) {
      return MakeError(ErrorKind::kInternal, StrCat("the stored MPI model is unreadable (run `rhip mpi train` again): ",
                                                    ToStd(trained.status().message())));
    }
    model = *std::move(trained);
    return absl::OkStatus();
  }));
  if (options.thresholds.review > options.thresholds.link || options.thresholds.review <= 0 ||
      options.thresholds.link >= 1) {
    return MakeError(ErrorKind::kInvalid, "MPI thresholds need 0 < review ≤ link < 1");
  }
  return std::unique_ptr<PatientIndex>(new PatientIndex(repository, db, clock, model, options));
}

absl::Status PatientIndex::AfterWrite(const fhir::StoredResource& written,
                                      fhir::TransactionWriter& tx) {
  if (written.type != "Patient") return absl::OkStatus();
  return written.deleted ? impl_->OnPatientDeleted(tx, written.id)
                         : impl_->OnPatientStored(tx, written);
}

absl::StatusOr<std::vector<MatchCandidate>> PatientIndex::Match(const json::Value& patient,
                                                                int count, bool only_certain) const {
  mpi::PersonRecord normalized = mpi::Normalize(ExtractPatientFields(patient).View());
  std::vector<MatchCandidate> out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(db::Rows rows, s.Query("SELECT records FROM mpi_stats WHERE id = 1"));
    int64_t records = rows.empty() ? 0 : rows[0].Int(0);
    const std::string* self = patient.FindString("id");
    ASSIGN_OR_RETURN(std::vector<Impl::Scored> scored,
                     impl_->Score(s, normalized, self != nullptr ? *self : "", records));
    for (Impl::Scored& c : scored) {
      if (static_cast<int>(out.size()) >= count || c.decision == mpi::Decision::kSeparate) break;
      if (only_certain && c.decision != mpi::Decision::kLink) break;
      out.push_back({std::move(c.record.patient_id), std::move(c.record.person_id), c.probability,
                     c.decision});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> PatientIndex::PersonOf(std::string_view patient_id) const {
  std::string out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(IndexedRecord r, RequireRecord(s, patient_id));
    out = r.person_id;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> PatientIndex::LinkedPatients(std::string_view patient_id) const {
  std::vector<std::string> out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(IndexedRecord r, RequireRecord(s, patient_id));
    ASSIGN_OR_RETURN(std::vector<IndexedRecord> members, Members(s, r.person_id));
    for (IndexedRecord& m : members) out.push_back(std::move(m.patient_id));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<LinkEvent> PatientIndex::Link(std::string_view patient, std::string_view other,
                                             const Steward& who) {
  return StewardChange(impl_->repository, who, [&](fhir::TransactionWriter& tx) {
    return impl_->DoLink(tx, patient, other, who, "link");
  });
}

absl::StatusOr<LinkEvent> PatientIndex::Unlink(std::string_view patient, const Steward& who) {
  return StewardChange(impl_->repository, who, [&](fhir::TransactionWriter& tx) {
    return impl_->DoUnlink(tx, patient, who);
  });
}

absl::StatusOr<LinkEvent> PatientIndex::Merge(std::string_view source, std::string_view target,
                                              const Steward& who) {
  return StewardChange(impl_->repository, who, [&](fhir::TransactionWriter& tx) -> absl::StatusOr<LinkEvent> {
    ASSIGN_OR_RETURN(fhir::StoredResource src, tx.Read("Patient", source));
    ASSIGN_OR_RETURN(fhir::StoredResource tgt, tx.Read("Patient", target));
    ASSIGN_OR_RETURN(json::Value src_json, json::Parse(src.json));
    ASSIGN_OR_RETURN(json::Value tgt_json, json::Parse(tgt.json));
    const json::Value* active = src_json.Find("active");
    if (active != nullptr && active->is_bool() && !active->as_bool()) {
      return MakeError(ErrorKind::kUnprocessable,
                       StrCat("Patient/", source, " is inactive (merged already?)"));
    }
    // The Patients are written first: their rows lock before the index does, in the order every
    // Patient write takes them (PostgreSQL would otherwise deadlock two crossing writes).
    json::Value retired = WithLink(src_json, target, "replaced-by");
    retired.as_object().Set("active", false);
    ASSIGN_OR_RETURN(fhir::StoredResource written, tx.Put(retired));
    if (written.version != src.version + 1) {
      return MakeError(ErrorKind::kConflict, StrCat("Patient/", source, " changed during the merge; retry"));
    }
    RETURN_IF_ERROR(tx.Put(WithLink(tgt_json, source, "replaces")).status());
    ASSIGN_OR_RETURN(LinkEvent out, impl_->DoLink(tx, source, target, who, "merge"));
    // A retired duplicate is no candidate for new registrations: its blocking keys go (unmerge
    // puts them back). It stays in the Person, so PIX still lists its identifiers.
    RETURN_IF_ERROR(SaveKeys(tx.session(), source, {}));
    // The source as it was, for unmerge.
    json::Object detail;
    detail.Set("source", std::move(src_json));
    RETURN_IF_ERROR(tx.session()
                        .Execute("UPDATE mpi_event SET detail = :d WHERE id = :id",
                                 {{"d", json::Serialize(json::Value(std::move(detail)))},
                                  {"id", out.id}})
                        .status());
    return out;
  });
}

absl::StatusOr<LinkEvent> PatientIndex::Unmerge(std::string_view source, const Steward& who) {
  return StewardChange(impl_->repository, who, [&](fhir::TransactionWriter& tx) -> absl::StatusOr<LinkEvent> {
    db::Session& s = tx.session();
    ASSIGN_OR_RETURN(
        db::Rows rows,
        s.Query(StrCat("SELECT ", kEventColumns, ", detail FROM mpi_event e WHERE action = 'merge' "
                       "AND patient_id = :p AND NOT EXISTS (SELECT 1 FROM mpi_event u "
                       "WHERE u.undo_of = e.id) ORDER BY id DESC LIMIT 1"),
                {{"p", std::string(source)}}));
    if (rows.empty()) {
      return MakeError(ErrorKind::kUnprocessable,
                       StrCat("Patient/", source, " has no merge to undo (无可撤销的合并)"));
    }
    LinkEvent merge = EventOf(rows[0]);
    ASSIGN_OR_RETURN(json::Value detail, json::Parse(rows[0].Text(11)));
    const json::Value* before = detail.Find("source");
    if (before == nullptr || !before->is_object()) {
      return MakeError(ErrorKind::kInternal, "the merge event lacks the source's content");
    }
    json::Value restored = *before;
    restored.as_object().Erase("meta");
    RETURN_IF_ERROR(tx.Put(restored).status());
    ASSIGN_OR_RETURN(IndexedRecord rec, RequireRecord(s, source));
    rec.fields = ExtractPatientFields(restored);
    rec.id_flag = IdFlag(rec.fields.resident_id, tx.now());
    rec.updated = tx.now();
    mpi::PersonRecord normalized = mpi::Normalize(rec.fields.View());
    RETURN_IF_ERROR(SaveRecord(s, rec, normalized.full));
    RETURN_IF_ERROR(SaveKeys(s, source, mpi::BlockingKeys(normalized)));
    absl::StatusOr<fhir::StoredResource> target = tx.Read("Patient", merge.other_id);
    if (target.ok()) {
      ASSIGN_OR_RETURN(json::Value tgt_json, json::Parse(target->json));
      RETURN_IF_ERROR(tx.Put(WithLink(tgt_json, source, "")).status());
    }
    return impl_->DoUnlink(tx, source, who, merge.other_id, merge.id);
  });
}

absl::StatusOr<std::vector<ReviewItem>> PatientIndex::Reviews(std::string_view status, int count,
                                                              int64_t after_id) const {
  std::vector<ReviewItem> out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(StrCat("SELECT ", kReviewColumns, " FROM mpi_review WHERE status = :s "
                                    "AND id > :after ORDER BY id LIMIT :n"),
                             {{"s", std::string(status)}, {"after", after_id}, {"n", int64_t{count}}}));
    for (const db::Row& r : rows) out.push_back(ReviewOf(r));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ReviewItem> PatientIndex::Review(int64_t id) const {
  ReviewItem out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(StrCat("SELECT ", kReviewColumns,
                                                   " FROM mpi_review WHERE id = :id"),
                                            {{"id", id}}));
    if (rows.empty()) return MakeError(ErrorKind::kNotFound, StrCat("no review item ", id));
    out = ReviewOf(rows[0]);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ReviewItem> PatientIndex::DecideReview(int64_t id, std::string_view decision,
                                                      const Steward& who) {
  if (decision != "link" && decision != "distinct") {
    return MakeError(ErrorKind::kInvalid, "decision must be 'link' or 'distinct'");
  }
  ReviewItem out;
  RETURN_IF_ERROR(StewardChange(impl_->repository, who, [&](fhir::TransactionWriter& tx) -> absl::StatusOr<LinkEvent> {
    db::Session& s = tx.session();
    ASSIGN_OR_RETURN(db::Rows rows, s.Query(StrCat("SELECT ", kReviewColumns,
                                                   " FROM mpi_review WHERE id = :id"),
                                            {{"id", id}}));
    if (rows.empty()) return MakeError(ErrorKind::kNotFound, StrCat("no review item ", id));
    out = ReviewOf(rows[0]);
    if (out.status != "open") {
      return MakeError(ErrorKind::kConflict, StrCat("review item ", id, " is ", out.status, " already"));
    }
    LinkEvent event;
    if (decision == "link") {
      ASSIGN_OR_RETURN(event, impl_->DoLink(tx, out.patient_id, out.candidate_id, who, "review-link"));
    } else {
      RETURN_IF_ERROR(MarkDistinct(s, out.patient_id, out.candidate_id));
      RETURN_IF_ERROR(impl_->SettleReviews(s, tx.now(), out.patient_id, out.candidate_id, "distinct", who));
      ASSIGN_OR_RETURN(event, impl_->Record(s, tx.now(),
                                            {.actor = who.actor, .action = "review-distinct",
                                             .patient_id = out.patient_id, .other_id = out.candidate_id,
                                             .probability = out.probability, .reason = who.reason}));
    }
    ASSIGN_OR_RETURN(db::Rows after, s.Query(StrCat("SELECT ", kReviewColumns,
                                                    " FROM mpi_review WHERE id = :id"),
                                             {{"id", id}}));
    out = ReviewOf(after[0]);
    return event;
  }).status());
  return out;
}

absl::StatusOr<std::vector<LinkEvent>> PatientIndex::History(std::string_view patient_id) const {
  std::vector<LinkEvent> out;
  RETURN_IF_ERROR(impl_->db->Read([&](db::Session& s) -> absl::Status {
    out.clear();
    ASSIGN_OR_RETURN(db::Rows rows,
                     s.Query(StrCat("SELECT ", kEventColumns, " FROM mpi_event WHERE patient_id = :p "
                                    "OR other_id = :p ORDER BY id"),
                             {{"p", std::string(patient_id)}}));
    for (const db::Row& r : rows) out.push_back(EventOf(r));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace rhip::registry

namespace rhip::registry {
namespace {

constexpr int kDedupePage = 1000;  // Patients per index transaction, Persons per apply transaction

// Union-find whose joins refuse to put two records declared distinct in one cluster. Distinct
// pairs are rare, so each root keeps the (usually empty) list of records its members must not
// share a cluster with.
class DistinctAwareClusters {
 public:
  explicit DistinctAwareClusters(size_t n) : parent_(n), forbidden_(n) {
    for (size_t i = 0; i < n; ++i) parent_[i] = static_cast<uint32_t>(i);
  }
  void Forbid(uint32_t a, uint32_t b) {
    forbidden_[a].push_back(b);
    forbidden_[b].push_back(a);
  }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  // force: join even across a distinct pair (today's Persons, a steward's own links).
  bool Join(uint32_t a, uint32_t b, bool force) {
    uint32_t ra = Find(a), rb = Find(b);
    if (ra == rb) return true;
    if (!force && (Conflicts(ra, rb) || Conflicts(rb, ra))) return false;
    if (forbidden_[ra].size() < forbidden_[rb].size()) std::swap(ra, rb);
    parent_[rb] = ra;
    forbidden_[ra].insert(forbidden_[ra].end(), forbidden_[rb].begin(), forbidden_[rb].end());
    forbidden_[rb].clear();
    return true;
  }

 private:
  bool Conflicts(uint32_t root, uint32_t other_root) {
    for (uint32_t x : forbidden_[root]) {
      if (Find(x) == other_root) return true;
    }
    return false;
  }
  std::vector<uint32_t> parent_;
  std::vector<std::vector<uint32_t>> forbidden_;
};

void Report(const DedupeOptions& options, std::string_view stage, int64_t done, int64_t total) {
  if (options.progress) options.progress(stage, done, total);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::StatusOr<std::vector<IndexedRecord>> LoadAll(db::Database& db) {
  std::vector<IndexedRecord> out;
  RETURN_IF_ERROR(db.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(out, LoadRecords(s, "1 = 1", {}));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace

absl::StatusOr<DedupeReport> PatientIndex::Dedupe(const DedupeOptions& options) {
  DedupeReport report;
  Impl& impl = *impl_;
  auto start = std::chrono::steady_clock::now();
  // 1. Patients stored before the index knew them, each in a Person of its own (step 3 links).
  std::string cursor;
  do {
    fhir::SearchInput page;
    page.type = "Patient";
    page.params = {{"_count", std::to_string(kDedupePage)}};
    if (!cursor.empty()) page.params.emplace_back("_cursor", cursor);
    ASSIGN_OR_RETURN(fhir::SearchResult found, impl.repository->Search(page));
    cursor = found.next_cursor;
    int64_t indexed_here = 0;  // set by the last run of the transaction (it may run twice)
    RETURN_IF_ERROR(impl.repository->WriteTransaction([&](fhir::TransactionWriter& tx) -> absl::Status {
      db::Session& s = tx.session();
      indexed_here = 0;
      for (const fhir::StoredResource& r : found.matches) {
        ASSIGN_OR_RETURN(std::optional<IndexedRecord> known, LoadRecord(s, r.id));
        if (known) continue;
        ASSIGN_OR_RETURN(json::Value patient, json::Parse(r.json));
        IndexedRecord rec{.patient_id = r.id, .person_id = NewResourceId(),
                          .fields = ExtractPatientFields(patient), .assurance = std::string(kConfirmed),
                          .updated = tx.now()};
        rec.id_flag = IdFlag(rec.fields.resident_id, tx.now());
        mpi::PersonRecord normalized = mpi::Normalize(rec.fields.View());
        RETURN_IF_ERROR(CountRecords(s, 1).status());
        RETURN_IF_ERROR(SaveRecord(s, rec, normalized.full));
        RETURN_IF_ERROR(SaveKeys(s, rec.patient_id, mpi::BlockingKeys(normalized), /*fresh=*/true));
        RETURN_IF_ERROR(impl.Record(s, tx.now(), {.actor = "mpi-dedupe", .action = "new",
                                                  .patient_id = rec.patient_id,
                                                  .person_after = rec.person_id})
                            .status());
        RETURN_IF_ERROR(impl.WriteGolden(tx, rec.person_id, {rec}, /*new_person=*/true));
        ++indexed_here;
      }
      return absl::OkStatus();
    }));
    report.patients_indexed += indexed_here;
    Report(options, "index", report.patients_indexed, 0);
  } while (!cursor.empty());
  report.index_seconds = SecondsSince(start);

  // 2. Every record, normalised.
  start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<IndexedRecord> rows, LoadAll(*impl.db));
  std::set<std::pair<std::string, std::string>> distinct;
  RETURN_IF_ERROR(impl.db->Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(db::Rows pairs, s.Query("SELECT a, b FROM mpi_distinct"));
    for (const db::Row& r : pairs) distinct.emplace(r.Text(0), r.Text(1));
    return absl::OkStatus();
  }));
  std::vector<mpi::PersonRecord> records;
  records.reserve(rows.size());
  for (const IndexedRecord& r : rows) records.push_back(mpi::Normalize(r.fields.View()));
  report.records = static_cast<int64_t>(rows.size());
  report.load_seconds = SecondsSince(start);

  // 3. Linkage over the whole set.
  start = std::chrono::steady_clock::now();
  mpi::NameFrequencyTable tf(records);
  mpi::Scorer scorer(impl.model, &tf);
  mpi::LinkResult linked = mpi::Deduplicate(
      records, scorer,
      {.thresholds = impl.options.thresholds,
       .threads = options.threads,
       .progress = [&](int64_t done, int64_t total) { Report(options, "link", done, total); }});
  report.pairs_scored = linked.pairs_scored;
  report.blocks_skipped = linked.blocks_skipped;
  // Clusters: today's Persons, joined by the new links best first — except where a join would put
  // two Patients declared distinct in one Person (also through a third).
  DistinctAwareClusters clusters(rows.size());
  {
    std::map<std::string, uint32_t> index_of;
    for (uint32_t i = 0; i < rows.size(); ++i) index_of.emplace(rows[i].patient_id, i);
    for (const auto& [a, b] : distinct) {
      auto ia = index_of.find(a);
      auto ib = index_of.find(b);
      if (ia != index_of.end() && ib != index_of.end()) clusters.Forbid(ia->second, ib->second);
    }
  }
  std::map<std::string, uint32_t> first_of_person;
  for (uint32_t i = 0; i < rows.size(); ++i) {
    auto [it, fresh] = first_of_person.emplace(rows[i].person_id, i);
    if (!fresh) clusters.Join(it->second, i, /*force=*/true);
  }
  report.persons_before = static_cast<int64_t>(first_of_person.size());
  std::vector<const mpi::ScoredPair*> links;
  std::vector<const mpi::ScoredPair*> reviews;
  for (const mpi::ScoredPair& p : linked.pairs) {
    (p.decision == mpi::Decision::kLink ? links : reviews).push_back(&p);
  }
  std::stable_sort(links.begin(), links.end(), [](const mpi::ScoredPair* x, const mpi::ScoredPair* y) {
    return x->probability > y->probability;
  });
  for (const mpi::ScoredPair* p : links) {
    if (clusters.Join(p->a, p->b, /*force=*/false)) {
      ++report.link_pairs;
    } else {
      ++report.distinct_pairs;
    }
  }
  std::vector<uint32_t> cluster(rows.size());
  for (uint32_t i = 0; i < rows.size(); ++i) cluster[i] = clusters.Find(i);
  report.link_seconds = SecondsSince(start);

  // 4. Each cluster spanning several Persons keeps the largest (then the smallest id); the others'
  // Patients move into it.
  start = std::chrono::steady_clock::now();
  std::map<uint32_t, std::map<std::string, int>> persons_of;  // cluster -> person -> members
  for (uint32_t i = 0; i < rows.size(); ++i) ++persons_of[cluster[i]][rows[i].person_id];
  std::map<uint32_t, std::string> survivor;
  for (const auto& [c, persons] : persons_of) {
    auto best = persons.begin();
    for (auto it = persons.begin(); it != persons.end(); ++it) {
      if (it->second > best->second) best = it;
    }
    survivor[c] = best->first;
  }
  report.persons_after = static_cast<int64_t>(persons_of.size());
  std::vector<uint32_t> moves;
  for (uint32_t i = 0; i < rows.size(); ++i) {
    if (rows[i].person_id != survivor[cluster[i]]) moves.push_back(i);
  }
  for (size_t begin = 0; begin < moves.size(); begin += kDedupePage) {
    size_t end = std::min(moves.size(), begin + kDedupePage);
    int64_t moved_here = 0;  // set by the last run of the transaction (it may run twice)
    RETURN_IF_ERROR(impl.repository->WriteTransaction([&](fhir::TransactionWriter& tx) -> absl::Status {
      db::Session& s = tx.session();
      RETURN_IF_ERROR(CountRecords(s, 0).status());
      moved_here = 0;
      std::set<std::string> touched;
      for (size_t k = begin; k < end; ++k) {
        const IndexedRecord& r = rows[moves[k]];
        const std::string& to = survivor[cluster[moves[k]]];
        // Only when its Person is still the one linkage saw (a steward may have acted since).
        ASSIGN_OR_RETURN(int64_t changed,
                         s.Execute("UPDATE mpi_record SET person_id = :to, assurance = :a "
                                   "WHERE patient_id = :p AND person_id = :from",
                                   {{"to", to}, {"a", std::string(kAutomatic)},
                                    {"p", r.patient_id}, {"from", r.person_id}}));
        if (changed == 0) continue;
        ++moved_here;
        RETURN_IF_ERROR(impl.Record(s, tx.now(), {.actor = "mpi-dedupe", .action = "auto-link",
                                                  .patient_id = r.patient_id,
                                                  .person_before = r.person_id,
                                                  .person_after = to})
                            .status());
        touched.insert(r.person_id);
        touched.insert(to);
      }
      for (const std::string& person : touched) RETURN_IF_ERROR(impl.WriteGolden(tx, person));
      return absl::OkStatus();
    }));
    report.patients_moved += moved_here;
    Report(options, "apply", static_cast<int64_t>(end), static_cast<int64_t>(moves.size()));
  }
  // Possible matches that stay in different Persons go to review.
  RETURN_IF_ERROR(impl.db->Write([&](db::Session& s) -> absl::Status {
    int64_t opened = 0;
    for (const mpi::ScoredPair* p : reviews) {
      if (cluster[p->a] == cluster[p->b] ||
          distinct.count(Ordered(rows[p->a].patient_id, rows[p->b].patient_id)) != 0) {
        continue;
      }
      RETURN_IF_ERROR(impl.OpenReview(s, impl.clock->Now(), rows[p->a].patient_id,
                                      rows[p->b].patient_id, p->probability));
      ++opened;
    }
    report.reviews_opened = opened;
    return absl::OkStatus();
  }));
  report.apply_seconds = SecondsSince(start);
  return report;
}

absl::StatusOr<mpi::TrainingResult> PatientIndex::Train(const mpi::TrainingOptions& options,
                                                        bool save) {
  ASSIGN_OR_RETURN(std::vector<IndexedRecord> rows, LoadAll(*impl_->db));
  std::vector<mpi::PersonRecord> records;
  records.reserve(rows.size());
  for (const IndexedRecord& r : rows) records.push_back(mpi::Normalize(r.fields.View()));
  ASSIGN_OR_RETURN(mpi::TrainingResult result, mpi::Train(records, options));
  if (!save) return result;
  std::string text = mpi::ModelToJson(
      result.model, StrCat("trained by rhip mpi train on ", records.size(), " records of this store"));
  RETURN_IF_ERROR(impl_->db->Write([&](db::Session& s) {
    return s
        .Execute("INSERT INTO mpi_model (id, model, trained_at) VALUES (1, :m, :t) "
                 "ON CONFLICT (id) DO UPDATE SET model = :m, trained_at = :t",
                 {{"m", text}, {"t", impl_->clock->Now()}})
        .status();
  }));
  return result;
}

}  // namespace rhip::registry
