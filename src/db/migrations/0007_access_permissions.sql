-- Operation permissions for personal data (src/security/, docs/SECURITY.md "Masking").
-- `$unmask` 'r': the role reads identifiers, phone numbers and addresses unmasked.
-- `$break-glass` 'r': the role may use emergency access (with a reason; flagged in the audit).
-- A '*' row covers every resource type and operation (security::RoleAllows), so system_admin
-- ('*' cruds) needs no rows here. interface_system's '*' covers them too; its `$unmask` row is
-- written anyway so that narrowing its '*' later does not silently mask what it exchanges.
INSERT INTO role_permission (role, target, actions) VALUES
  ('doctor', '$unmask', 'r'),
  ('village_doctor', '$unmask', 'r'),
  ('public_health_worker', '$unmask', 'r'),
  ('public_health_staff', '$unmask', 'r'),
  ('interface_system', '$unmask', 'r'),
  ('doctor', '$break-glass', 'r'),
  ('nurse', '$break-glass', 'r'),
  ('village_doctor', '$break-glass', 'r');
