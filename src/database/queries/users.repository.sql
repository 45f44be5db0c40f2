-- Statements of UsersRepository, written by src/database/sql-snapshots.spec.ts; do not edit.
-- Update: UPDATE_SQL_SNAPSHOTS=1 node scripts/jest.js src/database/sql-snapshots.spec.ts

-- UsersRepository.findByPhone
SELECT u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into
  FROM users u
  WHERE u.phone = ?;

-- UsersRepository.findByPhoneAfterRace (mysql)
SELECT u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into
  FROM users u
  WHERE u.phone = ?
  FOR UPDATE;

-- UsersRepository.findByPhoneAfterRace (sqlite)
SELECT u.id, u.phone, u.nickname, u.avatar_url, u.status, u.roles, u.created_at, u.updated_at, u.last_login_at, u.deleted_at, u.merged_into
  FROM users u
  WHERE u.phone = ?;

-- UsersRepository.insertWithPhone
INSERT INTO users (id, phone, nickname, avatar_url, status, roles, created_at, updated_at, last_login_at, deleted_at, merged_into)
  VALUES (?, ?, NULL, NULL, 'active', ?, ?, ?, ?, NULL, NULL);

-- UsersRepository.markLogin
UPDATE users
  SET last_login_at = ?, updated_at = ?, roles = ?
  WHERE id = ?;
