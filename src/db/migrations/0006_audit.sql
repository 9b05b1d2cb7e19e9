-- The audit trail (src/security/audit_log.h): one row per audited access, append-only and
-- hash-chained. hash = SHA-256 over prev_hash and the record's fields (the encoding is in
-- docs/SECURITY.md); prev_hash of seq 1 is 64 zeros. seq counts 1, 2, 3, ... without gaps.
-- audit_chain_head holds the newest seq and hash: writers lock its one row, so two processes
-- on one PostgreSQL database append one linear chain, and a deleted tail shows up as a head
-- that no record matches. time is microseconds since the Unix epoch, UTC.
-- Triggers reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) of audit_event.
-- Stored on disk: do not edit; add a migration.

CREATE TABLE audit_event (
  seq BIGINT NOT NULL PRIMARY KEY,
  time BIGINT NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  org_unit TEXT NOT NULL,
  client_address TEXT NOT NULL,
  action TEXT NOT NULL,
  patient TEXT NOT NULL,
  resources TEXT NOT NULL,
  query TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) {WITHOUT_ROWID};

-- "Who read this resident's record" and "what did this user do", newest first.
CREATE INDEX audit_event_patient ON audit_event (patient, time);
CREATE INDEX audit_event_actor ON audit_event (actor, time);

CREATE TABLE audit_chain_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

{SQLITE_ONLY}
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'audit_event is append-only');
END;
{END_ONLY}
{POSTGRES_ONLY}
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only';
END
$$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
{END_ONLY}
