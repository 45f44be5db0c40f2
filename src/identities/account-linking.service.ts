import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { RequestMeta } from '../common/request-meta';
import { AppConfig } from '../config/app-config.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { assertMaySignIn } from '../users/sign-in-policy';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { BindTicketsService } from './bind-tickets.service';
import { GrantRef, IdentitiesService } from './identities.service';
import { IdentityConflictEntity } from './identity-conflict.entity';
import { IdentityEntity } from './identity.entity';
import { IdentityOwnershipService } from './identity-ownership.service';
import { IdentityUnlinkingService } from './identity-unlinking.service';
import { PersonFoldingService } from './person-folding.service';
import { PhoneOwnersService } from './phone-owners.service';
import { DeviceInfo, SignedIn, SignInService } from './sign-in.service';
import { IdentityProviderName, loginMethodOf, VerifiedIdentity } from './verified-identity';

export type { DeviceInfo, SignedIn } from './sign-in.service';

export type BindTicket = { ticket: string; expiresAt: Date };

export interface SignInOutcome {
  identity: IdentityEntity;
  session: SignedIn | null;
  bindTicket: { ticket: string; expiresAt: Date } | null;
  /** The identity's WeChat grant as read at sign-in (refreshed in place by the caller). */
  grant?: GrantRef | null;
}

/**
 * The one account-linking path: every provider and channel hands over a verified identity, and this
 * service alone decides whom it belongs to and whether that means a session (through the one sign-in
 * core) or a bind ticket. Everything runs inside the caller's transaction; unique keys settle races.
 */
@Injectable()
export class AccountLinkingService {
  private readonly requirePhone: boolean;

  constructor(
    private readonly identities: IdentitiesService,
    private readonly bindTickets: BindTicketsService,
    private readonly users: UsersService,
    private readonly signInCore: SignInService,
    private readonly folding: PersonFoldingService,
    private readonly phoneOwners: PhoneOwnersService,
    private readonly ownership: IdentityOwnershipService,
    private readonly unlinking: IdentityUnlinkingService,
    private readonly audit: AuditService,
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
    const { identity, owner, grant, boundNow, bindTicket } = await this.settle(manager, verified, device, meta);
    if (!identity.userId) return { identity, session: null, bindTicket, grant };
    const login = {
      method: loginMethodOf(identity.provider),
      device,
      meta,
      audit: boundNow ? null : { action: `login.${verified.provider}`, details: this.loginDetails(identity) },
    };
    // The user read with the identity serves when the linking rules left the identity with it.
    const session =
      owner && owner.id === identity.userId
        ? await this.signInCore.signInUser(manager, owner, login)
        : await this.signInCore.signInUserId(manager, identity.userId, login);
    return { identity, session, bindTicket: null, grant };
  }

  /**
   * The same rules as `signIn`, without a session: whose the verified identity is (a user the sign-in
   * policy lets in; a new user at once when REQUIRE_PHONE=false), or a bind ticket for a new person.
   * For callers that hand the session out later through the sign-in core (follow login).
   */
  async resolve(
    manager: EntityManager,
    verified: VerifiedIdentity,
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<
    { identity: IdentityEntity } & ({ userId: string; bindTicket: null } | { userId: null; bindTicket: BindTicket })
  > {
    const { identity, owner, bindTicket } = await this.settle(manager, verified, device, meta);
    if (!identity.userId) return { identity, userId: null, bindTicket: bindTicket! };
    const user = owner && owner.id === identity.userId ? owner : await this.users.findById(identity.userId, manager);
    assertMaySignIn(user);
    return { identity, userId: user.id, bindTicket: null };
  }

  /** The identity upserted and its person settled; a bind ticket when it has no user (and may not get one yet). */
  private async settle(manager: EntityManager, verified: VerifiedIdentity, device: DeviceInfo, meta: RequestMeta) {
    const { owner, otherHolder, grant, ...read } = await this.identities.upsert(manager, verified);
    let identity: IdentityEntity = read;
    identity = await this.folding.settlePerson(manager, identity, verified.unionid, meta, otherHolder);
    // A first login that binds the provider's verified phone at once is audited as '<provider>.bind'
    // alone, like one finished by bindPhone: one login, one event (stats and metrics count it once).
    let boundNow = false;
    if (!identity.userId && verified.verifiedPhone) {
      const user = await this.phoneOwners.joinIfUnheld(manager, identity, verified.verifiedPhone, meta);
      if (user) {
        identity = { ...identity, userId: user.id };
        boundNow = true;
      }
    }
    if (!identity.userId && !this.requirePhone) {
      const user = await this.users.createWithoutPhone(manager);
      await this.ownership.attach(manager, identity, user, ErrorCode.WECHAT_ALREADY_BOUND);
      identity = { ...identity, userId: user.id };
    }
    const bindTicket = identity.userId
      ? null
      : await this.bindTickets.issue(manager, identity.id, device.deviceId ?? null);
    return { identity, owner, grant, boundNow, bindTicket };
  }

  /** The user, for callers that only hold an id (a code's record, a signed-in caller). */
  userOf(userId: string): Promise<UserEntity | null> {
    return this.users.findById(userId);
  }

  /** The same session family again (a repeated, idempotent login); null when the user or the session is gone. */
  resumeSession(manager: EntityManager, userId: string, sessionId: string): Promise<SignedIn | null> {
    return this.signInCore.resume(manager, userId, sessionId);
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
    identity = await this.folding.settlePerson(manager, identity, verified.unionid, meta, otherHolder);
    if (identity.userId === userId) return { user, identity };
    if (identity.userId) throw new DomainError(ErrorCode.WECHAT_ALREADY_BOUND);
    if (await this.ownership.belongsToAnotherPerson(manager, user.id, identity)) {
      throw new DomainError(
        ErrorCode.WECHAT_ALREADY_BOUND,
        'Your account is already linked to another account of this provider.',
      );
    }
    await this.ownership.attach(manager, identity, user, ErrorCode.WECHAT_ALREADY_BOUND);
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
  unlink(
    userId: string,
    provider: IdentityProviderName,
    appId: string | null,
    meta: RequestMeta,
  ): Promise<IdentityEntity[]> {
    return this.unlinking.unlink({ userId, provider, appId, meta, adminId: null });
  }

  /** An admin removes every identity a user has at a provider (audited as `admin.unlink_<provider>`). */
  unlinkByAdmin(
    userId: string,
    provider: IdentityProviderName,
    adminId: string,
    meta: RequestMeta,
  ): Promise<IdentityEntity[]> {
    return this.unlinking.unlink({ userId, provider, appId: null, meta, adminId });
  }

  listConflicts(first: number, after: string | null, resolved: boolean): Promise<IdentityConflictEntity[]> {
    return this.folding.listConflicts(first, after, resolved);
  }

  /** An admin keeps one user of a conflict; the other is folded into it. */
  resolveConflict(id: string, keepUserId: string, adminId: string, meta: RequestMeta): Promise<string> {
    return this.folding.resolveConflict(id, keepUserId, adminId, meta);
  }

  private loginDetails(identity: IdentityEntity): Record<string, unknown> {
    return { method: loginMethodOf(identity.provider), appId: identity.appId, channel: identity.channel };
  }
}
