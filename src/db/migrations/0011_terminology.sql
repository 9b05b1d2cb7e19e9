-- Terminology (src/terminology/): code systems, value sets and concept maps are not personal
-- data, so every staff role reads them and runs $lookup, $validate-code, $expand and
-- $translate ('r' and 's'); writing them stays with system_admin and interface_system ('*').
-- terminology_package records which built-in content (install.h) the store holds, so a new
-- binary with newer content updates it once. Stored on disk: do not edit; add a migration.

CREATE TABLE terminology_package (
  name TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  installed BIGINT NOT NULL
);

INSERT INTO role_permission (role, target, actions) VALUES
  ('bureau_manager', 'CodeSystem', 'rs'),
  ('bureau_manager', 'ValueSet', 'rs'),
  ('bureau_manager', 'ConceptMap', 'rs'),
  ('public_health_staff', 'CodeSystem', 'rs'),
  ('public_health_staff', 'ValueSet', 'rs'),
  ('public_health_staff', 'ConceptMap', 'rs'),
  ('doctor', 'CodeSystem', 'rs'),
  ('doctor', 'ValueSet', 'rs'),
  ('doctor', 'ConceptMap', 'rs'),
  ('nurse', 'CodeSystem', 'rs'),
  ('nurse', 'ValueSet', 'rs'),
  ('nurse', 'ConceptMap', 'rs'),
  ('pharmacist', 'CodeSystem', 'rs'),
  ('pharmacist', 'ValueSet', 'rs'),
  ('pharmacist', 'ConceptMap', 'rs'),
  ('cashier', 'CodeSystem', 'rs'),
  ('cashier', 'ValueSet', 'rs'),
  ('cashier', 'ConceptMap', 'rs'),
  ('village_doctor', 'CodeSystem', 'rs'),
  ('village_doctor', 'ValueSet', 'rs'),
  ('village_doctor', 'ConceptMap', 'rs'),
  ('public_health_worker', 'CodeSystem', 'rs'),
  ('public_health_worker', 'ValueSet', 'rs'),
  ('public_health_worker', 'ConceptMap', 'rs');
