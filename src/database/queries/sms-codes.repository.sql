-- Statements of SmsCodesRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- SmsCodesRepository.revokeLive
UPDATE sms_codes
  SET revoked_at = ?
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL;

-- SmsCodesRepository.insert
INSERT INTO sms_codes (id, phone, purpose, code_hash, attempts, foreign_attempts, requester_ip, requester_device, user_id, bind_ticket_hash, created_at, expires_at, consumed_at, revoked_at)
  VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, NULL);

-- SmsCodesRepository.revoke
UPDATE sms_codes
  SET revoked_at = ?
  WHERE id = ?;

-- SmsCodesRepository.giveBack
UPDATE sms_codes
  SET consumed_at = NULL
  WHERE phone = ? AND purpose = ? AND code_hash = ? AND consumed_at = ?;

-- SmsCodesRepository.consumeByAsker
UPDATE sms_codes
  SET consumed_at = ?
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND code_hash = ? AND CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN attempts < ? ELSE foreign_attempts < ? END;

-- SmsCodesRepository.consumeByAskerWithTicket
UPDATE sms_codes
  SET consumed_at = ?
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND code_hash = ? AND CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN attempts < ? ELSE foreign_attempts < ? END AND bind_ticket_hash = ?;

-- SmsCodesRepository.consumeByOwner
UPDATE sms_codes
  SET consumed_at = ?
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND code_hash = ? AND CASE WHEN 1 = 1 THEN attempts < ? ELSE foreign_attempts < ? END;

-- SmsCodesRepository.consumeByOwnerWithTicket
UPDATE sms_codes
  SET consumed_at = ?
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND code_hash = ? AND CASE WHEN 1 = 1 THEN attempts < ? ELSE foreign_attempts < ? END AND bind_ticket_hash = ?;

-- SmsCodesRepository.countWrongByAsker
UPDATE sms_codes
  SET attempts = attempts + (CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN 1 ELSE 0 END), foreign_attempts = foreign_attempts + (CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN 0 ELSE 1 END)
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN attempts < ? ELSE foreign_attempts < ? END;

-- SmsCodesRepository.countWrongByAskerWithTicket
UPDATE sms_codes
  SET attempts = attempts + (CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN 1 ELSE 0 END), foreign_attempts = foreign_attempts + (CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN 0 ELSE 1 END)
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND CASE WHEN (CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END) THEN attempts < ? ELSE foreign_attempts < ? END AND bind_ticket_hash = ?;

-- SmsCodesRepository.countWrongByOwner
UPDATE sms_codes
  SET attempts = attempts + (CASE WHEN 1 = 1 THEN 1 ELSE 0 END), foreign_attempts = foreign_attempts + (CASE WHEN 1 = 1 THEN 0 ELSE 1 END)
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND CASE WHEN 1 = 1 THEN attempts < ? ELSE foreign_attempts < ? END;

-- SmsCodesRepository.countWrongByOwnerWithTicket
UPDATE sms_codes
  SET attempts = attempts + (CASE WHEN 1 = 1 THEN 1 ELSE 0 END), foreign_attempts = foreign_attempts + (CASE WHEN 1 = 1 THEN 0 ELSE 1 END)
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ? AND CASE WHEN 1 = 1 THEN attempts < ? ELSE foreign_attempts < ? END AND bind_ticket_hash = ?;

-- SmsCodesRepository.findLatestLive
SELECT attempts, foreign_attempts, requester_device, requester_ip, bind_ticket_hash
  FROM sms_codes
  WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?
  ORDER BY created_at DESC
  LIMIT 1;
