import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { Clock } from '../common/clock';
import { Platform } from '../common/enums';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { parseDbDate } from '../database/rate-limits';
import { asSql, Sql, SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { effectiveRoles } from '../users/user-roles';
import { UserEntity } from '../users/user.entity';
import { USER_COLUMNS, USER_COLUMNS_AS_U, UserRow, userFromJoinedRow, userFromRow } from '../users/user-row';
import { DeviceSession } from './models/device-session.model';
import { SessionEntity } from './session.entity';
import { TokenSigner } from './token-signer.service';

/** A lost response must not log a user out: the token just rotated may come back once this soon. */
export const ROTATION_GRACE_MS = 10_000;
const MAX_REFRESH_TOKEN_LENGTH = 128;
const DAY_MS = 24 * 3600 * 1000;

export interface SessionContext {
  method: 'PHONE' | 'WECHAT' | 'APPLE' | 'HUAWEI' | 'CARRIER';
  deviceId?: string | null;
  platform?: Platform | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface IssuedTokens {
  /** The session (token family) id: `sid`, and the id in mySessions. */
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface AuthenticatedCaller {
  userId: string;
  /** The session (token family) behind the access token. */
  sessionId: string;
  roles: string[];
  /** The user as read with the session, at the start of this request. */
  user?: UserEntity;
}

type RefreshOutcome =
  | { kind: 'rotated'; tokens: IssuedTokens; user: UserEntity }
  | { kind: 'reused'; familyId: string }
  | { kind: 'refused'; code: ErrorCode };

@Injectable()
export class SessionsService {
  private readonly adminPhones: ReadonlySet<string>;

  constructor(
    private readonly database: Database,
    private readonly signer: TokenSigner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    this.adminPhones = new Set(config.get('adminPhones'));
  }

  /** Starts a new session (a new token family) for a user who just proved who they are. */
  async issue(
    target: SqlTarget,
    user: { id: string; phone: string | null; roles: readonly string[] },
    context: SessionContext,
  ): Promise<IssuedTokens> {
    const now = this.clock.now();
    const { idleDays, absoluteDays } = this.config.get('session');
    const familyId = newId();
    const absoluteExpiresAt = new Date(now.getTime() + absoluteDays * DAY_MS);
    const refreshToken = randomToken(32);
    const row: SessionEntity = {
      id: familyId,
      userId: user.id,
      refreshTokenHash: sha256Hex(refreshToken),
      familyId,
      loginAt: now,
      rotatedAt: null,
      graceUsedAt: null,
      deviceId: context.deviceId ?? null,
      platform: context.platform ?? null,
      loginMethod: context.method,
      ip: context.ip ?? null,
      userAgent: context.userAgent ?? null,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: minDate(new Date(now.getTime() + idleDays * DAY_MS), absoluteExpiresAt),
      absoluteExpiresAt,
      revokedAt: null,
      revokedReason: null,
      replacedBy: null,
    };
    await insertSession(asSql(target), row);
    return this.tokensFor(row, refreshToken, this.rolesOf(user));
  }

  /**
   * Rotates a refresh token. The current token yields a new pair; the token just rotated may come
   * back once within ROTATION_GRACE_MS (the pair it produced dies); any other reuse of a rotated
   * token revokes the whole family.
   */
  async refresh(
    refreshToken: string,
    context: Pick<SessionContext, 'ip' | 'userAgent'>,
  ): Promise<{ tokens: IssuedTokens; user: UserEntity }> {
    if (refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) {
      throw DomainError.badInput('refreshToken', 'not a refresh token');
    }
    const hash = sha256Hex(refreshToken);
    const outcome = await this.database.sqlTransaction((sql) => this.rotate(sql, hash, context));
    switch (outcome.kind) {
      case 'rotated':
        return { tokens: outcome.tokens, user: outcome.user };
      case 'reused':
        // Committed on its own: the revocation must survive the error that follows.
        await this.database.transaction((manager) => this.revokeFamily(manager, outcome.familyId, 'reuse'));
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'This refresh token was already used. Sign in again.');
      case 'refused':
        throw new DomainError(outcome.code);
    }
  }

  /**
   * A fresh pair for a live session without its refresh token: the idempotent answer to a login
   * retried with the same WeChat code. The session stays one; its previous refresh token dies.
   */
  async reissue(manager: EntityManager, sessionId: string, user: UserEntity): Promise<IssuedTokens | null> {
    const now = this.clock.now();
    const sessions = manager.getRepository(SessionEntity);
    // Locked on MySQL, so that replays of one code racing each other take turns on the current row.
    const query = sessions
      .createQueryBuilder('s')
      .where('s.family_id = :sessionId AND s.revoked_at IS NULL AND s.replaced_by IS NULL', { sessionId })
      .andWhere('s.idle_expires_at > :now AND s.absolute_expires_at > :now', { now });
    const current = await (this.database.dialect === 'mysql' ? query.setLock('pessimistic_write') : query).getOne();
    if (!current) return null;
    const next = this.successorOf(current, now, {});
    const claimed = await sessions
      .createQueryBuilder()
      .update()
      .set({ replacedBy: next.row.id, rotatedAt: now, graceUsedAt: now })
      .where('id = :id AND replaced_by IS NULL AND revoked_at IS NULL', { id: current.id })
      .execute();
    if ((claimed.affected ?? 0) === 0) return null;
    await sessions.insert({ ...next.row });
    return this.tokensFor(next.row, next.refreshToken, this.rolesOf(user));
  }

  /** The user behind a refresh token, without using it (wechatRelogin checks WeChat first). */
  async peekUser(refreshToken: string): Promise<string | null> {
    if (refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) return null;
    const row = await this.database.dataSource.manager
      .getRepository(SessionEntity)
      .findOne({ where: { refreshTokenHash: sha256Hex(refreshToken) } });
    return row && !row.revokedAt ? row.userId : null;
  }

  /**
   * Checks an access token and that its session is still live, so logout and bans act at once. The
   * roles come from the user and ADMIN_PHONES as they are now, not from the token's `roles` claim.
   */
  async authenticate(accessToken: string): Promise<AuthenticatedCaller> {
    const claims = await this.signer.verify(accessToken);
    if (!claims) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const now = this.clock.now();
    // One round trip: the live session and its user, which the request's resolvers reuse.
    const rows = await this.database.sql.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM sessions s INNER JOIN users u ON u.id = s.user_id ` +
        'WHERE s.family_id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.replaced_by IS NULL ' +
        'AND s.idle_expires_at > ? AND s.absolute_expires_at > ? LIMIT 1',
      [claims.sid, claims.sub, now, now],
    );
    const live = rows[0];
    if (!live || live.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
    if (live.status === 'banned') throw new DomainError(ErrorCode.USER_BANNED);
    const user = userFromRow(live);
    return { userId: claims.sub, sessionId: claims.sid, roles: this.rolesOf(user), user };
  }

  async revokeFamily(manager: EntityManager, familyId: string, reason: string): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: this.clock.now(), revokedReason: reason })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
    return result.affected ?? 0;
  }

  /** Ends every session of a user (ban, account deletion, admin). Returns how many were live. */
  async revokeAllForUser(manager: EntityManager, userId: string, reason: string): Promise<number> {
    const live = await this.liveRows(manager, userId);
    await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: this.clock.now(), revokedReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .execute();
    return live.length;
  }

  /** Account deletion: every session row of the user forgets where and on what it was used. */
  async erasePersonalData(manager: EntityManager, userId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ ip: null, userAgent: null, deviceId: null })
      .where('user_id = :userId', { userId })
      .execute();
  }

  /** A user ends one of their own sessions; someone else's id answers false, as an unknown one does. */
  async revokeOwn(userId: string, sessionId: string, reason: string): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      const owned = await manager
        .getRepository(SessionEntity)
        .exists({ where: { familyId: sessionId, userId, revokedAt: IsNull() } });
      if (!owned) return false;
      return (await this.revokeFamily(manager, sessionId, reason)) > 0;
    });
  }

  async list(userId: string, currentSessionId: string): Promise<DeviceSession[]> {
    const rows = await this.liveRows(this.database.dataSource.manager, userId);
    return rows
      .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
      .map((row) => ({
        id: row.familyId,
        deviceId: row.deviceId,
        platform: (row.platform as Platform | null) ?? null,
        createdAt: row.loginAt,
        lastUsedAt: row.lastUsedAt,
        current: row.familyId === currentSessionId,
      }));
  }

  private async liveRows(manager: EntityManager, userId: string): Promise<SessionEntity[]> {
    return manager
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .where('s.user_id = :userId AND s.revoked_at IS NULL AND s.replaced_by IS NULL', { userId })
      .andWhere('s.idle_expires_at > :now AND s.absolute_expires_at > :now', { now: this.clock.now() })
      .getMany();
  }

  private async rotate(
    sql: Sql,
    hash: string,
    context: Pick<SessionContext, 'ip' | 'userAgent'>,
  ): Promise<RefreshOutcome> {
    // The session and its user in one read. On MySQL the locking read queues racing refreshes of one
    // token and shows each the latest row; SQLite transactions already run one at a time.
    const lock = this.database.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const found = await sql.rows<SessionRow & Record<string, unknown>>(
      `SELECT ${SESSION_COLUMNS_OF_S}, ${USER_COLUMNS_AS_U} FROM sessions s INNER JOIN users u ON u.id = s.user_id ` +
        `WHERE s.refresh_token_hash = ?${lock}`,
      [hash],
    );
    if (found.length === 0) return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
    const row = sessionFromRow(found[0]);
    if (row.revokedAt) return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
    const now = this.clock.now();
    if (row.absoluteExpiresAt <= now || row.idleExpiresAt <= now)
      return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
    const user = userFromJoinedRow(found[0])!;
    if (user.status === 'deleted') return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
    if (user.status === 'banned') return { kind: 'refused', code: ErrorCode.USER_BANNED };

    const next = this.successorOf(row, now, context);
    if (row.replacedBy === null) {
      // The current token: claim it with one conditional update, so two racing refreshes cannot both win.
      const claimed = await sql.run(
        'UPDATE sessions SET replaced_by = ?, rotated_at = ? WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL',
        [next.row.id, now, row.id],
      );
      if (claimed === 0) return { kind: 'reused', familyId: row.familyId };
    } else {
      // Already rotated: the grace path, or reuse.
      const withinGrace = row.rotatedAt !== null && now.getTime() - row.rotatedAt.getTime() <= ROTATION_GRACE_MS;
      if (!withinGrace || row.graceUsedAt !== null) return { kind: 'reused', familyId: row.familyId };
      const supersededPair = await sql.run(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = 'superseded' WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL",
        [now, row.replacedBy],
      );
      if (supersededPair === 0) return { kind: 'reused', familyId: row.familyId };
      const claimed = await sql.run(
        'UPDATE sessions SET replaced_by = ?, grace_used_at = ? WHERE id = ? AND grace_used_at IS NULL',
        [next.row.id, now, row.id],
      );
      if (claimed === 0) return { kind: 'reused', familyId: row.familyId };
    }
    await insertSession(sql, next.row);
    return { kind: 'rotated', tokens: await this.tokensFor(next.row, next.refreshToken, this.rolesOf(user)), user };
  }

  private successorOf(
    row: SessionEntity,
    now: Date,
    context: Pick<SessionContext, 'ip' | 'userAgent'>,
  ): { row: SessionEntity; refreshToken: string } {
    const refreshToken = randomToken(32);
    const idle = new Date(now.getTime() + this.config.get('session').idleDays * DAY_MS);
    return {
      refreshToken,
      row: {
        ...row,
        id: newId(),
        refreshTokenHash: sha256Hex(refreshToken),
        rotatedAt: null,
        graceUsedAt: null,
        ip: context.ip ?? row.ip,
        userAgent: context.userAgent ?? row.userAgent,
        createdAt: now,
        lastUsedAt: now,
        idleExpiresAt: minDate(idle, row.absoluteExpiresAt),
        revokedAt: null,
        revokedReason: null,
        replacedBy: null,
      },
    };
  }

  private rolesOf(user: { phone: string | null; roles: readonly string[] }): string[] {
    return effectiveRoles(user, this.adminPhones);
  }

  private async tokensFor(row: SessionEntity, refreshToken: string, roles: string[]): Promise<IssuedTokens> {
    const access = await this.signer.sign({ sub: row.userId, sid: row.familyId, roles });
    return {
      sessionId: row.familyId,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt: row.idleExpiresAt,
    };
  }
}

const SESSION_COLUMNS =
  'id, user_id, refresh_token_hash, family_id, login_at, rotated_at, grace_used_at, device_id, platform, login_method, ' +
  'ip, user_agent, created_at, last_used_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, replaced_by';
const INSERT_SESSION = `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const SESSION_COLUMNS_OF_S = SESSION_COLUMNS.split(', ')
  .map((column) => `s.${column}`)
  .join(', ');

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

function insertSession(sql: Sql, row: SessionEntity): Promise<number> {
  return sql.run(INSERT_SESSION, [
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
  ]);
}

function minDate(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
