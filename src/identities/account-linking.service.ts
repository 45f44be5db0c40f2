import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Platform } from '../common/enums';
import { newId } from '../common/ids';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/rate-limits';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { IssuedTokens, SessionsService } from '../sessions/sessions.service';
import { assertMaySignIn } from '../users/sign-in-policy';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { BindTicketsService } from './bind-tickets.service';
import { IdentitiesRepository } from './identities.repository';
import { GrantRef, IdentitiesService } from './identities.service';
import { IdentityConflictEntity } from './identity-conflict.entity';
import { IdentityEntity } from './identity.entity';
import { IdentityProviderName, loginMethodOf, VerifiedIdentity } from './verified-identity';

export interface DeviceInfo {
  deviceId?: string | null;
  platform?: Platform | null;
}

export interface SignedIn {
  tokens: IssuedTokens;
  user: UserEntity;
}

export interface SignInOutcome {
  identity: IdentityEntity;
  session: SignedIn | null;
  bindTicket: { ticket: string; expiresAt: Date } | null;
  /** The identity's WeChat grant as read at sign-in (refreshed in place by the caller). */
  grant?: GrantRef | null;
}

/**
 * The one account-linking path: every provider and channel hands over a verified identity, and this
 * service alone decides whom it belongs to and whether that means a session or a bind ticket.
 * Everything runs inside the caller's transaction; unique keys settle races.
 */
@Injectable()
export class AccountLinkingService {
  private readonly requirePhone: boolean;

  constructor(
    private readonly identities: IdentitiesService,
    private readonly identityRows: IdentitiesRepository,
    private readonly bindTickets: BindTicketsService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly database: Database,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.requirePhone = config.get('requirePhone');
  }

  /**
   * A verified identity logs in: its user gets a session; a new person gets a bind ticket (or, with
   * REQUIRE_PHONE=false or a provider-verified phone, a user at once).
   */
  async signIn(
    manager: EntityManager,
    verified: VerifiedIdentity,
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignInOutcome> {
    const { owner, otherHolder, grant, ...read } = await this.identities.upsert(manager, verified);
    let identity: IdentityEntity = read;
    identity = await this.settlePerson(manager, identity, verified.unionid, meta, otherHolder);
    // A first login that binds the provider's verified phone at once is audited as '<provider>.bind'
    // alone, like one finished by bindPhone: one login, one event (stats and metrics count it once).
    let boundNow = false;
    if (!identity.userId && verified.verifiedPhone) {
      const user = await this.bindUnheldPhone(manager, identity, verified.verifiedPhone, meta);
      if (user) {
        identity = { ...identity, userId: user.id };
        boundNow = true;
      }
    }
    if (!identity.userId && !this.requirePhone) {
      const user = await this.users.createWithoutPhone(manager);
      await this.attach(manager, identity, user, ErrorCode.WECHAT_ALREADY_BOUND);
      identity = { ...identity, userId: user.id };
    }
    if (!identity.userId) {
      const bindTicket = await this.bindTickets.issue(manager, identity.id, device.deviceId ?? null);
      return { identity, session: null, bindTicket, grant };
    }
    // The user read with the identity serves when the linking rules left the identity with it.
    const preloaded = owner && owner.id === identity.userId ? owner : null;
    const session = await this.startSession(
      manager,
      identity,
      identity.userId,
      device,
      meta,
      boundNow ? null : `login.${verified.provider}`,
      {},
      preloaded,
    );
    return { identity, session, bindTicket: null, grant };
  }

  /** A session for the identity's user, with the login stamped and audited. */
  async startSession(
    manager: EntityManager,
    identity: IdentityEntity,
    userId: string,
    device: DeviceInfo,
    meta: RequestMeta,
    action: string | null,
    details: Record<string, unknown> = {},
    preloaded: UserEntity | null = null,
  ): Promise<SignedIn> {
    const user = preloaded ?? (await this.users.findById(userId, manager));
    assertMaySignIn(user);
    const loggedIn = await this.users.markLogin(manager, user);
    const tokens = await this.sessions.issue(manager, loggedIn, {
      method: loginMethodOf(identity.provider),
      deviceId: device.deviceId ?? null,
      platform: device.platform ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    if (!action) return { tokens, user: loggedIn };
    await this.audit.record(
      {
        action,
        actorUserId: user.id,
        subjectUserId: user.id,
        ip: meta.ip,
        details: {
          method: loginMethodOf(identity.provider),
          appId: identity.appId,
          channel: identity.channel,
          ...details,
        },
      },
      manager,
    );
    return { tokens, user: loggedIn };
  }

  /** The user, for callers that only hold an id (a code's record, a signed-in caller). */
  userOf(userId: string): Promise<UserEntity | null> {
    return this.users.findById(userId);
  }

  /**
   * The same session family again, with a fresh pair (the answer to a repeated, idempotent login);
   * null when the user or the session is gone. A banned user is refused as at any login.
   */
  async resumeSession(manager: EntityManager, userId: string, sessionId: string): Promise<SignedIn | null> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.status === 'deleted') return null;
    assertMaySignIn(user);
    const tokens = await this.sessions.reissue(manager, sessionId, user);
    return tokens ? { tokens, user } : null;
  }

  /**
   * Joins the identity to the owner of a verified `phone`: a new user for an unknown phone, the
   * existing user when they have no account of this provider yet (or the same person through another
   * app: same unionid). A phone whose user is another person at this provider: PHONE_ALREADY_BOUND.
   */
  async bindPhone(
    manager: EntityManager,
    identity: IdentityEntity,
    phone: string,
    meta: RequestMeta,
  ): Promise<{ user: UserEntity; created: boolean }> {
    if (identity.userId) {
      const owner = await this.users.findById(identity.userId, manager);
      if (owner?.phone === phone) return { user: owner, created: false };
      throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    }
    const { user, created } = await this.users.findOrCreateByPhone(manager, phone);
    assertMaySignIn(user);
    if (await this.belongsToAnotherPerson(manager, user.id, identity))
      throw new DomainError(ErrorCode.PHONE_ALREADY_BOUND);
    await this.joinPhoneOwner(manager, identity, user, created, phone, meta);
    return { user, created };
  }

  /**
   * A phone the provider verified at some time (Huawei: up to 90 days ago, and numbers are recycled):
   * enough to make a new user of a number nobody holds, never to enter another user's account, whose
   * number the person must prove now (a bind ticket, then an SMS code or the carrier). Null then.
   */
  private async bindUnheldPhone(
    manager: EntityManager,
    identity: IdentityEntity,
    phone: string,
    meta: RequestMeta,
  ): Promise<UserEntity | null> {
    const { user, created } = await this.users.findOrCreateByPhone(manager, phone);
    if (!created) return null;
    await this.joinPhoneOwner(manager, identity, user, created, phone, meta);
    return user;
  }

  private async joinPhoneOwner(
    manager: EntityManager,
    identity: IdentityEntity,
    user: UserEntity,
    created: boolean,
    phone: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.attach(manager, identity, user, ErrorCode.PHONE_ALREADY_BOUND);
    await this.audit.record(
      {
        action: `${identity.provider}.bind`,
        actorUserId: user.id,
        subjectUserId: user.id,
        ip: meta.ip,
        details: { appId: identity.appId, channel: identity.channel, phone: maskPhone(phone), newUser: created },
      },
      manager,
    );
  }

  /** A signed-in user adds a verified identity (linkWechat, linkApple, linkHuawei). */
  async link(
    manager: EntityManager,
    verified: VerifiedIdentity,
    userId: string,
    meta: RequestMeta,
  ): Promise<{ user: UserEntity; identity: IdentityEntity }> {
    const user = await this.users.findById(userId, manager);
    assertMaySignIn(user);
    const { owner: _owner, otherHolder, grant: _grant, ...read } = await this.identities.upsert(manager, verified);
    let identity: IdentityEntity = read;
    identity = await this.settlePerson(manager, identity, verified.unionid, meta, otherHolder);
    if (identity.userId === userId) return { user, identity };
    if (identity.userId) throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    if (await this.belongsToAnotherPerson(manager, user.id, identity)) {
      throw new DomainError(
        ErrorCode.WECHAT_ALREADY_BOUND,
        'Your account is already linked to another account of this provider.',
      );
    }
    await this.attach(manager, identity, user, ErrorCode.WECHAT_ALREADY_BOUND);
    await this.audit.record(
      {
        action: `${identity.provider}.link`,
        actorUserId: userId,
        subjectUserId: userId,
        ip: meta.ip,
        details: { appId: identity.appId, channel: identity.channel },
      },
      manager,
    );
    return { user: (await this.users.findById(userId, manager)) ?? user, identity: { ...identity, userId } };
  }

  /**
   * Removes the user's identities of a provider (one app, or all), refused when nothing would be left
   * to log in with. Returns what was removed, so that the provider can revoke its tokens.
   */
  async unlink(
    userId: string,
    provider: IdentityProviderName,
    appId: string | null,
    meta: RequestMeta,
  ): Promise<IdentityEntity[]> {
    return this.database.transaction(async (manager) => {
      const user = await this.users.findById(userId, manager);
      if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
      const all = await this.identities.forUser(userId, manager);
      const removed = all.filter((i) => i.provider === provider && (!appId || i.appId === appId));
      if (removed.length === 0) return [];
      if (!user.phone && removed.length === all.length) throw new DomainError(ErrorCode.LAST_LOGIN_METHOD);
      await this.identityRows.deleteByIds(
        manager,
        removed.map((i) => i.id),
      );
      await this.audit.record(
        {
          action: `${provider}.unlink`,
          actorUserId: userId,
          subjectUserId: userId,
          ip: meta.ip,
          details: { identities: removed.length, appId },
        },
        manager,
      );
      return removed;
    });
  }

  /** Account deletion and admin unlinking: every identity of the user (of one provider) goes. */
  async removeAll(manager: EntityManager, userId: string, provider?: IdentityProviderName): Promise<IdentityEntity[]> {
    const all = await this.identities.forUser(userId, manager);
    const removed = provider ? all.filter((i) => i.provider === provider) : all;
    await this.identityRows.deleteByIds(
      manager,
      removed.map((i) => i.id),
    );
    return removed;
  }

  listConflicts(first: number, after: string | null, resolved: boolean): Promise<IdentityConflictEntity[]> {
    return this.identityRows.listConflicts(first, after, resolved);
  }

  /** An admin keeps one user of a conflict; the other is folded into it. */
  async resolveConflict(id: string, keepUserId: string, adminId: string, meta: RequestMeta): Promise<string> {
    return this.database.transaction(async (manager) => {
      const conflict = await this.identityRows.findConflict(manager, id);
      if (!conflict || conflict.resolvedAt) throw DomainError.badInput('id', 'no open conflict with this id');
      const ids = [conflict.holderUserId, conflict.otherUserId];
      if (!ids.includes(keepUserId)) throw DomainError.badInput('keepUserId', 'not a user of this conflict');
      const other = ids.find((u) => u !== keepUserId)!;
      if (!(await this.identityRows.closeConflict(manager, id, keepUserId, adminId, this.clock.now())))
        throw DomainError.badInput('id', 'no open conflict with this id');
      await this.fold(manager, other, keepUserId, meta, { conflictId: id, by: adminId });
      return keepUserId;
    });
  }

  /**
   * A unionid is the person: after this, every identity carrying it belongs to one user. When it
   * arrives for an identity already bound to user A while user B holds it: attach when nobody else
   * has it; fold A into B (or B into A) when one of them has no phone and no other identity; else keep
   * both, move the identity to B (logins go to the unionid holder) and record a conflict for admins.
   */
  private async settlePerson(
    manager: EntityManager,
    identity: IdentityEntity,
    unionid: string | null,
    meta: RequestMeta,
    /** Another holder of `unionid`, when the caller read it already (undefined: not read). */
    knownHolder?: string | null,
  ): Promise<IdentityEntity> {
    if (!unionid) return identity;
    if (identity.unionid !== unionid) {
      await this.identityRows.setUnionid(manager, identity.id, unionid, this.clock.now());
      identity = { ...identity, unionid };
    }
    const holder =
      knownHolder !== undefined
        ? knownHolder
        : (await this.identities.holdersOf(manager, identity.provider, unionid, identity.id)).filter(
            (userId) => userId !== identity.userId,
          )[0];
    if (!holder) return identity;
    if (!identity.userId) {
      if (await this.identityRows.attachIfFree(manager, identity.id, holder, this.clock.now()))
        return { ...identity, userId: holder };
      return (await this.identities.findById(identity.id, manager)) ?? identity;
    }
    const other = identity.userId;
    if (await this.isBare(manager, other, identity.provider, unionid)) {
      await this.fold(manager, other, holder, meta, { unionid: true });
      return { ...identity, userId: holder };
    }
    if (await this.isBare(manager, holder, identity.provider, unionid)) {
      await this.fold(manager, holder, other, meta, { unionid: true });
      return identity;
    }
    try {
      await this.identityRows.moveToUser(manager, identity.id, holder, this.clock.now());
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return identity;
    }
    await this.identityRows.insertConflict(manager, {
      id: newId(),
      provider: identity.provider,
      unionid,
      holderUserId: holder,
      otherUserId: other,
      createdAt: this.clock.now(),
      resolvedAt: null,
      keptUserId: null,
      resolvedBy: null,
    });
    await this.audit.record(
      {
        action: 'identity.conflict',
        subjectUserId: holder,
        ip: meta.ip,
        details: { holderUserId: holder, otherUserId: other, provider: identity.provider, appId: identity.appId },
      },
      manager,
    );
    return { ...identity, userId: holder };
  }

  /** No phone and no identity other than this person's (at this provider): nothing would be lost. */
  private async isBare(
    manager: EntityManager,
    userId: string,
    provider: IdentityProviderName,
    unionid: string,
  ): Promise<boolean> {
    const user = await this.users.findById(userId, manager);
    if (!user || user.phone || user.status === 'banned') return false;
    const identities = await this.identities.forUser(userId, manager);
    return identities.every((i) => i.provider === provider && i.unionid === unionid);
  }

  /** `loser` becomes part of `survivor`: identities moved, sessions revoked, the row kept as merged. */
  private async fold(
    manager: EntityManager,
    loserId: string,
    survivorId: string,
    meta: RequestMeta,
    why: Record<string, unknown>,
  ): Promise<void> {
    const loser = await this.users.findById(loserId, manager);
    const survivor = await this.users.findById(survivorId, manager);
    if (!loser || !survivor) throw new DomainError(ErrorCode.INTERNAL);
    const dropped: string[] = [];
    for (const identity of await this.identities.forUser(loserId, manager)) {
      try {
        await this.identityRows.moveToUser(manager, identity.id, survivorId, this.clock.now());
      } catch (error) {
        // The survivor already has an account of this provider app: one per app per user.
        if (!isUniqueViolation(error)) throw error;
        await this.identityRows.deleteByIds(manager, [identity.id]);
        dropped.push(`${identity.provider}:${identity.appId}`);
      }
    }
    const sessionsRevoked = await this.sessions.revokeAllForUser(manager, loserId, 'merged');
    const movedPhone = !survivor.phone && loser.phone ? loser.phone : null;
    await this.users.markMerged(manager, loserId, survivorId);
    if (movedPhone || (!survivor.nickname && loser.nickname)) {
      await this.users.adopt(manager, survivorId, {
        phone: movedPhone ?? undefined,
        nickname: survivor.nickname ? undefined : loser.nickname,
        avatarUrl: survivor.avatarUrl ? undefined : loser.avatarUrl,
      });
    }
    await this.audit.record(
      {
        action: 'user.merged',
        subjectUserId: survivorId,
        ip: meta.ip,
        details: {
          fromUserId: loserId,
          intoUserId: survivorId,
          sessionsRevoked,
          droppedIdentities: dropped,
          droppedPhone: loser.phone && !movedPhone ? maskPhone(loser.phone) : null,
          ...why,
        },
      },
      manager,
    );
  }

  private async belongsToAnotherPerson(
    manager: EntityManager,
    userId: string,
    identity: IdentityEntity,
  ): Promise<boolean> {
    const existing = await this.identities.forUser(userId, manager);
    // Same provider app: always someone else (one account per app). Other apps of the provider: the
    // same person only when both carry the same unionid; without unionids nobody can tell, so no.
    return existing.some(
      (other) =>
        other.id !== identity.id &&
        other.provider === identity.provider &&
        (other.appId === identity.appId || !other.unionid || other.unionid !== identity.unionid),
    );
  }

  private async attach(
    manager: EntityManager,
    identity: IdentityEntity,
    user: UserEntity,
    onRace: ErrorCode,
  ): Promise<void> {
    const now = this.clock.now();
    try {
      if (!(await this.identityRows.attachIfFree(manager, identity.id, user.id, now)))
        throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError(onRace);
      throw error;
    }
    // A user without a profile takes the provider's one.
    if (!user.nickname && (identity.nickname || identity.avatarUrl)) {
      await this.users.adopt(manager, user.id, { nickname: identity.nickname, avatarUrl: identity.avatarUrl });
      user.nickname = identity.nickname;
      user.avatarUrl = identity.avatarUrl;
    }
  }
}
