-- Web UI sessions, password history and the first-login flag (src/security/session_service.h).
-- A session id is 256 random bits handed to the browser in the rhip_session cookie; only its
-- hex SHA-256 is stored, so a copy of the database yields no usable session. The CSRF token is
-- not a credential on its own (it only works with the cookie) and is stored as is, so
-- GET /auth/session can hand it to a reloaded page. Times are microseconds since the Unix
-- epoch, UTC. Stored on disk: do not edit a released migration; add a new one.

CREATE TABLE sessions (
  session_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  csrf_token TEXT NOT NULL,
  created BIGINT NOT NULL,
  last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The argon2id hashes of a user's recent passwords (the current one included), newest kept.
CREATE TABLE password_history (
  user_id BIGINT NOT NULL REFERENCES users (id),
  password_hash TEXT NOT NULL,
  changed BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, changed);

-- 1 when an administrator set the password (`rhip user add`, `rhip user reset`): the next
-- login may only change it.
ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
