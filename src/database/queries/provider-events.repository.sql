-- Statements of ProviderEventsRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- ProviderEventsRepository.insert
INSERT INTO provider_events (id, provider, app_id, dedupe_key, event_type, payload, received_at, applied_at, outcome, attempts, last_error_code, next_attempt_at, lease_owner, lease_expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, NULL, ?, NULL, NULL);

-- ProviderEventsRepository.pickDue
SELECT id
  FROM provider_events
  WHERE applied_at IS NULL AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
  ORDER BY next_attempt_at
  LIMIT ?;

-- ProviderEventsRepository.claim
UPDATE provider_events
  SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1
  WHERE id = ? AND applied_at IS NULL AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?);

-- ProviderEventsRepository.findLeased
SELECT id, provider, app_id, dedupe_key, event_type, payload, received_at, applied_at, outcome, attempts, last_error_code, next_attempt_at, lease_owner, lease_expires_at
  FROM provider_events
  WHERE id = ? AND lease_owner = ?;

-- ProviderEventsRepository.markApplied
UPDATE provider_events
  SET applied_at = ?, outcome = ?, last_error_code = NULL, lease_owner = NULL, lease_expires_at = NULL
  WHERE id = ? AND lease_owner = ? AND applied_at IS NULL;

-- ProviderEventsRepository.backOff
UPDATE provider_events
  SET last_error_code = ?, next_attempt_at = ?, lease_owner = NULL, lease_expires_at = NULL
  WHERE id = ? AND lease_owner = ?;

-- ProviderEventsRepository.releaseInstance
UPDATE provider_events
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE lease_owner LIKE ? AND applied_at IS NULL;

-- ProviderEventsRepository.pendingStats
SELECT COUNT(*) AS pending, MIN(received_at) AS oldest
  FROM provider_events
  WHERE applied_at IS NULL;
