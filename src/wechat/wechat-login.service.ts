import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { RequestMeta } from '../common/request-meta';
import { TokenCipher } from '../common/token-cipher';
import type { WechatAppCredentials, WechatChannelName } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { allowedRedirectUri } from '../config/redirect-uris';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AccountLinkingService, DeviceInfo, SignInOutcome } from '../identities/account-linking.service';
import { BindTicketsService } from '../identities/bind-tickets.service';
import { IdentitiesService } from '../identities/identities.service';
import { SessionsService } from '../sessions/sessions.service';
import type { UserEntity } from '../users/user.entity';
import { STRATEGY_OF } from './channels';
import { authenticateWith, ChannelAuthResult, ProfileFetchFailed } from './channels/wechat-channel.strategy';
import { CodeExchangesService } from './code-exchanges.service';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateStore } from './login-state.store';
import { WechatApiClient, WechatTokens } from './wechat-api.client';
import { toDomainError } from './wechat-errors';
import { WechatGrantsService } from './wechat-grants.service';

export const SCOPE_OF: Record<WechatChannelName, string> = {
  app: 'snsapi_userinfo',
  official_account: 'snsapi_userinfo',
  website: 'snsapi_login',
  mini_program: '',
};

const AUTHORIZE_PAGE: Partial<Record<WechatChannelName, string>> = {
  official_account: '/connect/oauth2/authorize',
  website: '/connect/qrconnect',
};

const MAX_CODE_LENGTH = 256;
// Errors after which the same device may try the same code again (WeChat may not have used it).
const RETRYABLE = new Set<string>([ErrorCode.WECHAT_UNAVAILABLE, ErrorCode.WECHAT_RATE_LIMITED]);

export interface CodeInput extends DeviceInfo {
  code: string;
  state?: string | null;
  appId?: string | null;
}

/** Who is asking: a login, or a signed-in user linking WeChat. */
type Purpose = { kind: 'login' } | { kind: 'link'; userId: string };

/** A fresh verification of a code, or the record of the code's first use. */
type Authorized =
  | { kind: 'fresh'; exchangeId: string; app: WechatAppCredentials; auth: ChannelAuthResult }
  | { kind: 'known'; record: CodeExchangeEntity };

export interface StartedLogin {
  appId: string;
  scope: string;
  state: string;
  expiresAt: Date;
  authorizeUrl: string | null;
}

/**
 * Log in with WeChat on every channel. Each code goes: idempotency record (CodeExchangesService) →
 * the channel's Passport strategy (WeChat's calls) → the one account-linking path, with the grant and
 * the code's outcome stored in the same transaction. A code is never left `pending` after its request.
 */
@Injectable()
export class WechatLoginService {
  private readonly openBase: string;
  private readonly settleWaitMs: number;
  /** Called for each snapshot-page visitor refused, for metrics (nothing else is written for them). */
  onSnapshotVisitor?: () => void;

  constructor(
    private readonly database: Database,
    private readonly client: WechatApiClient,
    private readonly states: LoginStateStore,
    private readonly exchanges: CodeExchangesService,
    private readonly grants: WechatGrantsService,
    private readonly linking: AccountLinkingService,
    private readonly identities: IdentitiesService,
    private readonly bindTickets: BindTicketsService,
    private readonly sessions: SessionsService,
    private readonly cipher: TokenCipher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    const wechat = config.get('wechat');
    this.openBase = wechat.openBase;
    // Long enough for the request holding a code to finish its WeChat calls and transaction.
    this.settleWaitMs = wechat.budgetMs * 2 + 2000;
  }

  /** startWechatLogin: a one-time state for a code channel's app; web channels also get WeChat's page. */
  async start(
    request: {
      channel: WechatChannelName;
      appId?: string | null;
      redirectUri?: string | null;
      deviceId?: string | null;
    },
    userId: string | null,
  ): Promise<StartedLogin> {
    const app = this.appFor(request.channel, request.appId);
    if (app.channel === 'mini_program') {
      throw DomainError.badInput('channel', 'mini programs log in with wechatMiniProgramLogin');
    }
    const page = AUTHORIZE_PAGE[app.channel];
    let redirectUri: string | null = null;
    if (page) {
      if (!request.redirectUri) throw DomainError.badInput('redirectUri', `required for the ${app.channel} channel`);
      redirectUri = allowedRedirectUri(request.redirectUri, app.redirectUris);
      if (!redirectUri) throw new DomainError(ErrorCode.REDIRECT_URI_NOT_ALLOWED);
      // The redirect URL (code and state) ends up in history, logs and Referer: the state is bound to the
      // browser that started, which proves it by sending the same deviceId with the code.
      if (!request.deviceId?.trim()) {
        throw DomainError.badInput(
          'deviceId',
          `required for the ${app.channel} channel: keep it and send it with wechatLogin`,
        );
      }
    }
    const { state, expiresAt } = await this.states.issue({
      appId: app.appId,
      deviceId: request.deviceId ?? null,
      purpose: userId ? 'link' : 'login',
      userId,
    });
    const scope = SCOPE_OF[app.channel];
    const authorizeUrl = page
      ? `${this.openBase}${page}?${new URLSearchParams({
          appid: app.appId,
          redirect_uri: redirectUri!,
          response_type: 'code',
          scope,
          state,
        }).toString()}#wechat_redirect`
      : null;
    return { appId: app.appId, scope, state, expiresAt, authorizeUrl };
  }

  /** wechatLogin: finishes every OAuth code channel; the state says which app. */
  async login(input: CodeInput, req: Request, res: Response, meta: RequestMeta): Promise<SignInOutcome> {
    const authorized = await this.authorize(input, { kind: 'login' }, req, res, meta);
    if (authorized.kind === 'known') return this.answerAgain(authorized.record, input, meta);
    return this.finish(authorized, meta, (manager) =>
      this.linking.signIn(manager, authorized.auth.verified, input, meta),
    );
  }

  /** wechatMiniProgramLogin: a js code from wx.login(); a code seen before is refused. */
  async miniProgramLogin(
    input: { code: string; appId?: string | null; deviceId?: string | null },
    req: Request,
    res: Response,
    meta: RequestMeta,
  ): Promise<SignInOutcome> {
    checkCode(input.code);
    const app = this.appFor('mini_program', input.appId);
    const claim = await this.exchanges.claim(this.exchanges.hash(input.code), null, {
      appId: app.appId,
      deviceId: input.deviceId ?? null,
      purpose: 'login',
      userId: null,
      stateless: true,
    });
    if (claim.kind !== 'claimed') return this.refuse(new DomainError(ErrorCode.WECHAT_CODE_INVALID), 'login', meta);
    const auth = await this.verify(claim.id, app, input.code, null, req, res, 'login', meta);
    return this.finish({ kind: 'fresh', exchangeId: claim.id, app, auth }, meta, (manager) =>
      this.linking.signIn(manager, auth.verified, { deviceId: input.deviceId, platform: null }, meta),
    );
  }

  /** linkWechat: the verified identity joins the signed-in user. */
  async link(input: CodeInput, userId: string, req: Request, res: Response, meta: RequestMeta): Promise<UserEntity> {
    const authorized = await this.authorize(input, { kind: 'link', userId }, req, res, meta);
    if (authorized.kind === 'known') {
      const record = authorized.record;
      if (record.status === 'done' && record.outcome === 'link' && record.userId === userId) {
        const user = await this.linking.userOf(userId);
        if (user) return user;
      }
      throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    }
    const outcome = await this.finish(authorized, meta, async (manager) => {
      const { user, identity } = await this.linking.link(manager, authorized.auth.verified, userId, meta);
      return { identity, session: null, bindTicket: null, linkedUser: user };
    });
    return outcome.linkedUser!;
  }

  /** unlinkWechat: every WeChat identity of the user goes, unless it is their only way in. */
  async unlink(userId: string, meta: RequestMeta): Promise<UserEntity> {
    await this.linking.unlink(userId, 'wechat', null, meta);
    const user = await this.linking.userOf(userId);
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return user;
  }

  private appFor(channel: WechatChannelName, appId: string | null | undefined): WechatAppCredentials {
    if (appId) {
      const app = this.client.app(appId);
      if (!app) throw DomainError.badInput('appId', 'not a configured WeChat app');
      return app;
    }
    const app = this.client.firstAppOf(channel);
    if (!app) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED, `No WeChat ${channel} app is configured.`);
    return app;
  }

  /**
   * The idempotency check, then the claim (code + state in one transaction), then the channel's
   * strategy. A code seen before is never sent to WeChat again, except to retry an exchange that
   * failed for a passing reason, from the same device.
   */
  private async authorize(
    input: CodeInput,
    purpose: Purpose,
    req: Request,
    res: Response,
    meta: RequestMeta,
  ): Promise<Authorized> {
    const action = purpose.kind;
    checkCode(input.code);
    if (input.state && input.state.length > 1024)
      return this.refuse(new DomainError(ErrorCode.STATE_INVALID), action, meta);
    // The app: the caller's if named, else the one the state was issued for (read by the claim).
    const named = input.appId ? this.client.app(input.appId) : null;
    if (input.appId && !named) throw DomainError.badInput('appId', 'not a configured WeChat app');
    const codeHash = this.exchanges.hash(input.code);
    const claimed = await this.exchanges.claim(codeHash, input.state, {
      appId: named?.appId ?? (input.state ? null : this.appFor('app', null).appId),
      deviceId: input.deviceId ?? null,
      purpose: purpose.kind,
      userId: purpose.kind === 'link' ? purpose.userId : null,
    });
    if (claimed.kind === 'state-invalid') return this.refuse(new DomainError(ErrorCode.STATE_INVALID), action, meta);
    if (claimed.kind === 'claimed') {
      const app = this.client.app(claimed.appId);
      if (!app) throw DomainError.badInput('appId', 'not a configured WeChat app');
      const auth = await this.verify(claimed.id, app, input.code, null, req, res, action, meta);
      return { kind: 'fresh', exchangeId: claimed.id, app, auth };
    }

    // Seen before. Another request may hold this code right now: wait for its outcome and answer like it.
    let seen: CodeExchangeEntity | null = claimed.record;
    if (seen.status === 'pending') seen = await this.exchanges.settled(seen.appId, codeHash, this.settleWaitMs);
    if (!seen) throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
    const retry =
      seen.status === 'failed' && RETRYABLE.has(seen.errorCode ?? '') && sameDevice(seen.deviceId, input.deviceId);
    if (!retry || !(await this.exchanges.reclaimFailed(seen))) return { kind: 'known', record: seen };
    const app = this.client.app(seen.appId);
    if (!app) throw DomainError.badInput('appId', 'not a configured WeChat app');
    const auth = await this.verify(seen.id, app, input.code, this.openResult(seen), req, res, action, meta);
    return { kind: 'fresh', exchangeId: seen.id, app, auth };
  }

  /** Runs the channel's strategy; a failure settles the code record (with the tokens when they exist). */
  private async verify(
    exchangeId: string,
    app: WechatAppCredentials,
    code: string,
    exchanged: WechatTokens | null,
    req: Request,
    res: Response,
    action: 'login' | 'link',
    meta: RequestMeta,
  ): Promise<ChannelAuthResult> {
    try {
      return await authenticateWith(STRATEGY_OF[app.channel], req, res, { app, code, exchanged });
    } catch (error) {
      const kept = error instanceof ProfileFetchFailed ? error.tokens : null;
      const mapped = safeDomainError(error instanceof ProfileFetchFailed ? error.cause : error);
      await this.exchanges.fail(exchangeId, mapped.code, kept ? this.sealResult(exchangeId, kept) : null);
      return this.refuse(mapped, action, meta);
    }
  }

  /**
   * The one transaction after WeChat said yes: the account-linking decision, the grant, and the code's
   * outcome. Any failure marks the code failed: it never stays pending after its request.
   */
  private async finish(
    authorized: Extract<Authorized, { kind: 'fresh' }>,
    meta: RequestMeta,
    decide: (manager: EntityManager) => Promise<SignInOutcome & { linkedUser?: UserEntity }>,
  ): Promise<SignInOutcome & { linkedUser?: UserEntity }> {
    const { exchangeId, app, auth } = authorized;
    try {
      return await this.database.transaction(async (manager) => {
        const outcome = await decide(manager);
        if (auth.grant) {
          await this.grants.storeGrant(
            manager,
            outcome.identity.id,
            auth.grant,
            true,
            app.channel === 'website' ? 'off' : 'auto',
            outcome.grant,
          );
        }
        await this.exchanges.complete(manager, exchangeId, {
          outcome: outcome.linkedUser ? 'link' : outcome.session ? 'session' : 'bind',
          identityId: outcome.identity.id,
          userId: outcome.linkedUser?.id ?? outcome.session?.user.id ?? null,
          sessionId: outcome.session?.tokens.sessionId ?? null,
        });
        return outcome;
      });
    } catch (error) {
      const mapped = error instanceof DomainError ? error : new DomainError(ErrorCode.INTERNAL);
      await this.exchanges.fail(exchangeId, mapped.code, null).catch(() => undefined);
      if (error instanceof DomainError) await this.recordFailure(error, 'login', meta);
      throw error;
    }
  }

  /**
   * The same code again: the same device gets the same answer (one live session). Without a device on
   * both sides nothing tells a retry from a replay of a leaked redirect URL, so that gets nothing; a
   * code from another device is stolen, and the session it made ends.
   */
  private async answerAgain(record: CodeExchangeEntity, device: DeviceInfo, meta: RequestMeta): Promise<SignInOutcome> {
    const deviceId = device.deviceId ?? null;
    if (!sameDevice(record.deviceId, deviceId)) {
      const stolen = record.deviceId !== null && record.deviceId !== deviceId;
      await this.database.transaction(async (manager) => {
        if (stolen && record.sessionId) await this.sessions.revokeFamily(manager, record.sessionId, 'code-replay');
        await this.exchanges.markReplayed(manager, record.id);
        await this.audit.record(
          {
            action: 'login.replay',
            subjectUserId: record.userId,
            ip: meta.ip,
            details: { method: 'WECHAT', sessionRevoked: stolen && Boolean(record.sessionId) },
          },
          manager,
        );
      });
      throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
    }
    if (record.status === 'pending') throw new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
    if (record.status === 'failed') {
      throw new DomainError((record.errorCode as ErrorCode | null) ?? ErrorCode.WECHAT_CODE_INVALID);
    }
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
      const session =
        record.userId && record.sessionId
          ? await this.linking.resumeSession(manager, record.userId, record.sessionId)
          : null;
      if (!session) throw new DomainError(ErrorCode.WECHAT_CODE_INVALID);
      return { identity, session, bindTicket: null };
    });
  }

  private async refuse(error: DomainError, action: 'login' | 'link', meta: RequestMeta): Promise<never> {
    if (error.code === ErrorCode.WECHAT_SNAPSHOT_USER) this.onSnapshotVisitor?.();
    else await this.recordFailure(error, action, meta);
    throw error;
  }

  private async recordFailure(error: DomainError, action: 'login' | 'link', meta: RequestMeta): Promise<void> {
    await this.audit.record({
      action: action === 'login' ? 'login.failed' : 'wechat.link_failed',
      ip: meta.ip,
      details: {
        method: 'WECHAT',
        code: error.code,
        ...(error.details.wechatErrcode !== undefined ? { wechatErrcode: error.details.wechatErrcode } : {}),
      },
    });
  }

  private sealResult(exchangeId: string, tokens: WechatTokens): { resultEnc: string; resultKeyId: string } {
    return {
      resultEnc: this.cipher.encrypt(JSON.stringify(tokens), `${exchangeId}:result`),
      resultKeyId: this.cipher.keyId,
    };
  }

  private openResult(record: CodeExchangeEntity): WechatTokens | null {
    if (!record.resultEnc || !record.resultKeyId) return null;
    return JSON.parse(this.cipher.decrypt(record.resultEnc, record.resultKeyId, `${record.id}:result`)) as WechatTokens;
  }
}

/** Only a device the caller named is "the same": null never equals null here. */
function sameDevice(recorded: string | null, given: string | null | undefined): boolean {
  return recorded !== null && recorded === (given ?? null);
}

function checkCode(code: unknown): void {
  if (typeof code !== 'string' || code.trim() === '' || code.length > MAX_CODE_LENGTH) {
    throw DomainError.badInput('code', 'not a WeChat authorization code');
  }
}

/** A strategy failure as the caller sees it; anything unknown stays an internal error. */
function safeDomainError(error: unknown): DomainError {
  try {
    return toDomainError(error);
  } catch {
    return new DomainError(ErrorCode.INTERNAL);
  }
}
