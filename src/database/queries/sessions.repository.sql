-- Statements of SessionsRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- SessionsRepository.insert
INSERT INTO sessions (id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- SessionsRepository.findWithUserByRefreshToken (mysql)
SELECT s.id, s.user_id, s.refresh_token_hash, s.family_id, s.login_at, s.rotated_at, s.grace_used_at, s.device_id, s.platform, s.login_method, s.ip, s.user_agent, s.created_at, s.last_used_at, s.idle_expires_at, s.absolute_expires_at, s.revoked_at, s.revoked_reason, s.replaced_by, u.id AS u_id, u.phone AS u_phone, u.nickname AS u_nickname, u.avatar_url AS u_avatar_url, u.status AS u_status, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.last_login_at AS u_last_login_at, u.deleted_at AS u_deleted_at, u.merged_into AS u_merged_into
  FROM sessions s
  INNER JOIN users u ON u.id = s.user_id
  WHERE s.refresh_token_hash = ?
  FOR UPDATE;

-- SessionsRepository.findWithUserByRefreshToken (sqlite)
SELECT s.id, s.user_id, s.refresh_token_hash, s.family_id, s.login_at, s.rotated_at, s.grace_used_at, s.device_id, s.platform, s.login_method, s.ip, s.user_agent, s.created_at, s.last_used_at, s.idle_expires_at, s.absolute_expires_at, s.revoked_at, s.revoked_reason, s.replaced_by, u.id AS u_id, u.phone AS u_phone, u.nickname AS u_nickname, u.avatar_url AS u_avatar_url, u.status AS u_status, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.last_login_at AS u_last_login_at, u.deleted_at AS u_deleted_at, u.merged_into AS u_merged_into
  FROM sessions s
  INNER JOIN users u ON u.id = s.user_id
  WHERE s.refresh_token_hash = ?;

-- SessionsRepository.findOwnerByRefreshToken
SELECT user_id, revoked_at
  FROM sessions
  WHERE refresh_token_hash = ?
  LIMIT 1;

-- SessionsRepository.findLiveUser
SELECT u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into
  FROM sessions s
  INNER JOIN users u ON u.id = s.user_id
  WHERE s.family_id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.replaced_by IS NULL AND s.idle_expires_at > ? AND s.absolute_expires_at > ?
  LIMIT 1;

-- SessionsRepository.findLiveHead (mysql)
SELECT id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by
  FROM sessions
  WHERE family_id = ? AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?
  FOR UPDATE;

-- SessionsRepository.findLiveHead (sqlite)
SELECT id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by
  FROM sessions
  WHERE family_id = ? AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?;

-- SessionsRepository.findLoginMethod
SELECT login_method
  FROM sessions
  WHERE family_id = ?
  LIMIT 1;

-- SessionsRepository.findDeviceId
SELECT device_id
  FROM sessions
  WHERE family_id = ?
  LIMIT 1;

-- SessionsRepository.findLiveOfUser
SELECT id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by
  FROM sessions
  WHERE user_id = ? AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?;

-- SessionsRepository.liveFamiliesOfUser
SELECT family_id
  FROM sessions
  WHERE user_id = ? AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?;

-- SessionsRepository.liveFamiliesOfUserByMethod
SELECT family_id
  FROM sessions
  WHERE user_id = ? AND login_method = ? AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?;

-- SessionsRepository.revokeOfUserByMethod
UPDATE sessions
  SET revoked_at = ?, revoked_reason = ?
  WHERE user_id = ? AND login_method = ? AND revoked_at IS NULL;

-- SessionsRepository.countLiveByUser
SELECT user_id, COUNT(*) AS n
  FROM sessions
  WHERE user_id IN (?...) AND revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?
  GROUP BY user_id;

-- SessionsRepository.deviceKnownToPhoneOwner
SELECT 1 AS known
  FROM sessions s
  INNER JOIN users u ON u.id = s.user_id
  WHERE u.phone = ? AND s.device_id = ?
  LIMIT 1;

-- SessionsRepository.claimCurrent
UPDATE sessions
  SET replaced_by = ?, rotated_at = ?
  WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL;

-- SessionsRepository.claimForReissue
UPDATE sessions
  SET replaced_by = ?, rotated_at = ?, grace_used_at = ?
  WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL;

-- SessionsRepository.claimGrace
UPDATE sessions
  SET replaced_by = ?, grace_used_at = ?
  WHERE id = ? AND grace_used_at IS NULL;

-- SessionsRepository.supersede
UPDATE sessions
  SET revoked_at = ?, revoked_reason = 'superseded'
  WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL;

-- SessionsRepository.revokeFamilyOfUser
UPDATE sessions
  SET revoked_at = ?, revoked_reason = ?
  WHERE family_id = ? AND user_id = ? AND revoked_at IS NULL;

-- SessionsRepository.revokeAllOfUser
UPDATE sessions
  SET revoked_at = ?, revoked_reason = ?
  WHERE user_id = ? AND revoked_at IS NULL;

-- SessionsRepository.erasePersonalData
UPDATE sessions
  SET ip = NULL, user_agent = NULL, device_id = NULL
  WHERE user_id = ?;
