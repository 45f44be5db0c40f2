-- Statements of CodeExchangesRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- CodeExchangesRepository.insertState
INSERT INTO login_states (id, state_hash, app_id, device_id, purpose, user_id, created_at, expires_at, consumed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL);

-- CodeExchangesRepository.insertStateless
INSERT INTO code_exchanges (id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at)
  VALUES (?, ?, ?, NULL, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?);

-- CodeExchangesRepository.claim
INSERT INTO code_exchanges (id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at)
  SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?
  FROM login_states ls
  WHERE ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?);

-- CodeExchangesRepository.claimForApp
INSERT INTO code_exchanges (id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at)
  SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?
  FROM login_states ls
  WHERE ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?) AND ls.app_id = ?;

-- CodeExchangesRepository.claimReturning
INSERT INTO code_exchanges (id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at)
  SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?
  FROM login_states ls
  WHERE ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?)
  RETURNING app_id;

-- CodeExchangesRepository.claimForAppReturning
INSERT INTO code_exchanges (id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at)
  SELECT ?, ls.app_id, ?, ls.state_hash, ?, 'pending', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, ?
  FROM login_states ls
  WHERE ls.state_hash = ? AND ls.consumed_at IS NULL AND ls.expires_at > ? AND ls.purpose = ? AND (ls.device_id IS NULL OR ls.device_id = ?) AND (ls.purpose <> 'link' OR ls.user_id = ?) AND ls.app_id = ?
  RETURNING app_id;

-- CodeExchangesRepository.claimedApp
SELECT app_id
  FROM code_exchanges
  WHERE id = ?;

-- CodeExchangesRepository.findByCode
SELECT id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at
  FROM code_exchanges
  WHERE app_id = ? AND code_hash = ?
  LIMIT 1;

-- CodeExchangesRepository.findByCodeOfAnyApp
SELECT id, app_id, code_hash, state_hash, device_id, status, outcome, error_code, identity_id, user_id, session_id, result_enc, result_key_id, created_at, updated_at, expires_at
  FROM code_exchanges
  WHERE code_hash = ?
  LIMIT 1;

-- CodeExchangesRepository.reclaimFailed
UPDATE code_exchanges
  SET status = 'pending', error_code = NULL, updated_at = ?
  WHERE id = ? AND status = 'failed';

-- CodeExchangesRepository.complete
UPDATE code_exchanges
  SET status = 'done', outcome = ?, identity_id = ?, user_id = ?, session_id = ?, updated_at = ?
  WHERE id = ?;

-- CodeExchangesRepository.fail
UPDATE code_exchanges
  SET status = 'failed', error_code = ?, updated_at = ?
  WHERE id = ?;

-- CodeExchangesRepository.failKeeping
UPDATE code_exchanges
  SET status = 'failed', error_code = ?, result_enc = ?, result_key_id = ?, updated_at = ?
  WHERE id = ?;

-- CodeExchangesRepository.markReplayed
UPDATE code_exchanges
  SET status = 'replayed', updated_at = ?
  WHERE id = ?;
