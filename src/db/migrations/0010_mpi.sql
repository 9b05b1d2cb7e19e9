-- Master patient index (src/registry/patient_index.h, docs/MPI.md). Owned by registry/; other
-- modules use its public header. The golden records and links clients follow are FHIR Person
-- resources in the generic store; these tables are the index behind them.
-- Stored on disk: do not edit; add a migration.

-- One row per Patient the index knows: the fields it compares, as the Patient gave them, and the
-- Person (golden record) it belongs to. name_key is the folded full name (term frequencies).
-- id_flag names a resident-ID problem found in data from another system (kept, flagged).
CREATE TABLE mpi_record (
  patient_id TEXT NOT NULL PRIMARY KEY,
  person_id TEXT NOT NULL,
  family TEXT NOT NULL,
  given TEXT NOT NULL,
  resident_id TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  sex TEXT NOT NULL,
  phone TEXT NOT NULL,
  division TEXT NOT NULL,
  address TEXT NOT NULL,
  organization TEXT NOT NULL,
  name_key TEXT NOT NULL,
  id_flag TEXT NOT NULL,
  assurance TEXT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE INDEX mpi_record_person ON mpi_record (person_id);
CREATE INDEX mpi_record_name ON mpi_record (name_key);

-- Blocking keys (registry/mpi/blocking.h): an incoming record is compared with the records that
-- share a key.
CREATE TABLE mpi_block (
  key BIGINT NOT NULL,
  patient_id TEXT NOT NULL,
  PRIMARY KEY (key, patient_id)
) {WITHOUT_ROWID};
CREATE INDEX mpi_block_patient ON mpi_block (patient_id);

-- Record count, and the lock that orders concurrent Patient writes on PostgreSQL (each write
-- updates this row first, so two new records of one person see each other).
CREATE TABLE mpi_stats (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  records BIGINT NOT NULL
);
INSERT INTO mpi_stats (id, records) VALUES (1, 0);

-- Pairs a person decided are different people (a < b): never linked automatically again.
CREATE TABLE mpi_distinct (
  a TEXT NOT NULL,
  b TEXT NOT NULL,
  PRIMARY KEY (a, b)
) {WITHOUT_ROWID};

-- Possible matches waiting for a person: open, then linked or distinct (or obsolete when a
-- later change settled them).
CREATE TABLE mpi_review (
  id {BIGSERIAL_PK},
  patient_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  probability DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL,
  created BIGINT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at BIGINT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX mpi_review_status ON mpi_review (status, id);
CREATE UNIQUE INDEX mpi_review_pair ON mpi_review (patient_id, candidate_id);

-- Every change of a link, automatic or by a person, with who, when and why; undo_of names
-- the event an unlink or unmerge reverses. detail is JSON (versions written by a merge).
CREATE TABLE mpi_event (
  id {BIGSERIAL_PK},
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  person_before TEXT NOT NULL,
  person_after TEXT NOT NULL,
  probability DOUBLE PRECISION NOT NULL,
  reason TEXT NOT NULL,
  undo_of BIGINT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX mpi_event_patient ON mpi_event (patient_id, id);
CREATE INDEX mpi_event_other ON mpi_event (other_id, id);

-- The trained model (rhip mpi train); absent: the built-in default.
CREATE TABLE mpi_model (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  model TEXT NOT NULL,
  trained_at BIGINT NOT NULL
);

-- The steward role resolves duplicates (link, unlink, merge, unmerge, review decisions);
-- `$mpi` 'r' lists the review queue and the link history, 'u' changes links.
INSERT INTO roles (code, name, name_zh) VALUES
  ('mpi_steward', 'Patient-index steward', '主索引管理员');
INSERT INTO role_permission (role, target, actions) VALUES
  ('mpi_steward', 'Patient', 'rsu'),
  ('mpi_steward', 'Person', 'rs'),
  ('mpi_steward', '$mpi', 'ru'),
  ('mpi_steward', '$unmask', 'r');
