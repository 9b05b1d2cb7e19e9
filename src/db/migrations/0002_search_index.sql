-- Search index (src/fhir/search/index_rows.h): one table per kind of index row. p is the search
-- parameter's key (a 63-bit hash of "Type.code", fhir/search/search_parameters.h), first in every
-- primary key so a search reads one contiguous key range; the (rk, p) indexes serve deletes on
-- update, _include and _sort. Rows exist only for current, non-deleted versions.
-- Stored on disk: do not edit; add a migration.

DROP TABLE resource_token;

CREATE TABLE sp_string (
  p BIGINT NOT NULL, norm TEXT NOT NULL, rk BIGINT NOT NULL, exact TEXT NOT NULL,
  PRIMARY KEY (p, norm, rk, exact)
) {WITHOUT_ROWID};
CREATE INDEX sp_string_rk ON sp_string (rk, p);

CREATE TABLE sp_token (
  p BIGINT NOT NULL, code TEXT NOT NULL, system TEXT NOT NULL, rk BIGINT NOT NULL,
  PRIMARY KEY (p, code, system, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_token_rk ON sp_token (rk, p);

CREATE TABLE sp_date (
  p BIGINT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL, rk BIGINT NOT NULL,
  PRIMARY KEY (p, lo, hi, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_date_rk ON sp_date (rk, p);

CREATE TABLE sp_number (
  p BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, code TEXT NOT NULL, system TEXT NOT NULL,
  rk BIGINT NOT NULL,
  PRIMARY KEY (p, value, code, system, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_number_rk ON sp_number (rk, p);

CREATE TABLE sp_reference (
  p BIGINT NOT NULL, ref TEXT NOT NULL, rk BIGINT NOT NULL,
  PRIMARY KEY (p, ref, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_reference_rk ON sp_reference (rk, p);

CREATE TABLE sp_uri (
  p BIGINT NOT NULL, value TEXT NOT NULL, rk BIGINT NOT NULL,
  PRIMARY KEY (p, value, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_uri_rk ON sp_uri (rk, p);

CREATE TABLE sp_composite (
  p BIGINT NOT NULL, c1 TEXT NOT NULL, c2 TEXT NOT NULL, lo DOUBLE PRECISION NOT NULL,
  hi DOUBLE PRECISION NOT NULL, s1 TEXT NOT NULL, s2 TEXT NOT NULL, rk BIGINT NOT NULL,
  PRIMARY KEY (p, c1, c2, lo, hi, s1, s2, rk)
) {WITHOUT_ROWID};
CREATE INDEX sp_composite_rk ON sp_composite (rk, p);

-- name/value facts about the index: 'digest' of the definitions it was built with,
-- 'reindex_after_rk' while a `rhip reindex` is under way.
CREATE TABLE search_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
