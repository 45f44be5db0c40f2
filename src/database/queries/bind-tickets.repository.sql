-- Statements of BindTicketsRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- BindTicketsRepository.insert
INSERT INTO bind_tickets (id, ticket_hash, identity_id, device_id, created_at, expires_at, consumed_at)
  VALUES (?, ?, ?, ?, ?, ?, NULL);

-- BindTicketsRepository.findUnusedIdsOfIdentity
SELECT id
  FROM bind_tickets
  WHERE identity_id = ? AND consumed_at IS NULL;

-- BindTicketsRepository.closeByIds
UPDATE bind_tickets
  SET consumed_at = ?
  WHERE id IN (?...);

-- BindTicketsRepository.findByHash
SELECT id, ticket_hash, identity_id, device_id, created_at, expires_at, consumed_at
  FROM bind_tickets
  WHERE ticket_hash = ?
  LIMIT 1;

-- BindTicketsRepository.consume
UPDATE bind_tickets
  SET consumed_at = ?
  WHERE id = ? AND consumed_at IS NULL AND expires_at > ?;
