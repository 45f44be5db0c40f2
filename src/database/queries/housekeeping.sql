-- Statements of HousekeepingService, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- HousekeepingService.deleteLoginStates
DELETE
  FROM login_states
  WHERE expires_at < ?;

-- HousekeepingService.deleteCodeExchanges
DELETE
  FROM code_exchanges
  WHERE expires_at < ?;

-- HousekeepingService.deleteBindTickets
DELETE
  FROM bind_tickets
  WHERE expires_at < ?;

-- HousekeepingService.deleteSmsCodes
DELETE
  FROM sms_codes
  WHERE expires_at < ?;

-- HousekeepingService.deleteRateLimits
DELETE
  FROM rate_limits
  WHERE window_start < ?;

-- HousekeepingService.deleteQrLogins
DELETE
  FROM qr_logins
  WHERE expires_at < ?;

-- HousekeepingService.deleteDeliveredOutbox
DELETE
  FROM outbox
  WHERE status = 'delivered' AND updated_at < ?;
