-- Staged search-index rows of bulk loads (rhip import, $import): resources are written first
-- with their index rows appended here, keyed by rk so each load appends at the right edge;
-- BuildStagedIndex then moves them into the sp_* tables (src/fhir/search/staged_index.cc). Same columns as the live tables of 0002_search_index.sql.
-- Stored on disk: do not edit; add a new migration.

CREATE TABLE sp_string_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL,
  PRIMARY KEY (rk, p, norm, exact)
) {WITHOUT_ROWID};

CREATE TABLE sp_token_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, code TEXT NOT NULL, system TEXT NOT NULL,
  PRIMARY KEY (rk, p, code, system)
) {WITHOUT_ROWID};

CREATE TABLE sp_date_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL,
  PRIMARY KEY (rk, p, lo, hi)
) {WITHOUT_ROWID};

CREATE TABLE sp_number_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, code TEXT NOT NULL,
  system TEXT NOT NULL,
  PRIMARY KEY (rk, p, value, code, system)
) {WITHOUT_ROWID};

CREATE TABLE sp_reference_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, ref TEXT NOT NULL,
  PRIMARY KEY (rk, p, ref)
) {WITHOUT_ROWID};

CREATE TABLE sp_uri_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (rk, p, value)
) {WITHOUT_ROWID};

CREATE TABLE sp_composite_staged (
  rk BIGINT NOT NULL, p BIGINT NOT NULL, c1 TEXT NOT NULL, c2 TEXT NOT NULL,
  lo DOUBLE PRECISION NOT NULL, hi DOUBLE PRECISION NOT NULL, s1 TEXT NOT NULL, s2 TEXT NOT NULL,
  PRIMARY KEY (rk, p, c1, c2, lo, hi, s1, s2)
) {WITHOUT_ROWID};
