import { Injectable, Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { createHash } from 'node:crypto';
import { isClientToken } from '../../common/client-token';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config.service';
import type { AppleSettings } from '../../config/providers-config';
import { DomainError } from '../../errors/domain-error';
import { ErrorCode } from '../../errors/error-code';
import { IdTokenVerifier } from '../id-token-verifier';
import { alreadySent, ProviderCalls, str } from '../provider-calls';
import { ProviderRejectedError, ProviderUnavailableError } from '../provider-errors';

export const APPLE_AUDIENCE = 'https://appleid.apple.com';
export const APPLE_FAKE_PATH = '/sandbox/apple';
const CLIENT_SECRET_TTL_SECONDS = 300;

export interface AppleIdentity {
  /** The bundle id the token was issued to (its `aud`). */
  bundleId: string;
  /** Apple's stable user id for our team. */
  sub: string;
  email: string | null;
  emailVerified: boolean;
  /** A private-relay address (@privaterelay.appleid.com); kept as given. */
  isPrivateEmail: boolean;
  /** When the person signed in at Apple (`auth_time`, else the token's `iat`). */
  authenticatedAt: Date;
}

export interface AppleTokens {
  /** Keep encrypted: revoke it when the user deletes their account or unlinks Apple. */
  refreshToken: string;
  accessToken: string;
  expiresIn: number;
  /** The `sub` of the id_token Apple returned with the tokens (verified). */
  sub: string;
}

/** A verified server-to-server notification: Apple's `events` claim, read. */
export interface AppleNotification {
  bundleId: string;
  /** The JWT's id: a repeated delivery carries the same. */
  jti: string;
  type: string;
  sub: string;
  email: string | null;
  isPrivateEmail: boolean;
}

/**
 * Sign in with Apple's server side: identity tokens verified with jose against Apple's JWKS, the
 * authorization code exchanged for a refresh token with a client_secret JWT we sign (ES256, the
 * team's key), and revocation. Never logs or echoes a token, code or key.
 */
@Injectable()
export class AppleClient {
  private readonly logger = new Logger(AppleClient.name);
  private readonly settings: AppleSettings | null;
  private readonly verifier: IdTokenVerifier;

  constructor(
    config: AppConfig,
    private readonly calls: ProviderCalls,
    private readonly clock: Clock,
  ) {
    this.settings = config.get('providers').apple;
    this.verifier = new IdTokenVerifier('apple', () => `${this.base()}/auth/keys`, calls);
  }

  get configured(): boolean {
    return this.settings !== null;
  }

  get bundleIds(): string[] {
    return this.settings?.bundleIds ?? [];
  }

  /**
   * `rawNonce` is the nonce the app generated; Apple's token carries its SHA-256 hex. A token with a
   * nonce needs the raw nonce; a raw nonce given for a token without one is refused too.
   */
  async verifyIdentityToken(identityToken: string, rawNonce?: string | null): Promise<AppleIdentity> {
    const settings = this.require();
    return this.calls.run('apple', 'safe', async () => {
      const started = Date.now();
      try {
        const payload = await this.verifier.verify(identityToken, {
          issuer: settings.issuer,
          audience: settings.bundleIds,
          algorithms: ['RS256', 'ES256'],
          requiredClaims: ['sub', 'exp', 'iat'],
          currentDate: this.clock.now(),
        });
        const nonce = typeof payload.nonce === 'string' ? payload.nonce : null;
        if (nonce !== null || (rawNonce !== undefined && rawNonce !== null)) {
          if (!rawNonce || nonce === null || sha256Hex(rawNonce) !== nonce.toLowerCase()) {
            throw new ProviderRejectedError('apple', 'nonce');
          }
        }
        const identity: AppleIdentity = {
          bundleId: String(
            Array.isArray(payload.aud) ? payload.aud.find((a) => settings.bundleIds.includes(a)) : payload.aud,
          ),
          sub: payload.sub!,
          email: typeof payload.email === 'string' ? payload.email : null,
          emailVerified: payload.email_verified === true || payload.email_verified === 'true',
          isPrivateEmail: payload.is_private_email === true || payload.is_private_email === 'true',
          authenticatedAt: new Date((typeof payload.auth_time === 'number' ? payload.auth_time : payload.iat!) * 1000),
        };
        this.calls.report('apple', 'verify', 'ok', started);
        return identity;
      } catch (error) {
        if (error instanceof ProviderRejectedError) this.calls.report('apple', 'verify', 'rejected', started);
        throw error;
      }
    });
  }

  /**
   * A server-to-server notification's `payload`: signed with the identity-token keys, `iss` Apple, `aud`
   * one of our client ids, with `jti` and an `events` claim (a JSON string) naming a type and a `sub`.
   * A bad one throws ProviderRejectedError; keys out of reach, ProviderUnavailableError.
   */
  async verifyNotification(payload: string): Promise<AppleNotification> {
    const settings = this.require();
    const claims = await this.verifier.verify(payload, {
      issuer: settings.issuer,
      audience: settings.bundleIds,
      algorithms: ['RS256', 'ES256'],
      requiredClaims: ['iat', 'jti', 'events'],
      currentDate: this.clock.now(),
    });
    let events: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = typeof claims.events === 'string' ? JSON.parse(claims.events) : claims.events;
      if (parsed && typeof parsed === 'object') events = parsed as Record<string, unknown>;
    } catch {
      events = null;
    }
    const type = typeof events?.type === 'string' ? events.type : '';
    const sub = typeof events?.sub === 'string' ? events.sub : '';
    if (!type || !sub || type.length > 64 || sub.length > 255) throw new ProviderRejectedError('apple', 'events');
    return {
      bundleId: String(Array.isArray(claims.aud) ? claims.aud.find((a) => settings.bundleIds.includes(a)) : claims.aud),
      jti: String(claims.jti).slice(0, 128),
      type,
      sub,
      email: typeof events?.email === 'string' ? events.email : null,
      isPrivateEmail: events?.is_private_email === true || events?.is_private_email === 'true',
    };
  }

  /** The authorization code → Apple's tokens. Single use: never retried once it may have arrived. */
  async exchangeCode(bundleId: string, authorizationCode: string): Promise<AppleTokens> {
    const settings = this.requireBundle(bundleId);
    if (!isClientToken(authorizationCode, 1024) || authorizationCode.length === 0) {
      throw DomainError.badInput('authorizationCode', 'required');
    }
    return this.calls.run('apple', 'once', async (signal) => {
      const form = {
        client_id: bundleId,
        client_secret: await this.clientSecret(settings, bundleId),
        code: authorizationCode,
        grant_type: 'authorization_code',
      };
      const { status, body, started } = await this.calls.fetchJson(
        'apple',
        'token',
        `${this.base()}/auth/token`,
        { method: 'POST', form },
        signal,
      );
      this.checkAnswer('token', status, body, started);
      const refreshToken = str(body, 'refresh_token');
      const accessToken = str(body, 'access_token');
      const idToken = str(body, 'id_token');
      const expiresIn = Number(body?.expires_in);
      if (!refreshToken || !accessToken || !idToken || !Number.isFinite(expiresIn)) {
        this.calls.report('apple', 'token', 'malformed', started);
        throw new ProviderUnavailableError('apple', 'malformed', 'token');
      }
      this.calls.report('apple', 'token', 'ok', started);
      // The code is spent now: a failure from here on must not count as "never sent" (no retry).
      const payload = await alreadySent(
        this.verifier.verify(idToken, {
          issuer: settings.issuer,
          audience: bundleId,
          algorithms: ['RS256', 'ES256'],
          requiredClaims: ['sub'],
          currentDate: this.clock.now(),
        }),
      );
      return { refreshToken, accessToken, expiresIn, sub: payload.sub! };
    });
  }

  /** Revokes a refresh token at Apple (account deletion, unlinking). Safe to repeat. */
  async revoke(bundleId: string, refreshToken: string): Promise<void> {
    const settings = this.requireBundle(bundleId);
    return this.calls.run('apple', 'safe', async (signal) => {
      const form = {
        client_id: bundleId,
        client_secret: await this.clientSecret(settings, bundleId),
        token: refreshToken,
        token_type_hint: 'refresh_token',
      };
      const { status, body, started } = await this.calls.fetchJson(
        'apple',
        'revoke',
        `${this.base()}/auth/revoke`,
        { method: 'POST', form },
        signal,
      );
      this.checkAnswer('revoke', status, body, started);
      this.calls.report('apple', 'revoke', 'ok', started);
    });
  }

  private checkAnswer(
    operation: string,
    status: number,
    body: Record<string, unknown> | null,
    started: number,
  ): asserts body is Record<string, unknown> {
    if (status === 200 && body) return;
    if (status === 200 && operation === 'revoke') return;
    if (status === 400 || status === 401) {
      const error = str(body, 'error') ?? 'unknown';
      this.calls.report('apple', operation, `error_${error}`, started);
      if (error === 'invalid_client' || error === 'unauthorized_client') {
        // Our side is wrong (team id, key id, key or bundle id): the user can do nothing about it.
        this.logger.error(
          `Apple refused our client_secret (${error}): check APPLE_TEAM_ID, APPLE_KEY_ID, APPLE_PRIVATE_KEY`,
        );
        throw new ProviderUnavailableError('apple', 'refused', error);
      }
      throw new ProviderRejectedError('apple', error);
    }
    if (status === 200) {
      this.calls.report('apple', operation, 'malformed', started);
      throw new ProviderUnavailableError('apple', 'malformed', operation);
    }
    this.calls.report('apple', operation, `http_${status}`, started);
    throw new ProviderUnavailableError('apple', status === 429 ? 'throttled' : 'http', String(status));
  }

  private clientSecret(settings: AppleSettings, bundleId: string): Promise<string> {
    const now = Math.floor(this.clock.nowMs() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: settings.keyId })
      .setIssuer(settings.teamId)
      .setSubject(bundleId)
      .setAudience(APPLE_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + CLIENT_SECRET_TTL_SECONDS)
      .sign(settings.privateKey);
  }

  private require(): AppleSettings {
    if (!this.settings) throw new DomainError(ErrorCode.PROVIDER_NOT_CONFIGURED);
    return this.settings;
  }

  private requireBundle(bundleId: string): AppleSettings {
    const settings = this.require();
    if (!settings.bundleIds.includes(bundleId)) throw DomainError.badInput('bundleId', 'not one of our bundle ids');
    return settings;
  }

  private base(): string {
    return this.settings?.apiBase ?? this.calls.localBase('apple', APPLE_FAKE_PATH);
  }
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
