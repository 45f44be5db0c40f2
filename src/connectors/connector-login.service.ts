import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { RequestMeta } from '../common/request-meta';
import { allowedRedirectUri } from '../config/redirect-uris';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { AccountLinkingService, DeviceInfo, SignInOutcome } from '../identities/account-linking.service';
import { BindTicketsService } from '../identities/bind-tickets.service';
import { IdentitiesService } from '../identities/identities.service';
import { IdentityProviderName, loginMethodOf } from '../identities/verified-identity';
import { SessionsService } from '../sessions/sessions.service';
import type { UserEntity } from '../users/user.entity';
import { CodeExchangesService } from './code-exchanges.service';
import { ConnectorStrategy } from './connector.strategy';
import { Authorized, CodeRequest, ConnectorVerification, HttpPair, sameDevice } from './connector-verification.service';
import { ConnectorRegistry } from './connector-registry';
import { CodeExchangeEntity } from './entities/code-exchange.entity';
import { LoginStateStore } from './login-state.store';

export interface StartedLogin {
  appId: string;
  state: string;
  expiresAt: Date;
  authorizeUrl: string | null;
}

type Outcome = SignInOutcome & { linkedUser?: UserEntity };

/**
 * Log in (or link) with any connector: the code's record and the connector's verification
 * (ConnectorVerification), then the one account-linking transaction, with the grant and the code's
 * outcome stored in it. Every `*Login` and `link*` mutation is a thin entry into this service.
 */
@Injectable()
export class ConnectorLoginService {
  /** Called for each snapshot-page visitor refused, for metrics (nothing else is written for them). */
  onSnapshotVisitor?: () => void;

  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly database: Database,
    private readonly states: LoginStateStore,
    private readonly verification: ConnectorVerification,
    private readonly exchanges: CodeExchangesService,
    private readonly linking: AccountLinkingService,
    private readonly identities: IdentitiesService,
    private readonly bindTickets: BindTicketsService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** A one-time state for a configured app; web redirect apps also get the provider's page. */
  async start(
    id: string,
    request: { appId: string; redirectUri?: string | null; deviceId?: string | null },
    userId: string | null,
  ): Promise<StartedLogin> {
    const connector = this.registry.connectorOf(id);
    const { appId } = request;
    const allowed = connector.redirectUrisOf?.(appId) ?? null;
    let redirectUri: string | null = null;
    if (allowed) {
      if (!request.redirectUri) throw DomainError.badInput('redirectUri', 'required for a web login');
      redirectUri = allowedRedirectUri(request.redirectUri, allowed);
      if (!redirectUri) throw new DomainError(ErrorCode.REDIRECT_URI_NOT_ALLOWED);
      // The redirect URL (code and state) ends up in history, logs and Referer: the state is bound to the
      // browser that started, which proves it by sending the same deviceId with the code.
      if (!request.deviceId?.trim()) {
        throw DomainError.badInput('deviceId', 'required for a web login: keep it and send it with the code');
      }
    }
    const { state, expiresAt } = await this.states.issue({
      appId,
      deviceId: request.deviceId ?? null,
      purpose: userId ? 'link' : 'login',
      userId,
    });
    const authorizeUrl = redirectUri ? connector.authorizeUrl!(appId, redirectUri, state) : null;
    return { appId, state, expiresAt, authorizeUrl };
  }

  async login(id: string, input: CodeRequest & DeviceInfo, http: HttpPair, meta: RequestMeta): Promise<SignInOutcome> {
    const connector = this.registry.connectorOf(id);
    return this.recorded(connector, 'login', meta, async () => {
      const authorized = await this.verification.authorize(connector, input, { kind: 'login' }, http);
      if (authorized.kind === 'known') return this.answerAgain(connector, authorized.record, input, meta);
      return this.finish(connector, authorized, (manager) =>
        this.linking.signIn(manager, authorized.answer.verified, input, meta),
      );
    });
  }

  /** The verified identity joins the signed-in user. */
  async link(id: string, input: CodeRequest, userId: string, http: HttpPair, meta: RequestMeta): Promise<UserEntity> {
    const connector = this.registry.connectorOf(id);
    return this.recorded(connector, 'link', meta, async () => {
      const authorized = await this.verification.authorize(connector, input, { kind: 'link', userId }, http);
      if (authorized.kind === 'known') {
        const record = authorized.record;
        if (record.status === 'done' && record.outcome === 'link' && record.userId === userId) {
          const user = await this.linking.userOf(userId);
          if (user) return user;
        }
        throw new DomainError(connector.errors.codeInvalid);
      }
      const outcome = await this.finish(connector, authorized, async (manager) => {
        // A phone a provider vouches for proves nothing about the signed-in user's own number.
        const verified = { ...authorized.answer.verified, verifiedPhone: null };
        const { user, identity } = await this.linking.link(manager, verified, userId, meta);
        return { identity, session: null, bindTicket: null, linkedUser: user };
      });
      return outcome.linkedUser!;
    });
  }

  /** Every identity of the provider leaves the user, unless it is their only way in. */
  async unlink(provider: IdentityProviderName, userId: string, meta: RequestMeta): Promise<UserEntity> {
    await this.linking.unlink(userId, provider, null, meta);
    const user = await this.linking.userOf(userId);
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    return user;
  }

  /**
   * The one transaction after the provider said yes: the account-linking decision, the grant, and the
   * code's outcome. Any failure marks the code failed: it never stays pending after its request.
   */
  private async finish(
    connector: ConnectorStrategy,
    { exchangeId, answer }: Extract<Authorized, { kind: 'fresh' }>,
    decide: (manager: EntityManager) => Promise<Outcome>,
  ): Promise<Outcome> {
    try {
      return await this.database.transaction(async (manager) => {
        const outcome = await decide(manager);
        if (answer.grant) await connector.keepGrant(manager, outcome.identity.id, answer, outcome.grant ?? null);
        if (exchangeId) {
          await this.exchanges.complete(manager, exchangeId, {
            outcome: outcome.linkedUser ? 'link' : outcome.session ? 'session' : 'bind',
            identityId: outcome.identity.id,
            userId: outcome.linkedUser?.id ?? outcome.session?.user.id ?? null,
            sessionId: outcome.session?.tokens.sessionId ?? null,
          });
        }
        return outcome;
      });
    } catch (error) {
      const code = error instanceof DomainError ? error.code : ErrorCode.INTERNAL;
      if (exchangeId) await this.exchanges.fail(exchangeId, code, null).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The same code again: the same device gets the same answer (one live session). Without a device on
   * both sides nothing tells a retry from a replay of a leaked redirect URL, so that gets nothing; a
   * code from another device is stolen, and the session it made ends.
   */
  private async answerAgain(
    connector: ConnectorStrategy,
    record: CodeExchangeEntity,
    device: DeviceInfo,
    meta: RequestMeta,
  ): Promise<SignInOutcome> {
    const deviceId = device.deviceId ?? null;
    const invalid = () => new DomainError(connector.errors.codeInvalid);
    if (!sameDevice(record.deviceId, deviceId)) {
      const stolen = record.deviceId !== null && record.deviceId !== deviceId;
      await this.database.transaction(async (manager) => {
        if (stolen && record.sessionId && record.userId) {
          const session = { userId: record.userId, familyId: record.sessionId };
          await this.sessions.revokeFamily(manager, session, 'code-replay');
        }
        await this.exchanges.markReplayed(manager, record.id);
        await this.audit.record(
          {
            action: 'login.replay',
            subjectUserId: record.userId,
            ip: meta.ip,
            details: { method: loginMethodOf(connector.provider), sessionRevoked: stolen && Boolean(record.sessionId) },
          },
          manager,
        );
      });
      throw invalid();
    }
    if (record.status === 'pending') throw new DomainError(connector.errors.unavailable);
    if (record.status === 'failed')
      throw new DomainError((record.errorCode as ErrorCode | null) ?? connector.errors.codeInvalid);
    if (record.status !== 'done' || record.expiresAt <= this.clock.now() || !record.identityId) throw invalid();
    return this.database.transaction(async (manager) => {
      const identity = await this.identities.findById(record.identityId!, manager);
      if (!identity) throw invalid();
      if (record.outcome === 'bind') {
        if (identity.userId) throw invalid();
        return { identity, session: null, bindTicket: await this.bindTickets.issue(manager, identity.id, deviceId) };
      }
      const session =
        record.userId && record.sessionId
          ? await this.linking.resumeSession(manager, record.userId, record.sessionId)
          : null;
      if (!session) throw invalid();
      return { identity, session, bindTicket: null };
    });
  }

  /** Each refusal is audited once: 'login.failed' (the login stats) or '<provider>.link_failed'. */
  private async recorded<T>(
    connector: ConnectorStrategy,
    action: 'login' | 'link',
    meta: RequestMeta,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const method = loginMethodOf(connector.provider);
      const errcode = error.details.wechatErrcode;
      const details = errcode !== undefined ? { wechatErrcode: errcode } : {};
      if (error.code === ErrorCode.WECHAT_SNAPSHOT_USER) this.onSnapshotVisitor?.();
      else if (action === 'login') await this.audit.recordLoginFailure(error, method, meta, details);
      else {
        await this.audit
          .record({
            action: `${connector.provider}.link_failed`,
            ip: meta.ip,
            details: { method, code: error.code, ...details },
          })
          .catch(() => undefined);
      }
      throw error;
    }
  }
}
