-- The audit journal (src/security/audit_log.h): every record gets a unique id (32 hex
-- characters) when it is appended, written to the process's journal file before the request
-- goes on, and stored here when the record joins the chain. After a crash, start-up appends
-- the journal's records whose id is not yet here: each record joins the chain exactly once.
-- record_id is a delivery id, not part of the hash (the chain format is unchanged); rows
-- written before this migration have NULL. NULLs never collide in a UNIQUE index.
-- Stored on disk: do not edit; add a migration.

ALTER TABLE audit_event ADD COLUMN record_id TEXT;
CREATE UNIQUE INDEX audit_event_record_id ON audit_event (record_id);

-- Supervisors list break-the-glass accesses (`rhip audit list --action break-glass`, the
-- AuditEvent search by subtype), newest first.
CREATE INDEX audit_event_action ON audit_event (action, seq);
