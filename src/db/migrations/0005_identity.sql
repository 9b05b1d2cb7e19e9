-- Identities, roles, permissions, system clients and access tokens (src/security/).
-- Roles and their default permissions are data: an administrator edits role_permission.
-- role_permission.target is a FHIR resource type, an operation such as '$export', or '*';
-- actions are SMART v2 letters in the order c r u d s ("cruds" is everything).
-- Passwords and client secrets are argon2id strings (libsodium crypto_pwhash_str); tokens are
-- stored only as the hex SHA-256 of the opaque token. Times are microseconds since the Unix
-- epoch, UTC. Stored on disk: do not edit a released migration; add a new one.

CREATE TABLE roles (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_zh TEXT NOT NULL
);

CREATE TABLE role_permission (
  role TEXT NOT NULL REFERENCES roles (code),
  target TEXT NOT NULL,
  actions TEXT NOT NULL,
  PRIMARY KEY (role, target)
);

CREATE TABLE users (
  id {BIGSERIAL_PK},
  login TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  password_changed BIGINT NOT NULL,
  created BIGINT NOT NULL
);

CREATE TABLE user_role (
  user_id BIGINT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL REFERENCES roles (code),
  org_unit TEXT NOT NULL,
  PRIMARY KEY (user_id, role, org_unit)
);

CREATE TABLE clients (
  client_id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  created BIGINT NOT NULL
);

CREATE TABLE tokens (
  token_hash TEXT PRIMARY KEY,
  client_id TEXT REFERENCES clients (client_id),
  user_id BIGINT REFERENCES users (id),
  scopes TEXT NOT NULL,
  issued BIGINT NOT NULL,
  expires BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  CHECK ((client_id IS NULL AND user_id IS NOT NULL) OR (client_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX tokens_client ON tokens (client_id);
CREATE INDEX tokens_user ON tokens (user_id);

INSERT INTO roles (code, name, name_zh) VALUES
  ('system_admin', 'System administrator', '系统管理员'),
  ('bureau_manager', 'Health-bureau manager', '卫生健康行政管理人员'),
  ('public_health_staff', 'Public-health staff (CDC, maternal and child health)', '疾控/妇幼公共卫生人员'),
  ('doctor', 'Doctor', '医生'),
  ('nurse', 'Nurse', '护士'),
  ('pharmacist', 'Pharmacist', '药师'),
  ('cashier', 'Cashier', '收费员'),
  ('village_doctor', 'Village doctor', '乡村医生'),
  ('public_health_worker', 'Public-health worker (township, community)', '基层公共卫生服务人员'),
  ('interface_system', 'Interface system', '接口系统'),
  ('resident', 'Resident', '居民');

-- Defaults: delete ('d') only for the administrator; org-unit scope and masking are applied
-- on top of these by the access policy, so a type listed here is not yet every row of it.
INSERT INTO role_permission (role, target, actions) VALUES
  ('system_admin', '*', 'cruds'),
  ('bureau_manager', 'Organization', 'crus'),
  ('bureau_manager', 'Location', 'crus'),
  ('bureau_manager', 'Practitioner', 'crus'),
  ('bureau_manager', 'PractitionerRole', 'crus'),
  ('bureau_manager', 'Measure', 'rs'),
  ('bureau_manager', 'MeasureReport', 'rs'),
  ('bureau_manager', 'AuditEvent', 'rs'),
  ('public_health_staff', 'Patient', 'rs'),
  ('public_health_staff', 'Encounter', 'rs'),
  ('public_health_staff', 'Condition', 'rs'),
  ('public_health_staff', 'Observation', 'rs'),
  ('public_health_staff', 'Immunization', 'crus'),
  ('public_health_staff', 'ImmunizationRecommendation', 'crus'),
  ('public_health_staff', 'CarePlan', 'rs'),
  ('public_health_staff', 'QuestionnaireResponse', 'rs'),
  ('public_health_staff', 'Measure', 'crus'),
  ('public_health_staff', 'MeasureReport', 'crus'),
  ('public_health_staff', '$export', 'r'),
  ('doctor', 'Patient', 'crus'),
  ('doctor', 'Encounter', 'crus'),
  ('doctor', 'Condition', 'crus'),
  ('doctor', 'Observation', 'crus'),
  ('doctor', 'AllergyIntolerance', 'crus'),
  ('doctor', 'MedicationRequest', 'crus'),
  ('doctor', 'Procedure', 'crus'),
  ('doctor', 'ServiceRequest', 'crus'),
  ('doctor', 'DiagnosticReport', 'crus'),
  ('doctor', 'Immunization', 'crus'),
  ('doctor', 'CarePlan', 'crus'),
  ('doctor', 'QuestionnaireResponse', 'crus'),
  ('doctor', 'DocumentReference', 'crus'),
  ('doctor', 'Appointment', 'crus'),
  ('nurse', 'Patient', 'rus'),
  ('nurse', 'Encounter', 'rs'),
  ('nurse', 'Condition', 'rs'),
  ('nurse', 'AllergyIntolerance', 'crus'),
  ('nurse', 'MedicationRequest', 'rs'),
  ('nurse', 'MedicationAdministration', 'crus'),
  ('nurse', 'Observation', 'crus'),
  ('nurse', 'Immunization', 'crus'),
  ('nurse', 'Appointment', 'crus'),
  ('pharmacist', 'Patient', 'rs'),
  ('pharmacist', 'AllergyIntolerance', 'rs'),
  ('pharmacist', 'MedicationRequest', 'rus'),
  ('pharmacist', 'MedicationDispense', 'crus'),
  ('pharmacist', 'Medication', 'crus'),
  ('cashier', 'Patient', 'rs'),
  ('cashier', 'Encounter', 'rs'),
  ('cashier', 'Coverage', 'rs'),
  ('cashier', 'Account', 'crus'),
  ('cashier', 'ChargeItem', 'crus'),
  ('cashier', 'Invoice', 'crus'),
  ('cashier', 'Claim', 'crus'),
  ('village_doctor', 'Patient', 'crus'),
  ('village_doctor', 'Encounter', 'crus'),
  ('village_doctor', 'Condition', 'crus'),
  ('village_doctor', 'Observation', 'crus'),
  ('village_doctor', 'AllergyIntolerance', 'crus'),
  ('village_doctor', 'MedicationRequest', 'crus'),
  ('village_doctor', 'Immunization', 'crus'),
  ('village_doctor', 'CarePlan', 'crus'),
  ('village_doctor', 'QuestionnaireResponse', 'crus'),
  ('public_health_worker', 'Patient', 'crus'),
  ('public_health_worker', 'Encounter', 'crus'),
  ('public_health_worker', 'Condition', 'rs'),
  ('public_health_worker', 'Observation', 'crus'),
  ('public_health_worker', 'Immunization', 'crus'),
  ('public_health_worker', 'CarePlan', 'crus'),
  ('public_health_worker', 'QuestionnaireResponse', 'crus'),
  ('interface_system', '*', 'crus'),
  ('resident', 'Patient', 'rs'),
  ('resident', 'Observation', 'rs'),
  ('resident', 'Condition', 'rs'),
  ('resident', 'Immunization', 'rs'),
  ('resident', 'DiagnosticReport', 'rs'),
  ('resident', 'Appointment', 'crus');
