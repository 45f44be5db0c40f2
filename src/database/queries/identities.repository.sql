-- Statements of IdentitiesRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- IdentitiesRepository.findForSignIn
SELECT i.id, i.provider, i.app_id, i.subject, i.unionid, i.channel, i.user_id, i.nickname, i.avatar_url, i.email, i.language, i.secret_enc, i.secret_key_id, i.profile_updated_at, i.created_at, i.updated_at, u.id AS u_id, u.phone AS u_phone, u.nickname AS u_nickname, u.avatar_url AS u_avatar_url, u.status AS u_status, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.last_login_at AS u_last_login_at, u.deleted_at AS u_deleted_at, u.merged_into AS u_merged_into, g.id AS g_id, g.scope AS g_scope, g.refresh_expires_at AS g_refresh_expires_at, (SELECT MIN(o.user_id)
  FROM identities o
  WHERE o.provider = i.provider AND o.unionid = ? AND o.id <> i.id AND o.user_id IS NOT NULL AND (i.user_id IS NULL OR o.user_id <> i.user_id)) AS other_holder
  FROM identities i
  LEFT JOIN users u ON u.id = i.user_id
  LEFT JOIN wechat_grants g ON g.identity_id = i.id
  WHERE i.provider = ? AND i.app_id = ? AND i.subject = ?;

-- IdentitiesRepository.findForSignInAfterRace (mysql)
SELECT i.id, i.provider, i.app_id, i.subject, i.unionid, i.channel, i.user_id, i.nickname, i.avatar_url, i.email, i.language, i.secret_enc, i.secret_key_id, i.profile_updated_at, i.created_at, i.updated_at, u.id AS u_id, u.phone AS u_phone, u.nickname AS u_nickname, u.avatar_url AS u_avatar_url, u.status AS u_status, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.last_login_at AS u_last_login_at, u.deleted_at AS u_deleted_at, u.merged_into AS u_merged_into, g.id AS g_id, g.scope AS g_scope, g.refresh_expires_at AS g_refresh_expires_at, (SELECT MIN(o.user_id)
  FROM identities o
  WHERE o.provider = i.provider AND o.unionid = ? AND o.id <> i.id AND o.user_id IS NOT NULL AND (i.user_id IS NULL OR o.user_id <> i.user_id)) AS other_holder
  FROM identities i
  LEFT JOIN users u ON u.id = i.user_id
  LEFT JOIN wechat_grants g ON g.identity_id = i.id
  WHERE i.provider = ? AND i.app_id = ? AND i.subject = ?
  FOR UPDATE;

-- IdentitiesRepository.findForSignInAfterRace (sqlite)
SELECT i.id, i.provider, i.app_id, i.subject, i.unionid, i.channel, i.user_id, i.nickname, i.avatar_url, i.email, i.language, i.secret_enc, i.secret_key_id, i.profile_updated_at, i.created_at, i.updated_at, u.id AS u_id, u.phone AS u_phone, u.nickname AS u_nickname, u.avatar_url AS u_avatar_url, u.status AS u_status, u.roles AS u_roles, u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.last_login_at AS u_last_login_at, u.deleted_at AS u_deleted_at, u.merged_into AS u_merged_into, g.id AS g_id, g.scope AS g_scope, g.refresh_expires_at AS g_refresh_expires_at, (SELECT MIN(o.user_id)
  FROM identities o
  WHERE o.provider = i.provider AND o.unionid = ? AND o.id <> i.id AND o.user_id IS NOT NULL AND (i.user_id IS NULL OR o.user_id <> i.user_id)) AS other_holder
  FROM identities i
  LEFT JOIN users u ON u.id = i.user_id
  LEFT JOIN wechat_grants g ON g.identity_id = i.id
  WHERE i.provider = ? AND i.app_id = ? AND i.subject = ?;

-- IdentitiesRepository.insert
INSERT INTO identities (id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, email, language, secret_enc, secret_key_id, profile_updated_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- IdentitiesRepository.updateProfile
UPDATE identities
  SET nickname = ?, avatar_url = ?, email = ?, language = ?, profile_updated_at = ?, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.updateProfileAndSecret
UPDATE identities
  SET nickname = ?, avatar_url = ?, email = ?, language = ?, secret_enc = ?, secret_key_id = ?, profile_updated_at = ?, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.markProfileStale
UPDATE identities
  SET profile_updated_at = NULL, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.setEmail
UPDATE identities
  SET email = ?, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.findById
SELECT id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, email, language, secret_enc, secret_key_id, profile_updated_at, created_at, updated_at
  FROM identities
  WHERE id = ?
  LIMIT 1;

-- IdentitiesRepository.findOfUser
SELECT id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, email, language, secret_enc, secret_key_id, profile_updated_at, created_at, updated_at
  FROM identities
  WHERE user_id = ?
  ORDER BY created_at ASC;

-- IdentitiesRepository.findOfUsersAtProvider
SELECT id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, email, language, secret_enc, secret_key_id, profile_updated_at, created_at, updated_at
  FROM identities
  WHERE user_id IN (?...) AND provider = ?
  ORDER BY created_at ASC;

-- IdentitiesRepository.holdersOf
SELECT user_id
  FROM identities
  WHERE provider = ? AND unionid = ? AND user_id IS NOT NULL AND id <> ?;

-- IdentitiesRepository.setUnionid
UPDATE identities
  SET unionid = ?, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.attachIfFree
UPDATE identities
  SET user_id = ?, updated_at = ?
  WHERE id = ? AND user_id IS NULL;

-- IdentitiesRepository.moveToUser
UPDATE identities
  SET user_id = ?, updated_at = ?
  WHERE id = ?;

-- IdentitiesRepository.deleteByIds
DELETE
  FROM identities
  WHERE id IN (?...);

-- IdentitiesRepository.insertConflict
INSERT INTO identity_conflicts (id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by)
  VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL);

-- IdentitiesRepository.listOpenConflicts
SELECT id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by
  FROM identity_conflicts
  WHERE resolved_at IS NULL
  ORDER BY id ASC
  LIMIT ?;

-- IdentitiesRepository.listOpenConflictsAfter
SELECT id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by
  FROM identity_conflicts
  WHERE resolved_at IS NULL AND id > ?
  ORDER BY id ASC
  LIMIT ?;

-- IdentitiesRepository.listResolvedConflicts
SELECT id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by
  FROM identity_conflicts
  WHERE resolved_at IS NOT NULL
  ORDER BY id ASC
  LIMIT ?;

-- IdentitiesRepository.listResolvedConflictsAfter
SELECT id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by
  FROM identity_conflicts
  WHERE resolved_at IS NOT NULL AND id > ?
  ORDER BY id ASC
  LIMIT ?;

-- IdentitiesRepository.findConflict
SELECT id, provider, unionid, holder_user_id, other_user_id, created_at, resolved_at, kept_user_id, resolved_by
  FROM identity_conflicts
  WHERE id = ?
  LIMIT 1;

-- IdentitiesRepository.closeConflict
UPDATE identity_conflicts
  SET resolved_at = ?, kept_user_id = ?, resolved_by = ?
  WHERE id = ? AND resolved_at IS NULL;
