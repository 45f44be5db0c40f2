import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { IdentitiesService } from '../identities/identities.service';
import type { IdentityEntity } from '../identities/identity.entity';
import type { IdentityProviderName, VerifiedIdentity } from '../identities/verified-identity';
import { CodeExchangesService } from './code-exchanges.service';
import type { ConnectorStrategy } from './connector.strategy';
import { ConnectorRegistry } from './connector-registry';
import { ConnectorVerification, HttpPair } from './connector-verification.service';
import { CONNECTORS } from './connectors';

/** A fresh proof from a provider: the same inputs as that provider's login (ReauthInput). */
export interface ReauthProof {
  provider: IdentityProviderName;
  code?: string | null;
  state?: string | null;
  accessToken?: string | null;
  identityToken?: string | null;
  authorizationCode?: string | null;
  nonce?: string | null;
  authCode?: string | null;
}

/** A proof the provider accepted, not yet matched to the caller. */
export interface Reauthenticated {
  verified: VerifiedIdentity;
  exchangeId: string | null;
}

/**
 * How long after the person signed in at the provider its proof still counts, for providers that say
 * when (Apple's `auth_time`). The others' freshness is their own: a single-use code of minutes.
 */
export const REAUTH_FRESH_MS = 10 * 60 * 1000;

// Failures that say nothing about the proof: the client may try again (or fix its input).
const PASSING: readonly ErrorCode[] = [
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.PROVIDER_NOT_CONFIGURED,
  ErrorCode.PROVIDER_UNAVAILABLE,
  ErrorCode.WECHAT_UNAVAILABLE,
  ErrorCode.WECHAT_RATE_LIMITED,
  ErrorCode.WECHAT_CONFIG_ERROR,
  ErrorCode.INTERNAL,
];

/**
 * A signed-in user proves again who they are with any provider linked to them (deleteMyAccount).
 * The proof goes through the login's own verification (ConnectorVerification: the code's record,
 * then the connector's Passport strategy): a code is single use, a state must have been issued to
 * this caller (startWechatLogin / startProviderLogin while signed in), and a code seen before is
 * refused. Then the verified identity must be one of the caller's, by the linking's rules.
 */
@Injectable()
export class ConnectorReauthentication {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly verification: ConnectorVerification,
    private readonly exchanges: CodeExchangesService,
    private readonly identities: IdentitiesService,
    private readonly clock: Clock,
  ) {}

  /**
   * The provider's verification of the proof; anything wrong with the proof is REAUTH_PROOF_INVALID.
   * `deviceId` is the caller's session's: a state the app started on that device (or on none) is theirs.
   */
  async verify(
    proof: ReauthProof,
    caller: { userId: string; deviceId: string | null },
    http: HttpPair,
  ): Promise<Reauthenticated> {
    const connector = this.connectorFor(proof);
    const { userId, deviceId } = caller;
    let authorized;
    try {
      const input = { ...inputOf(proof), deviceId };
      authorized = await this.verification.authorize(connector, input, { kind: 'link', userId }, http);
    } catch (error) {
      if (error instanceof DomainError && PASSING.includes(error.code)) throw error;
      throw new DomainError(ErrorCode.REAUTH_PROOF_INVALID);
    }
    // A proof is single use: a code seen before (by a login, a link or a reauthentication) proves nothing now.
    if (authorized.kind === 'known') throw new DomainError(ErrorCode.REAUTH_PROOF_INVALID);
    const reauthenticated = { verified: authorized.answer.verified, exchangeId: authorized.exchangeId };
    const at = reauthenticated.verified.authenticatedAt;
    if (at && this.clock.nowMs() - at.getTime() > REAUTH_FRESH_MS) {
      const stale = new DomainError(ErrorCode.REAUTH_PROOF_INVALID);
      await this.settleFailed(reauthenticated, stale);
      throw stale;
    }
    return reauthenticated;
  }

  /**
   * In the caller's transaction: the caller's identity the proof is for (the same provider, app and
   * subject; or, in another app of the provider, the same unionid), and the code's record settled.
   * Someone else's proof answers REAUTH_PROOF_INVALID (the caller settles the record: settleFailed).
   */
  async confirm(manager: EntityManager, proof: Reauthenticated, userId: string): Promise<IdentityEntity> {
    const { verified } = proof;
    const own = await this.identities.forUser(userId, manager);
    const exact = own.find(
      (i) => i.provider === verified.provider && i.appId === verified.appId && i.subject === verified.subject,
    );
    const sameUnion = own.find(
      (i) => i.provider === verified.provider && verified.unionid !== null && i.unionid === verified.unionid,
    );
    const identity = exact ?? sameUnion;
    if (!identity) throw new DomainError(ErrorCode.REAUTH_PROOF_INVALID);
    if (proof.exchangeId) {
      await this.exchanges.complete(manager, proof.exchangeId, {
        outcome: 'reauth',
        identityId: identity.id,
        userId,
        sessionId: null,
      });
    }
    return identity;
  }

  /** After the work that used the proof failed (its transaction rolled back): the code never stays pending. */
  async settleFailed(proof: Reauthenticated, error: unknown): Promise<void> {
    if (!proof.exchangeId) return;
    const code = error instanceof DomainError ? error.code : ErrorCode.INTERNAL;
    await this.exchanges.fail(proof.exchangeId, code, null).catch(() => undefined);
  }

  /** The provider's login connector; WeChat without a state is the mini program's `wx.login` code. */
  private connectorFor(proof: ReauthProof): ConnectorStrategy {
    const ids = CONNECTORS.filter((c) => 'provider' in c && c.provider === proof.provider).map((c) => c.id);
    const id = proof.provider === 'wechat' && !proof.state ? ids.find((i) => i !== 'wechat') : ids[0];
    if (!id) throw DomainError.badInput('reauth', `no login of ${proof.provider} takes this proof`);
    return this.registry.connectorOf(id);
  }
}

/** The login input of the proof's provider, as its connector reads it. */
function inputOf(proof: ReauthProof): Record<string, string | null | undefined> {
  switch (proof.provider) {
    case 'wechat':
      return { code: proof.code, state: proof.state };
    case 'qq':
      return { accessToken: proof.accessToken, code: proof.code, state: proof.state };
    case 'apple':
      return { identityToken: proof.identityToken, authorizationCode: proof.authorizationCode, nonce: proof.nonce };
    case 'huawei':
      return { authorizationCode: proof.authorizationCode };
    case 'alipay':
      return { authCode: proof.authCode };
  }
}
