-- Statements of QrLoginsRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- QrLoginsRepository.insert
INSERT INTO qr_logins (id, kind, app_id, code_hash, poll_token_hash, status, scanned_by, user_id, login_method, bind_ticket_enc, bind_ticket_key_id, device_id, ip, user_agent, created_at, expires_at, scanned_at, decided_at, collected_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL);

-- QrLoginsRepository.findById
SELECT id, kind, app_id, code_hash, poll_token_hash, status, scanned_by, user_id, login_method, bind_ticket_enc, bind_ticket_key_id, device_id, ip, user_agent, created_at, expires_at, scanned_at, decided_at, collected_at
  FROM qr_logins
  WHERE id = ?;

-- QrLoginsRepository.findByCode
SELECT id, kind, app_id, code_hash, poll_token_hash, status, scanned_by, user_id, login_method, bind_ticket_enc, bind_ticket_key_id, device_id, ip, user_agent, created_at, expires_at, scanned_at, decided_at, collected_at
  FROM qr_logins
  WHERE app_id = ? AND code_hash = ?
  LIMIT 1;

-- QrLoginsRepository.scan
UPDATE qr_logins
  SET status = 'SCANNED', scanned_by = ?, scanned_at = ?
  WHERE app_id = '' AND code_hash = ? AND kind = 'app' AND status = 'PENDING' AND expires_at > ?;

-- QrLoginsRepository.confirm
UPDATE qr_logins
  SET status = 'CONFIRMED', user_id = ?, login_method = ?, decided_at = ?
  WHERE app_id = '' AND code_hash = ? AND kind = 'app' AND status = 'SCANNED' AND scanned_by = ? AND expires_at > ?;

-- QrLoginsRepository.cancel
UPDATE qr_logins
  SET status = 'CANCELLED', decided_at = ?
  WHERE app_id = '' AND code_hash = ? AND kind = 'app' AND status = 'SCANNED' AND scanned_by = ? AND expires_at > ?;

-- QrLoginsRepository.completeFollow
UPDATE qr_logins
  SET status = 'CONFIRMED', user_id = ?, login_method = 'WECHAT', bind_ticket_enc = ?, bind_ticket_key_id = ?, decided_at = ?
  WHERE app_id = ? AND code_hash = ? AND kind = 'wechat_follow' AND status = 'PENDING' AND expires_at > ?;

-- QrLoginsRepository.refuseFollow
UPDATE qr_logins
  SET status = 'CANCELLED', decided_at = ?
  WHERE app_id = ? AND code_hash = ? AND kind = 'wechat_follow' AND status = 'PENDING' AND expires_at > ?;

-- QrLoginsRepository.collect
UPDATE qr_logins
  SET collected_at = ?, bind_ticket_enc = NULL
  WHERE id = ? AND status = 'CONFIRMED' AND collected_at IS NULL AND expires_at > ?;
