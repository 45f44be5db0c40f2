import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, Sql, SqlTarget } from '../database/sql';
import { placeholders, Statement, textOf, withList } from '../database/sql-statements';
import type { UserEntity } from '../users/user.entity';
import { USER_COLUMNS, USER_COLUMNS_AS_U, UserRow, userFromJoinedRow, userFromRow } from '../users/users.repository';
import type { SessionEntity } from './session.entity';

const COLUMNS =
  'id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ' +
  'ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by';
const COLUMNS_OF_S = COLUMNS.split(', ')
  .map((column) => `s.${column}`)
  .join(', ');
// A session that still works: neither ended, nor rotated away, nor expired (idle and absolute: `now` twice).
const LIVE = 'revoked_at IS NULL AND replaced_by IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?';
const LIVE_S = 's.revoked_at IS NULL AND s.replaced_by IS NULL AND s.idle_expires_at > ? AND s.absolute_expires_at > ?';

// On MySQL the locking reads queue racing writers of one row; SQLite transactions already run one at a time.
const lockedOnMysql = (text: string): Record<'mysql' | 'sqlite', string> => ({
  mysql: `${text} FOR UPDATE`,
  sqlite: text,
});

/** Every statement on `sessions`; src/database/queries/sessions.repository.sql is their snapshot. */
export const SESSION_STATEMENTS = {
  insert: `INSERT INTO sessions (${COLUMNS}) VALUES (${placeholders(19)})`,
  findWithUserByRefreshToken: lockedOnMysql(
    `SELECT ${COLUMNS_OF_S}, ${USER_COLUMNS_AS_U} FROM sessions s INNER JOIN users u ON u.id = s.user_id ` +
      'WHERE s.refresh_token_hash = ?',
  ),
  findOwnerByRefreshToken: 'SELECT user_id, revoked_at FROM sessions WHERE refresh_token_hash = ? LIMIT 1',
  findLiveUser: `SELECT ${USER_COLUMNS} FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE s.family_id = ? AND s.user_id = ? AND ${LIVE_S} LIMIT 1`,
  findLiveHead: lockedOnMysql(`SELECT ${COLUMNS} FROM sessions WHERE family_id = ? AND ${LIVE}`),
  findLoginMethod: 'SELECT login_method FROM sessions WHERE family_id = ? LIMIT 1',
  // Every row of a family carries the device of its login.
  findDeviceId: 'SELECT device_id FROM sessions WHERE family_id = ? LIMIT 1',
  findLiveOfUser: `SELECT ${COLUMNS} FROM sessions WHERE user_id = ? AND ${LIVE}`,
  // The live head of each of the user's families (one per family): their ids are the session ids.
  liveFamiliesOfUser: `SELECT family_id FROM sessions WHERE user_id = ? AND ${LIVE}`,
  // A provider withdrew its consent: the sessions its logins started (the method is kept on every row).
  liveFamiliesOfUserByMethod: `SELECT family_id FROM sessions WHERE user_id = ? AND login_method = ? AND ${LIVE}`,
  revokeOfUserByMethod:
    'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND login_method = ? AND revoked_at IS NULL',
  countLiveByUser: `SELECT user_id, COUNT(*) AS n FROM sessions WHERE user_id IN (?...) AND ${LIVE} GROUP BY user_id`,
  deviceKnownToPhoneOwner:
    'SELECT 1 AS known FROM sessions s INNER JOIN users u ON u.id = s.user_id WHERE u.phone = ? AND s.device_id = ? LIMIT 1',
  claimCurrent:
    'UPDATE sessions SET replaced_by = ?, rotated_at = ? WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL',
  claimForReissue:
    'UPDATE sessions SET replaced_by = ?, rotated_at = ?, grace_used_at = ? WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL',
  claimGrace: 'UPDATE sessions SET replaced_by = ?, grace_used_at = ? WHERE id = ? AND grace_used_at IS NULL',
  supersede:
    "UPDATE sessions SET revoked_at = ?, revoked_reason = 'superseded' WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL",
  revokeFamilyOfUser:
    'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE family_id = ? AND user_id = ? AND revoked_at IS NULL',
  revokeAllOfUser: 'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL',
  erasePersonalData: 'UPDATE sessions SET ip = NULL, user_agent = NULL, device_id = NULL WHERE user_id = ?',
} satisfies Record<string, Statement>;

const S = SESSION_STATEMENTS;

/** The `sessions` table: every statement on it, its row mapper and its dialect branches. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly database: Database) {}

  async insert(target: SqlTarget, row: SessionEntity): Promise<void> {
    await asSql(target).write(S.insert, valuesOf(row));
  }

  /** The session of a refresh token and its user, in one read (locked on MySQL). */
  async findWithUserByRefreshToken(
    sql: Sql,
    hash: string,
  ): Promise<{ session: SessionEntity; user: UserEntity } | null> {
    const rows = await sql.rows<SessionRow & Record<string, unknown>>(this.text(S.findWithUserByRefreshToken), [hash]);
    if (rows.length === 0) return null;
    return { session: sessionFromRow(rows[0]), user: userFromJoinedRow(rows[0])! };
  }

  /** Whose refresh token this is, and whether its session was ended (no lock, no join). */
  async findOwnerByRefreshToken(hash: string): Promise<{ userId: string; revoked: boolean } | null> {
    const rows = await this.database.sql.rows<{ user_id: string; revoked_at: unknown }>(S.findOwnerByRefreshToken, [
      hash,
    ]);
    return rows.length === 0 ? null : { userId: rows[0].user_id, revoked: rows[0].revoked_at !== null };
  }

  /** The user of a live session (family `familyId` of `userId`), read with it in one round trip. */
  async findLiveUser(familyId: string, userId: string, now: Date): Promise<UserEntity | null> {
    const rows = await this.database.sql.rows<UserRow>(S.findLiveUser, [familyId, userId, now, now]);
    return rows.length === 0 ? null : userFromRow(rows[0]);
  }

  /** The current row of a live family (locked on MySQL, so that replays racing each other take turns). */
  async findLiveHead(target: SqlTarget, familyId: string, now: Date): Promise<SessionEntity | null> {
    const rows = await asSql(target).rows<SessionRow>(this.text(S.findLiveHead), [familyId, now, now]);
    return rows.length === 0 ? null : sessionFromRow(rows[0]);
  }

  async findLoginMethod(familyId: string): Promise<string | null> {
    const rows = await this.database.sql.rows<{ login_method: string | null }>(S.findLoginMethod, [familyId]);
    return rows[0]?.login_method ?? null;
  }

  /** The app installation a session (family) was signed in on, when the client named one. */
  async findDeviceId(familyId: string): Promise<string | null> {
    const rows = await this.database.sql.rows<{ device_id: string | null }>(S.findDeviceId, [familyId]);
    return rows[0]?.device_id ?? null;
  }

  async findLiveOfUser(userId: string, now: Date): Promise<SessionEntity[]> {
    const rows = await this.database.sql.rows<SessionRow>(S.findLiveOfUser, [userId, now, now]);
    return rows.map(sessionFromRow);
  }

  async liveFamiliesOfUser(target: SqlTarget, userId: string, now: Date): Promise<string[]> {
    const rows = await asSql(target).rows<{ family_id: string }>(S.liveFamiliesOfUser, [userId, now, now]);
    return rows.map((row) => row.family_id);
  }

  /** Revokes the user's sessions begun by one login method; the session ids that were live. */
  async revokeOfUserByMethod(target: SqlTarget, userId: string, method: string, reason: string, now: Date) {
    const sql = asSql(target);
    const rows = await sql.rows<{ family_id: string }>(S.liveFamiliesOfUserByMethod, [userId, method, now, now]);
    await sql.run(S.revokeOfUserByMethod, [now, reason, userId, method]);
    return rows.map((row) => row.family_id);
  }

  /** Live sessions per user, for a page of users (absent: none). */
  async countLiveByUser(userIds: readonly string[], now: Date): Promise<Map<string, number>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.database.sql.rows<{ user_id: string; n: number | string }>(
      withList(S.countLiveByUser, userIds.length),
      [...userIds, now, now],
    );
    return new Map(rows.map((row) => [row.user_id, Number(row.n)]));
  }

  /** A device that has had a session (ended ones included) of the user owning this phone. */
  async deviceKnownToPhoneOwner(phone: string, deviceId: string): Promise<boolean> {
    return (await this.database.sql.rows(S.deviceKnownToPhoneOwner, [phone, deviceId])).length > 0;
  }

  /**
   * Marks the current row rotated, queued (`Sql.write`): it runs in the transaction whose read
   * (`findWithUserByRefreshToken`) locked the row and saw it current, so no racing refresh can have
   * claimed it since (SQLite: transactions take turns; Galera: a racing node loses at certification).
   */
  claimCurrent(sql: Sql, id: string, successorId: string, now: Date): Promise<void> {
    return sql.write(S.claimCurrent, [successorId, now, id]);
  }

  /** Like `claimCurrent`, and the grace is spent too: a reissued pair leaves no grace behind. */
  claimForReissue(target: SqlTarget, id: string, successorId: string, now: Date): Promise<number> {
    return asSql(target).run(S.claimForReissue, [successorId, now, now, id]);
  }

  /** Spends a rotated row's one grace use on a new successor. */
  claimGrace(sql: Sql, id: string, successorId: string, now: Date): Promise<number> {
    return sql.run(S.claimGrace, [successorId, now, id]);
  }

  /** Ends the pair a rotation produced, if it is still current and live. */
  supersede(sql: Sql, id: string, now: Date): Promise<number> {
    return sql.run(S.supersede, [now, id]);
  }

  /** Ends a family only if it belongs to `userId`. */
  revokeFamilyOfUser(target: SqlTarget, userId: string, familyId: string, reason: string, now: Date): Promise<number> {
    return asSql(target).run(S.revokeFamilyOfUser, [now, reason, familyId, userId]);
  }

  revokeAllOfUser(target: SqlTarget, userId: string, reason: string, now: Date): Promise<number> {
    return asSql(target).run(S.revokeAllOfUser, [now, reason, userId]);
  }

  async erasePersonalData(target: SqlTarget, userId: string): Promise<void> {
    await asSql(target).run(S.erasePersonalData, [userId]);
  }

  private text(statement: Statement): string {
    return textOf(statement, this.database.dialect);
  }
}

interface SessionRow {
  id: string;
  user_id: string;
  refresh_token_hash: string;
  family_id: string;
  login_at: Date | string;
  rotated_at: Date | string | null;
  grace_used_at: Date | string | null;
  device_id: string | null;
  platform: string | null;
  login_method: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date | string;
  last_used_at: Date | string;
  idle_expires_at: Date | string;
  absolute_expires_at: Date | string;
  revoked_at: Date | string | null;
  revoked_reason: string | null;
  replaced_by: string | null;
}

const optionalDate = (value: Date | string | null): Date | null => (value === null ? null : parseDbDate(value));

function sessionFromRow(row: SessionRow): SessionEntity {
  return {
    id: row.id,
    userId: row.user_id,
    refreshTokenHash: row.refresh_token_hash,
    familyId: row.family_id,
    loginAt: parseDbDate(row.login_at),
    rotatedAt: optionalDate(row.rotated_at),
    graceUsedAt: optionalDate(row.grace_used_at),
    deviceId: row.device_id,
    platform: row.platform,
    loginMethod: row.login_method,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: parseDbDate(row.created_at),
    lastUsedAt: parseDbDate(row.last_used_at),
    idleExpiresAt: parseDbDate(row.idle_expires_at),
    absoluteExpiresAt: parseDbDate(row.absolute_expires_at),
    revokedAt: optionalDate(row.revoked_at),
    revokedReason: row.revoked_reason,
    replacedBy: row.replaced_by,
  } as SessionEntity;
}

/** The insert's values, in COLUMNS order. */
function valuesOf(row: SessionEntity): unknown[] {
  return [
    row.id,
    row.userId,
    row.refreshTokenHash,
    row.familyId,
    row.loginAt,
    row.rotatedAt,
    row.graceUsedAt,
    row.deviceId,
    row.platform,
    row.loginMethod,
    row.ip,
    row.userAgent,
    row.createdAt,
    row.lastUsedAt,
    row.idleExpiresAt,
    row.absoluteExpiresAt,
    row.revokedAt,
    row.revokedReason,
    row.replacedBy,
  ];
}
