-- Statements of OutboxRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- OutboxRepository.insert
INSERT INTO outbox (id, kind, type, endpoint, payload, status, attempts, next_attempt_at, ordering_key, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?);

-- OutboxRepository.pickDue
SELECT o.id
  FROM outbox o
  WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= ?) AND NOT EXISTS (SELECT 1
  FROM outbox p
  WHERE p.ordering_key = o.ordering_key AND p.status = 'pending' AND p.next_attempt_at <= ? AND p.id < o.id)
  ORDER BY o.id
  LIMIT ?;

-- OutboxRepository.lease
UPDATE outbox
  SET lease_owner = ?, lease_expires_at = ?
  WHERE id IN (?...) AND status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at <= ?);

-- OutboxRepository.findLeased
SELECT id, kind, type, endpoint, payload, status, attempts, last_status_code, last_error, next_attempt_at, ordering_key, created_at, updated_at
  FROM outbox
  WHERE id IN (?...) AND lease_owner = ?;

-- OutboxRepository.markDelivered
UPDATE outbox
  SET status = 'delivered', attempts = attempts + 1, last_status_code = ?, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?;

-- OutboxRepository.backOff
UPDATE outbox
  SET attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?;

-- OutboxRepository.markFailed
UPDATE outbox
  SET status = 'failed', attempts = attempts + 1, last_status_code = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?;

-- OutboxRepository.releaseIds
UPDATE outbox
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE id IN (?...) AND lease_owner = ?;

-- OutboxRepository.releaseInstance
UPDATE outbox
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE lease_owner LIKE ?;

-- OutboxRepository.listWebhooks
SELECT id, kind, type, endpoint, payload, status, attempts, last_status_code, last_error, next_attempt_at, ordering_key, created_at, updated_at
  FROM outbox
  WHERE kind = 'webhook'
  ORDER BY created_at DESC, id DESC
  LIMIT ?;

-- OutboxRepository.listWebhooksByStatus
SELECT id, kind, type, endpoint, payload, status, attempts, last_status_code, last_error, next_attempt_at, ordering_key, created_at, updated_at
  FROM outbox
  WHERE kind = 'webhook' AND status = ?
  ORDER BY created_at DESC, id DESC
  LIMIT ?;

-- OutboxRepository.findWebhook
SELECT id, kind, type, endpoint, payload, status, attempts, last_status_code, last_error, next_attempt_at, ordering_key, created_at, updated_at
  FROM outbox
  WHERE id = ? AND kind = 'webhook';

-- OutboxRepository.redeliver
UPDATE outbox
  SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND kind = 'webhook' AND status IN ('delivered', 'failed');

-- OutboxRepository.pendingByKind
SELECT kind, COUNT(*) AS n, MIN(created_at) AS oldest
  FROM outbox
  WHERE status = 'pending'
  GROUP BY kind;
