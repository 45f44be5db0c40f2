import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { LoginMethod, Platform } from '../common/enums';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { assertMaySignIn } from '../users/sign-in-policy';
import { effectiveRoles } from '../users/user-roles';
import { UserEntity } from '../users/user.entity';
import { WebhookEvents } from '../webhooks/webhook-events';
import { DeviceSession } from './models/device-session.model';
import { SessionEntity } from './session.entity';
import { minDate, SessionRotation } from './session-rotation';
import { SessionsRepository } from './sessions.repository';
import { TokenSigner } from './token-signer.service';

const MAX_REFRESH_TOKEN_LENGTH = 128;
const DAY_MS = 24 * 3600 * 1000;

export interface SessionContext {
  method: LoginMethod;
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

type SessionRef = { userId: string; familyId: string };

@Injectable()
export class SessionsService {
  private readonly adminPhones: ReadonlySet<string>;

  constructor(
    private readonly database: Database,
    private readonly sessions: SessionsRepository,
    private readonly signer: TokenSigner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly webhooks: WebhookEvents,
    private readonly rotation: SessionRotation,
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
    await this.sessions.insert(target, row);
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
    const outcome = await this.rotation.rotate(hash, context);
    switch (outcome.kind) {
      case 'rotated':
        return {
          tokens: await this.tokensFor(outcome.row, outcome.refreshToken, this.rolesOf(outcome.user)),
          user: outcome.user,
        };
      case 'reused':
        // Committed on its own: the revocation must survive the error that follows.
        await this.database.transaction((manager) => this.revokeFamily(manager, outcome, 'reuse'));
        throw new DomainError(ErrorCode.UNAUTHENTICATED, 'This refresh token was already used. Sign in again.');
      case 'refused':
        throw new DomainError(outcome.code);
    }
  }

  /**
   * A fresh pair for a live session without its refresh token: the idempotent answer to a login
   * retried with the same WeChat code. The session stays one; its previous refresh token dies.
   */
  async reissue(target: SqlTarget, sessionId: string, user: UserEntity): Promise<IssuedTokens | null> {
    const now = this.clock.now();
    const current = await this.sessions.findLiveHead(target, sessionId, now);
    if (!current) return null;
    const next = this.rotation.successorOf(current, now, {});
    const claimed = await this.sessions.claimForReissue(target, current.id, next.row.id, now);
    if (claimed === 0) return null;
    await this.sessions.insert(target, next.row);
    return this.tokensFor(next.row, next.refreshToken, this.rolesOf(user));
  }

  /** The user behind a refresh token, without using it (wechatRelogin checks WeChat first). */
  async peekUser(refreshToken: string): Promise<string | null> {
    if (refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) return null;
    const owner = await this.sessions.findOwnerByRefreshToken(sha256Hex(refreshToken));
    return owner && !owner.revoked ? owner.userId : null;
  }

  /**
   * Checks an access token and that its session is still live, so logout and bans act at once. The
   * roles come from the user and ADMIN_PHONES as they are now, not from the token's `roles` claim.
   */
  async authenticate(accessToken: string): Promise<AuthenticatedCaller> {
    const claims = await this.signer.verify(accessToken);
    if (!claims) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    // One round trip: the live session and its user, which the request's resolvers reuse.
    const user = await this.sessions.findLiveUser(claims.sid, claims.sub, this.clock.now());
    // The one sign-in policy, at every request: a ban or a deletion acts at once.
    assertMaySignIn(user);
    return { userId: claims.sub, sessionId: claims.sid, roles: this.rolesOf(user), user };
  }

  /** Ends one session (refresh-token reuse, a replayed login code); sessions.revoked when it was live. */
  async revokeFamily(target: SqlTarget, { userId, familyId }: SessionRef, reason: string): Promise<number> {
    const revoked = await this.sessions.revokeFamilyOfUser(target, userId, familyId, reason, this.clock.now());
    if (revoked > 0) await this.webhooks.emit(target, 'sessions.revoked', { userId, sessionIds: [familyId] });
    return revoked;
  }

  /** Ends every session of a user (ban, account deletion, admin). Returns how many were live. */
  async revokeAllForUser(target: SqlTarget, userId: string, reason: string): Promise<number> {
    const now = this.clock.now();
    const live = await this.sessions.liveFamiliesOfUser(target, userId, now);
    await this.sessions.revokeAllOfUser(target, userId, reason, now);
    if (live.length > 0) await this.webhooks.emit(target, 'sessions.revoked', { userId, sessionIds: live });
    return live.length;
  }

  /** Account deletion: every session row of the user forgets where and on what it was used. */
  erasePersonalData(target: SqlTarget, userId: string): Promise<void> {
    return this.sessions.erasePersonalData(target, userId);
  }

  /** A user ends one of their own sessions; someone else's id answers false, as an unknown one does. */
  async revokeOwn(userId: string, sessionId: string, reason: string): Promise<boolean> {
    const now = this.clock.now();
    // One statement on its own; with webhooks, a transaction that also writes sessions.revoked.
    if (!this.webhooks.enabled)
      return (await this.sessions.revokeFamilyOfUser(this.database.sql, userId, sessionId, reason, now)) > 0;
    return this.database.sqlTransaction(async (sql) => {
      if ((await this.sessions.revokeFamilyOfUser(sql, userId, sessionId, reason, now)) === 0) return false;
      await this.webhooks.emit(sql, 'sessions.revoked', { userId, sessionIds: [sessionId] });
      return true;
    });
  }

  async list(userId: string, currentSessionId: string): Promise<DeviceSession[]> {
    const rows = await this.sessions.findLiveOfUser(userId, this.clock.now());
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
