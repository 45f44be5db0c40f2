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
 * Rotating a refresh token, in one transaction (5 statements in 2 round trips on MySQL: BEGIN with
 * the read, then the claim, the successor and COMMIT): the session and its user read with a lock on
 * MySQL, so that racing refreshes of one token queue and each sees the latest row; the claim; the
 * successor. Tried for issue 23 and measured slower on MariaDB: the same without a transaction
 * (3 statements: the read, the successor inserted while its predecessor is current, the claim) pays
 * two commits instead of one, and the kit's refresh ratio fell from 0.63 to 0.59 (docs/benchmarks.md).
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
    return this.database.sqlTransaction((sql) => this.rotateLocked(sql, hash, context));
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
      // The current token, locked by the read: claimed, and its successor written, with the COMMIT.
      await this.sessions.claimCurrent(sql, row.id, next.row.id, now);
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
