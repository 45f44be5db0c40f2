-- Statements of AuditRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- AuditRepository.insert
INSERT INTO audit_events (id, action, actor_user_id, subject_user_id, ip, request_id, details, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?);
