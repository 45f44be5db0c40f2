-- Statements of CountersRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- CountersRepository.findRow
SELECT hits, version
  FROM rate_limit_rows
  WHERE bucket_key = ?;

-- CountersRepository.insertRow
INSERT INTO rate_limit_rows (bucket_key, hits, version, expires_ms)
  VALUES (?, ?, ?, ?);

-- CountersRepository.updateRow
UPDATE rate_limit_rows
  SET hits = ?, version = ?, expires_ms = ?
  WHERE bucket_key = ? AND version = ?;

-- CountersRepository.deleteExpiredRows
DELETE
  FROM rate_limit_rows
  WHERE expires_ms < ?;

-- CountersRepository.upsertSlots (mysql)
INSERT INTO rate_limit_slots (key_hash, window_s, slot_ms, instance_id, hits, updated_ms, expires_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?)... ON DUPLICATE KEY UPDATE hits =
  VALUES(hits), updated_ms =
  VALUES(updated_ms);

-- CountersRepository.upsertSlots (sqlite)
INSERT INTO rate_limit_slots (key_hash, window_s, slot_ms, instance_id, hits, updated_ms, expires_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?)... ON CONFLICT (key_hash, window_s, slot_ms, instance_id) DO UPDATE
  SET hits = excluded.hits, updated_ms = excluded.updated_ms;

-- CountersRepository.findOthersSlots
SELECT key_hash, window_s, slot_ms, instance_id, hits
  FROM rate_limit_slots
  WHERE updated_ms > ? AND expires_ms > ? AND instance_id <> ?;

-- CountersRepository.deleteExpiredSlots
DELETE
  FROM rate_limit_slots
  WHERE expires_ms < ?;
