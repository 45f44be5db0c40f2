import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Platform } from '../common/enums';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/database-errors';
import { SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { IssuedTokens, SessionContext, SessionsService } from '../sessions/sessions.service';
import { assertMaySignIn, isGone, signInRefusal } from '../users/sign-in-policy';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export interface DeviceInfo {
  deviceId?: string | null;
  platform?: Platform | null;
}

export interface SignedIn {
  tokens: IssuedTokens;
  user: UserEntity;
}

/** How a login came about: what the session records and what the login's audit row says. */
export interface LoginFacts {
  method: SessionContext['method'];
  device: DeviceInfo;
  meta: RequestMeta;
  /** The login's audit event; null when the caller's own event stands for it (a first login's bind). */
  audit: { action: string; details: Record<string, unknown> } | null;
}

/**
 * The one sign-in core: the only way to a session, for phone, carrier and every provider. It asks the
 * one sign-in policy, stamps the login, starts the session and writes the login's audit row.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly database: Database,
  ) {}

  /**
   * The owner of a phone someone verified (an SMS code, the carrier), created on first login.
   * Autocommit statements, no transaction: each stands on its own, in 2 round trips on MySQL
   * (`Database.sqlSession`): the phone's owner read; then the new user (or the stamp), the session
   * and the audit row together, in that order, so a retry finds the user. A failure after the
   * session leaves a session whose tokens were never handed out, and the call fails.
   */
  async signInByPhone(
    phone: string,
    method: 'PHONE' | 'CARRIER',
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignedIn> {
    const attempt = () =>
      this.database.sqlSession(async (sql) => {
        // loginByPhone stamps the login (and leaves a banned owner untouched).
        const { user, created } = await this.users.loginByPhone(sql, phone);
        const refusal = signInRefusal(user);
        if (refusal) return { refusal, user };
        return this.open(sql, user, {
          method,
          device,
          meta,
          audit: {
            action: method === 'PHONE' ? 'login.phone' : 'login.carrier',
            details: { method, newUser: created, phone: maskPhone(phone), platform: device.platform ?? null },
          },
        });
      });
    // A first login that lost the race for its phone to another wrote nothing (the new user's insert
    // went first and failed): once more, it finds the winner.
    const outcome = await attempt().catch((error: unknown) => {
      if (isUniqueViolation(error)) return attempt();
      throw error;
    });
    if ('tokens' in outcome) return outcome;
    // Recorded here, with the user (and once the session's connection is back), so the outer layers
    // do not again.
    const error = new DomainError(outcome.refusal);
    await this.audit.recordLoginFailure(error, method, meta, { userId: outcome.user.id });
    throw error;
  }

  /**
   * A session for a user the caller has settled (a provider identity's owner, a bind ticket's new
   * owner), inside the caller's transaction: refused by the sign-in policy, else stamped and audited.
   */
  async signInUser(target: SqlTarget, user: UserEntity | null | undefined, login: LoginFacts): Promise<SignedIn> {
    assertMaySignIn(user);
    return this.open(target, await this.users.markLogin(target, user), login);
  }

  /** signInUser for a user known by id only. */
  async signInUserId(manager: EntityManager, userId: string, login: LoginFacts): Promise<SignedIn> {
    return this.signInUser(manager, await this.users.findById(userId, manager), login);
  }

  /**
   * The same session family again, with a fresh pair (the answer to a repeated, idempotent login);
   * null when the user or the session is gone. A banned user is refused as at any login.
   */
  async resume(manager: EntityManager, userId: string, sessionId: string): Promise<SignedIn | null> {
    const user = await this.users.findById(userId, manager);
    if (isGone(user)) return null;
    assertMaySignIn(user);
    const tokens = await this.sessions.reissue(manager, sessionId, user);
    return tokens ? { tokens, user } : null;
  }

  /** The session and the login's audit row, for a user the policy has let through and who is stamped. */
  private async open(target: SqlTarget, user: UserEntity, login: LoginFacts): Promise<SignedIn> {
    const tokens = await this.sessions.issue(target, user, {
      method: login.method,
      deviceId: login.device.deviceId ?? null,
      platform: login.device.platform ?? null,
      ip: login.meta.ip,
      userAgent: login.meta.userAgent,
    });
    if (login.audit) {
      await this.audit.record(
        {
          action: login.audit.action,
          actorUserId: user.id,
          subjectUserId: user.id,
          ip: login.meta.ip,
          details: login.audit.details,
        },
        target,
      );
    }
    return { tokens, user };
  }
}
