-- Bulk Data jobs ($export, $import; src/fhir/bulk/): one row per job, so a restarted server
-- can report a finished job and resume an unfinished one. Output files live in
-- DATA/bulk/JOBID/. transaction_time is microseconds since the Unix epoch, UTC.
-- status is queued | running | completed | failed. Stored on disk: do not edit; add a migration.

CREATE TABLE bulk_job (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  request_url TEXT NOT NULL,
  params TEXT NOT NULL,
  transaction_time BIGINT NOT NULL,
  progress TEXT NOT NULL,
  result TEXT
);

CREATE INDEX bulk_job_status ON bulk_job (status, transaction_time);

-- Export pages through one type's current resources in rk order (keyset paging); without
-- this index each page would sort every resource of the type.
CREATE INDEX resource_type_rk ON resource (type, rk);
