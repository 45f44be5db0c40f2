import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Platform } from '../common/enums';
import { maskPhone } from '../common/mask';
import { RequestMeta } from '../common/request-meta';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { IssuedTokens, SessionsService } from '../sessions/sessions.service';
import { AccountLinkingService } from '../users/account-linking.service';
import { parseMobilePhone } from '../users/phone-number';
import { SmsCodesService } from '../users/sms/sms-codes.service';
import { UserEntity } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { AppConfig } from '../config/app-config.service';
import { BindTicketsService } from './bind-tickets.service';
import { CodeExchangesService } from './code-exchanges.service';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { WechatIdentityEntity } from './entities/wechat-identity.entity';
import { IdentitiesService } from './identities.service';
import { LoginStateStore } from './login-state.store';
import { WechatApiClient } from './wechat-api.client';
import { WechatAuthOutcome } from './wechat-authorizer.service';
import { toDomainError, WechatApiError } from './wechat-errors';

export const WECHAT_SCOPE = 'snsapi_userinfo';

export interface DeviceInfo {
  deviceId?: string | null;
  platform?: Platform | null;
}

export interface WechatLoginOutcome {
  identity: WechatIdentityEntity;
  session: { tokens: IssuedTokens; user: UserEntity } | null;
  bindTicket: { ticket: string; expiresAt: Date } | null;
}

// /sns/auth answers that mean "this access token is no good, try the refresh token".
const ACCESS_TOKEN_DEAD = new Set([40001, 40014, 42001]);
const GRANT_DEAD = new Set([40030, 42002, 42007]);

@Injectable()
export class WechatLoginService {
  private readonly regions: string[];

  constructor(
    private readonly database: Database,
    private readonly client: WechatApiClient,
    private readonly states: LoginStateStore,
    private readonly exchanges: CodeExchangesService,
    private readonly identities: IdentitiesService,
    private readonly bindTickets: BindTicketsService,
    private readonly linking: AccountLinkingService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly smsCodes: SmsCodesService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.regions = config.get('allowedPhoneRegions');
  }

  async start(
    appId: string,
    deviceId: string | null,
    userId: string | null,
  ): Promise<{ appId: string; scope: string; state: string; expiresAt: Date }> {
    const purpose = userId ? 'link' : 'login';
    const { state, expiresAt } = await this.states.issue({ appId, deviceId, purpose, userId });
    return { appId, scope: WECHAT_SCOPE, state, expiresAt };
  }

  /** Finishes a login the guard authorized: a session for a bound person, a bind ticket otherwise. */
  async login(outcome: WechatAuthOutcome, device: DeviceInfo, meta: RequestMeta): Promise<WechatLoginOutcome> {
    if (outcome.kind === 'known') return this.answerAgain(outcome.record, device, meta);
    const { auth } = outcome;
    try {
      const result = await this.database.transaction(async (manager) => {
        const identity = await this.identities.upsert(manager, auth.appId, auth.tokens, auth.profile);
        if (!identity.userId) {
          const bindTicket = await this.bindTickets.issue(manager, identity.id, device.deviceId ?? null);
          await this.exchanges.complete(manager, auth.exchangeId, {
            outcome: 'bind',
            identityId: identity.id,
            userId: null,
            sessionId: null,
          });
          return { identity, session: null, bindTicket };
        }
        const user = await this.users.findById(identity.userId, manager);
        if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.UNAUTHENTICATED);
        if (user.status === 'banned') throw new DomainError(ErrorCode.USER_BANNED);
        const loggedIn = await this.users.markLogin(manager, user);
        const tokens = await this.sessions.issue(manager, loggedIn, { method: 'WECHAT', ...device, ...meta });
        await this.exchanges.complete(manager, auth.exchangeId, {
          outcome: 'session',
          identityId: identity.id,
          userId: user.id,
          sessionId: tokens.sessionId,
        });
        await this.audit.record(
          {
            action: 'login.wechat',
            actorUserId: user.id,
            subjectUserId: user.id,
            ip: meta.ip,
            details: { method: 'WECHAT', appId: auth.appId },
          },
          manager,
        );
        return { identity, session: { tokens, user: loggedIn }, bindTicket: null };
      });
      return result;
    } catch (error) {
      if (error instanceof DomainError) {
        await this.exchanges.fail(auth.exchangeId, error.code);
        await this.audit.record({
          action: 'login.failed',
          ip: meta.ip,
          details: { method: 'WECHAT', code: error.code },
        });
      }
      throw error;
    }
  }

  /** bindPhone: the SMS code is checked before anything is said about the phone's account. */
  async bindPhone(
    input: { bindTicket: string; phone: string; smsCode: string } & DeviceInfo,
    meta: RequestMeta,
  ): Promise<{ tokens: IssuedTokens; user: UserEntity }> {
    const phone = parseMobilePhone(input.phone, this.regions);
    const ticket = await this.bindTickets.findLive(input.bindTicket);
    if (!ticket) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
    await this.smsCodes.verify(phone, 'BIND_PHONE', input.smsCode, ticket.ticketHash);
    return this.database.transaction(async (manager) => {
      if (!(await this.bindTickets.consume(manager, ticket.id))) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
      const identity = await this.identities.findById(ticket.identityId, manager);
      if (!identity) throw new DomainError(ErrorCode.BIND_TICKET_INVALID);
      const { user, created } = await this.linking.bindPhone(manager, identity, phone);
      const loggedIn = await this.users.markLogin(manager, user);
      const tokens = await this.sessions.issue(manager, loggedIn, {
        method: 'WECHAT',
        ...this.deviceOf(input),
        ...meta,
      });
      await this.audit.record(
        {
          action: 'wechat.bind',
          actorUserId: user.id,
          subjectUserId: user.id,
          ip: meta.ip,
          details: { appId: identity.appId, phone: maskPhone(phone), newUser: created },
        },
        manager,
      );
      return { tokens, user: loggedIn };
    });
  }

  /** linkWechat: the authorized identity joins the signed-in user. */
  async link(outcome: WechatAuthOutcome, userId: string, meta: RequestMeta): Promise<UserEntity> {
    if (outcome.kind === 'known') {
      const record = outcome.record;
      if (record.status === 'done' && record.outcome === 'link' && record.userId === userId) {
        const user = await this.users.findById(userId);
        if (user) return user;
      }
      throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    }
    const { auth } = outcome;
    try {
      return await this.database.transaction(async (manager) => {
        const identity = await this.identities.upsert(manager, auth.appId, auth.tokens, auth.profile);
        const user = await this.linking.link(manager, identity, userId);
        await this.exchanges.complete(manager, auth.exchangeId, {
          outcome: 'link',
          identityId: identity.id,
          userId,
          sessionId: null,
        });
        await this.audit.record(
          {
            action: 'wechat.link',
            actorUserId: userId,
            subjectUserId: userId,
            ip: meta.ip,
            details: { appId: auth.appId },
          },
          manager,
        );
        return user;
      });
    } catch (error) {
      if (error instanceof DomainError) await this.exchanges.fail(auth.exchangeId, error.code);
      throw error;
    }
  }

  async unlink(userId: string, meta: RequestMeta): Promise<UserEntity> {
    const removed = await this.linking.unlink(userId);
    await this.audit.record({
      action: 'wechat.unlink',
      actorUserId: userId,
      subjectUserId: userId,
      ip: meta.ip,
      details: { identities: removed },
    });
    const user = await this.users.findById(userId);
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return user;
  }

  /**
   * wechatRelogin: checks the session, then the WeChat grant (/sns/auth); an invalid access token is
   * renewed with the refresh token. A dead grant answers REAUTH_REQUIRED, marks the grant, and leaves
   * the session untouched, so the client can start a new authorization and still be signed in.
   */
  async relogin(refreshToken: string, meta: RequestMeta): Promise<{ tokens: IssuedTokens; user: UserEntity }> {
    const userId = await this.sessions.peekUser(refreshToken);
    if (!userId) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const identities = await this.identities.forUser(userId);
    const grants = await this.identities.grantsFor(identities.map((i) => i.id));
    for (const identity of identities) {
      const grant = grants.find((g) => g.identityId === identity.id);
      if (!grant || grant.status !== 'active') throw new DomainError(ErrorCode.REAUTH_REQUIRED);
      await this.checkGrant(identity, grant);
    }
    const result = await this.sessions.refresh(refreshToken, meta);
    await this.audit.record({
      action: 'login.wechat_relogin',
      actorUserId: userId,
      subjectUserId: userId,
      ip: meta.ip,
    });
    return result;
  }

  private async checkGrant(
    identity: WechatIdentityEntity,
    grant: Parameters<IdentitiesService['openGrant']>[0],
  ): Promise<void> {
    const { accessToken, refreshToken } = this.identities.openGrant(grant);
    try {
      await this.client.checkAccessToken(identity.appId, accessToken, identity.openid);
      return;
    } catch (error) {
      if (!(error instanceof WechatApiError)) throw toDomainError(error);
      if (GRANT_DEAD.has(error.errcode)) return this.grantDied(grant.id, error.errcode);
      if (!ACCESS_TOKEN_DEAD.has(error.errcode)) throw toDomainError(error);
    }
    try {
      const renewed = await this.client.refresh(identity.appId, refreshToken);
      await this.database.transaction((manager) => this.identities.storeGrant(manager, identity.id, renewed, false));
    } catch (error) {
      if (error instanceof WechatApiError && GRANT_DEAD.has(error.errcode))
        return this.grantDied(grant.id, error.errcode);
      throw toDomainError(error);
    }
  }

  private async grantDied(grantId: string, errcode: number): Promise<never> {
    await this.identities.markReauthRequired(grantId, errcode);
    throw new DomainError(ErrorCode.REAUTH_REQUIRED, undefined, { wechatErrcode: errcode });
  }

  /** The same code again: the same device gets the same user (one live session); another device is a replay. */
  private async answerAgain(
    record: CodeExchangeEntity,
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<WechatLoginOutcome> {
    const deviceId = device.deviceId ?? null;
    if (record.deviceId !== deviceId) {
      await this.database.transaction(async (manager) => {
        if (record.sessionId) await this.sessions.revokeFamily(manager, record.sessionId, 'code-replay');
        await this.exchanges.markReplayed(manager, record.id);
        await this.audit.record(
          {
            action: 'login.replay',
            subjectUserId: record.userId,
            ip: meta.ip,
            details: { method: 'WECHAT', sessionRevoked: Boolean(record.sessionId) },
          },
          manager,
        );
      });
      throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    }
    if (record.status === 'pending') throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
    if (record.status === 'failed')
      throw new DomainError((record.errorCode as ErrorCode | null) ?? ErrorCode.WECHAT_CODE_INVALID);
    if (record.status !== 'done' || record.expiresAt <= this.clock.now() || !record.identityId) {
      throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    }
    return this.database.transaction(async (manager) => {
      const identity = await this.identities.findById(record.identityId!, manager);
      if (!identity) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
      if (record.outcome === 'bind') {
        if (identity.userId) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
        return { identity, session: null, bindTicket: await this.bindTickets.issue(manager, identity.id, deviceId) };
      }
      const user = record.userId ? await this.users.findById(record.userId, manager) : null;
      if (!user || user.status === 'deleted') throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
      if (user.status === 'banned') throw new DomainError(ErrorCode.USER_BANNED);
      const tokens = record.sessionId ? await this.sessions.reissue(manager, record.sessionId, user) : null;
      if (!tokens) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
      return { identity, session: { tokens, user }, bindTicket: null };
    });
  }

  private deviceOf(input: DeviceInfo): DeviceInfo {
    return { deviceId: input.deviceId ?? null, platform: input.platform ?? null };
  }
}
