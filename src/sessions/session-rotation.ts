import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { Sql } from '../database/sql';
import { ErrorCode } from '../errors/error-code';
import { signInRefusal } from '../users/sign-in-policy';
import { UserEntity } from '../users/user.entity';
import { SessionEntity } from './session.entity';
import { SessionsRepository } from './sessions.repository';

/** A lost response must not log a user out: the token just rotated may come back once this soon. */
export const ROTATION_GRACE_MS = 10_000;
const DAY_MS = 24 * 3600 * 1000;

type Context = { ip?: string | null; userAgent?: string | null };
type Found = { session: SessionEntity; user: UserEntity };

export type Rotation =
  | { kind: 'rotated'; row: SessionEntity; refreshToken: string; user: UserEntity }
  | { kind: 'reused'; familyId: string; userId: string }
  | { kind: 'refused'; code: ErrorCode };

/**
 * Rotating a refresh token. The common case, the current token of a live session, takes three
 * statements and no transaction: the read, the successor inserted only while its predecessor is
 * still current and live (one INSERT ... SELECT), and the predecessor claimed by one conditional
 * UPDATE. Whoever loses a race there deletes its successor (its token was never handed out) and, like
 * every rotated, grace or reused token, is decided by the locked transaction, which queues racing
 * refreshes of one token so that each sees the latest row. A logout between the insert and the claim
 * revokes the successor with its family, so no successor of an ended session is ever live.
 */
@Injectable()
export class SessionRotation {
  constructor(
    private readonly database: Database,
    private readonly sessions: SessionsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async rotate(hash: string, context: Context): Promise<Rotation> {
    return (
      (await this.rotateCurrent(hash, context)) ??
      this.database.sqlTransaction((sql) => this.rotateLocked(sql, hash, context))
    );
  }

  /** The next row of a session and its new refresh token (nothing written). */
  successorOf(row: SessionEntity, now: Date, context: Context): { row: SessionEntity; refreshToken: string } {
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

  /** The current token, without a transaction; null: the locked path decides. */
  private async rotateCurrent(hash: string, context: Context): Promise<Rotation | null> {
    const sql = this.database.sql;
    const found = await this.sessions.peekWithUserByRefreshToken(sql, hash);
    const now = this.clock.now();
    const refused = refusalOf(found, now);
    if (refused) return refused;
    const { session: row, user } = found!;
    if (row.replacedBy !== null) return null;
    const next = this.successorOf(row, now, context);
    if ((await this.sessions.insertSuccessorIfCurrent(sql, next.row, row.id)) === 0) return null;
    let claimed = 0;
    try {
      claimed = await this.sessions.claimCurrent(sql, row.id, next.row.id, now);
    } finally {
      // Lost the race (or the claim failed): the successor's token was never handed out.
      if (claimed === 0) await this.sessions.deleteUnclaimed(sql, next.row.id).catch(() => undefined);
    }
    return claimed === 0 ? null : { kind: 'rotated', row: next.row, refreshToken: next.refreshToken, user };
  }

  private async rotateLocked(sql: Sql, hash: string, context: Context): Promise<Rotation> {
    // The session and its user in one read, locked on MySQL so that racing refreshes of one token
    // queue and each sees the latest row.
    const found = await this.sessions.findWithUserByRefreshToken(sql, hash);
    const now = this.clock.now();
    const refused = refusalOf(found, now);
    if (refused) return refused;
    const { session: row, user } = found!;
    const reused: Rotation = { kind: 'reused', familyId: row.familyId, userId: row.userId };
    const next = this.successorOf(row, now, context);
    if (row.replacedBy === null) {
      // The current token: claim it with one conditional update, so two racing refreshes cannot both win.
      if ((await this.sessions.claimCurrent(sql, row.id, next.row.id, now)) === 0) return reused;
    } else {
      // Already rotated: the grace path, or reuse.
      const withinGrace = row.rotatedAt !== null && now.getTime() - row.rotatedAt.getTime() <= ROTATION_GRACE_MS;
      if (!withinGrace || row.graceUsedAt !== null) return reused;
      if ((await this.sessions.supersede(sql, row.replacedBy, now)) === 0) return reused;
      if ((await this.sessions.claimGrace(sql, row.id, next.row.id, now)) === 0) return reused;
    }
    await this.sessions.insert(sql, next.row);
    return { kind: 'rotated', row: next.row, refreshToken: next.refreshToken, user };
  }
}

/** Unknown, ended or expired session, or a user who may not sign in. */
function refusalOf(found: Found | null, now: Date): Rotation | null {
  if (!found) return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
  const { session: row, user } = found;
  if (row.revokedAt || row.absoluteExpiresAt <= now || row.idleExpiresAt <= now)
    return { kind: 'refused', code: ErrorCode.UNAUTHENTICATED };
  // The one sign-in policy, answered rather than thrown: the refusal leaves the transaction cleanly.
  const code = signInRefusal(user);
  return code ? { kind: 'refused', code } : null;
}

export function minDate(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
