-- Statements of WechatGrantsRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- WechatGrantsRepository.countActive
SELECT COUNT(*) AS n
  FROM wechat_grants
  WHERE status = 'active';

-- WechatGrantsRepository.countDue
SELECT COUNT(*) AS n
  FROM wechat_grants
  WHERE status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto';

-- WechatGrantsRepository.countReauthRequired
SELECT COUNT(*) AS n
  FROM wechat_grants
  WHERE status = 'reauth_required';

-- WechatGrantsRepository.pickDueFrom (mysql)
SELECT id
  FROM wechat_grants
  WHERE status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND id >= ?
  ORDER BY id
  LIMIT ?
  FOR UPDATE SKIP LOCKED;

-- WechatGrantsRepository.pickDueFrom (sqlite)
SELECT id
  FROM wechat_grants
  WHERE status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND id >= ?
  ORDER BY id
  LIMIT ?;

-- WechatGrantsRepository.pickDueBefore (mysql)
SELECT id
  FROM wechat_grants
  WHERE status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND id < ?
  ORDER BY id
  LIMIT ?
  FOR UPDATE SKIP LOCKED;

-- WechatGrantsRepository.pickDueBefore (sqlite)
SELECT id
  FROM wechat_grants
  WHERE status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ? AND refresh_mode = 'auto' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND id < ?
  ORDER BY id
  LIMIT ?;

-- WechatGrantsRepository.lease
UPDATE wechat_grants
  SET lease_owner = ?, lease_expires_at = ?
  WHERE id IN (?...) AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND status = 'active';

-- WechatGrantsRepository.findLeased
SELECT g.id, g.identity_id, i.app_id, i.subject, i.nickname, i.avatar_url, g.refresh_token_enc, g.key_id, g.scope, g.failure_count
  FROM wechat_grants g JOIN identities i ON i.id = g.identity_id
  WHERE g.id IN (?...) AND g.lease_owner = ?;

-- WechatGrantsRepository.storeRefreshed
UPDATE wechat_grants
  SET access_token_enc = CASE id WHEN ? THEN ?... END, refresh_token_enc = CASE id WHEN ? THEN ?... END, scope = CASE id WHEN ? THEN ?... END, access_expires_at = CASE id WHEN ? THEN ?... END, key_id = ?, status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL, last_refreshed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
  WHERE id IN (?...) AND lease_owner = ?;

-- WechatGrantsRepository.storeProfiles
UPDATE identities
  SET nickname = CASE id WHEN ? THEN ?... END, avatar_url = CASE id WHEN ? THEN ?... END, profile_updated_at = ?
  WHERE id IN (?...);

-- WechatGrantsRepository.backOff
UPDATE wechat_grants
  SET failure_count = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?;

-- WechatGrantsRepository.markLeasedReauth
UPDATE wechat_grants
  SET status = 'reauth_required', last_error = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?;

-- WechatGrantsRepository.releaseIds
UPDATE wechat_grants
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE id IN (?...) AND lease_owner = ?;

-- WechatGrantsRepository.releaseToken
UPDATE wechat_grants
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE lease_owner = ?;

-- WechatGrantsRepository.releaseInstance
UPDATE wechat_grants
  SET lease_owner = NULL, lease_expires_at = NULL
  WHERE lease_owner LIKE ?;

-- WechatGrantsRepository.refreshKnown
UPDATE wechat_grants
  SET access_token_enc = ?, refresh_token_enc = ?, key_id = ?, scope = ?, access_expires_at = ?, refresh_expires_at = ?, status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL, last_refreshed_at = ?, updated_at = ?
  WHERE id = ?;

-- WechatGrantsRepository.refreshKnownAsNew
UPDATE wechat_grants
  SET access_token_enc = ?, refresh_token_enc = ?, key_id = ?, scope = ?, access_expires_at = ?, refresh_expires_at = ?, status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL, last_refreshed_at = ?, updated_at = ?, refresh_mode = ?
  WHERE id = ?;
