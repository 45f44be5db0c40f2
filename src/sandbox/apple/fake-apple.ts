import { exportJWK, jwtVerify, SignJWT } from 'jose';
import { createHash, generateKeyPair, KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeClock, FakeProviderServer, Json, optionalString, readBody, sendJson, sendText } from '../fake-kit';

/**
 * A fake of Sign in with Apple's server (appleid.apple.com), faithful to shared/providers-api.md:
 * RS256 identity tokens from its own key published at /auth/keys, single-use authorization codes
 * (5 minutes), /auth/token checking our client_secret JWT (ES256, team key, iss/sub/aud/exp) and
 * answering OAuth errors with 400, /auth/revoke recording what was revoked. Plain node:http, in
 * memory; mounted under /sandbox/apple in sandbox mode and runnable alone (fake/main.ts).
 */

export const APPLE_FAKE_ENDPOINTS = ['keys', 'token', 'revoke'] as const;
export const APPLE_ISSUER = 'https://appleid.apple.com';

export interface FakeAppleOptions {
  bundleIds: string[];
  teamId: string;
  keyId: string;
  /** The public half of the team's Sign in with Apple key: client_secret JWTs must verify with it. */
  teamPublicKey: KeyObject;
  /** The `iss` of tokens (default https://appleid.apple.com). */
  issuer?: string;
  /** The shared sandbox clock (in-process); the fake keeps its own otherwise. */
  now?: () => number;
}

interface CodeRecord {
  bundleId: string;
  sub: string;
  email: string;
  isPrivateEmail: boolean;
  expiresAt: number;
  usedAt?: number;
}

export interface AppleRevocation {
  bundleId: string;
  sub: string;
  at: string;
}

const CODE_TTL_SECONDS = 300;
const TOKEN_TTL_SECONDS = 600;

export class FakeAppleServer extends FakeProviderServer {
  issuer: string;
  // Made on libuv's thread pool: a 2048-bit RSA key takes ~100 ms of CPU, which must not delay the start.
  private readonly signingKey: Promise<KeyObject>;
  private readonly kid = `fake-${randomBytes(4).toString('hex')}`;
  private readonly codes = new Map<string, CodeRecord>();
  private readonly refreshTokens = new Map<string, { bundleId: string; sub: string; revoked: boolean }>();
  private revocations: AppleRevocation[] = [];

  constructor(private readonly options: FakeAppleOptions) {
    super(new FakeClock(options.now), APPLE_FAKE_ENDPOINTS);
    this.issuer = options.issuer ?? APPLE_ISSUER;
    this.signingKey = promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((pair) => pair.privateKey);
  }

  /** The person approved Sign in with Apple in the app: an identity token and a fresh code. */
  async authorize(input: {
    person?: string;
    nonce?: string;
    email?: string;
    bundleId?: string;
  }): Promise<{ identityToken: string; authorizationCode: string; sub: string }> {
    const bundleId = input.bundleId ?? this.options.bundleIds[0];
    const label = input.person ?? `anonymous-${randomBytes(6).toString('hex')}`;
    const sub = subFor(this.options.teamId, label);
    const isPrivateEmail = input.email === undefined;
    const email =
      input.email ?? `${createHash('sha256').update(label).digest('hex').slice(0, 10)}@privaterelay.appleid.com`;
    const authorizationCode = `c${randomBytes(16).toString('hex')}.0.${randomBytes(4).toString('hex')}`;
    this.codes.set(authorizationCode, {
      bundleId,
      sub,
      email,
      isPrivateEmail,
      expiresAt: this.clock.now() + CODE_TTL_SECONDS * 1000,
    });
    const identityToken = await this.token(bundleId, sub, email, isPrivateEmail, input.nonce);
    return { identityToken, authorizationCode, sub };
  }

  isRevoked(refreshToken: string): boolean {
    return this.refreshTokens.get(refreshToken)?.revoked === true;
  }

  revoked(): AppleRevocation[] {
    return [...this.revocations];
  }

  override reset(): void {
    super.reset();
    this.codes.clear();
    this.refreshTokens.clear();
    this.revocations = [];
  }

  protected async api(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const endpoint = { '/auth/keys': 'keys', '/auth/token': 'token', '/auth/revoke': 'revoke' }[path];
    if (!endpoint) return false;
    this.record(path);
    const body = endpoint === 'keys' ? {} : await readBody(req);
    const oauthError = (fault: { error?: string }): { status: number; body: string } => ({
      status: 400,
      body: JSON.stringify({ error: fault.error }),
    });
    const { applied, fault } = await this.applyFault(endpoint, res, oauthError);
    if (applied) {
      // A lost or garbled answer may come after the work was done: the code is gone.
      if (endpoint === 'token' && (fault?.drop || fault?.malformed)) this.consume(body);
      return true;
    }
    if (endpoint === 'keys') {
      if (req.method !== 'GET') {
        sendText(res, 405, '', 'text/plain');
        return true;
      }
      const jwk = await exportJWK(await this.signingKey);
      sendJson(res, 200, { keys: [{ kty: jwk.kty, kid: this.kid, use: 'sig', alg: 'RS256', n: jwk.n, e: jwk.e }] });
      return true;
    }
    if (req.method !== 'POST') {
      sendText(res, 405, '', 'text/plain');
      return true;
    }
    const answer = endpoint === 'token' ? await this.exchange(body) : await this.revoke(body);
    if (typeof answer.body === 'string') sendText(res, answer.status, answer.body, 'text/plain');
    else sendJson(res, answer.status, answer.body);
    return true;
  }

  protected async userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
    if (route === 'POST /authorize') {
      const body = await readBody(req);
      sendJson(
        res,
        200,
        await this.authorize({
          person: optionalString(body, 'person'),
          nonce: optionalString(body, 'nonce'),
          email: optionalString(body, 'email'),
          bundleId: optionalString(body, 'bundleId'),
        }),
      );
      return true;
    }
    if (route === 'POST /notification') {
      const body = await readBody(req);
      const type = optionalString(body, 'type');
      const person = optionalString(body, 'person');
      if (!person || !type || !NOTIFICATION_TYPES.includes(type)) {
        sendJson(res, 400, { error: `person and type (${NOTIFICATION_TYPES.join(', ')}) are required` });
        return true;
      }
      sendJson(res, 200, { payload: await this.notification(person, type, optionalString(body, 'bundleId')) });
      return true;
    }
    if (route === 'GET /revocations') {
      sendJson(res, 200, { revocations: this.revoked() });
      return true;
    }
    return false;
  }

  private async exchange(form: Json): Promise<{ status: number; body: Json | string }> {
    const clientId = form.client_id;
    const code = form.code;
    if (typeof clientId !== 'string' || typeof form.client_secret !== 'string') return invalid('invalid_request');
    if (form.grant_type !== 'authorization_code') {
      return form.grant_type === 'refresh_token' ? invalid('invalid_grant') : invalid('unsupported_grant_type');
    }
    if (typeof code !== 'string' || code === '') return invalid('invalid_request');
    if (!(await this.clientOk(clientId, form.client_secret))) return invalid('invalid_client');
    const record = this.codes.get(code);
    if (
      !record ||
      record.bundleId !== clientId ||
      record.usedAt !== undefined ||
      record.expiresAt <= this.clock.now()
    ) {
      return invalid('invalid_grant');
    }
    record.usedAt = this.clock.now();
    const refreshToken = `r${randomBytes(24).toString('hex')}.0.${randomBytes(4).toString('hex')}`;
    this.refreshTokens.set(refreshToken, { bundleId: clientId, sub: record.sub, revoked: false });
    return {
      status: 200,
      body: {
        access_token: `a${randomBytes(24).toString('hex')}.0.${randomBytes(4).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: refreshToken,
        id_token: await this.token(clientId, record.sub, record.email, record.isPrivateEmail),
      },
    };
  }

  private async revoke(form: Json): Promise<{ status: number; body: Json | string }> {
    const clientId = form.client_id;
    const token = form.token;
    if (typeof clientId !== 'string' || typeof form.client_secret !== 'string' || typeof token !== 'string') {
      return invalid('invalid_request');
    }
    if (!(await this.clientOk(clientId, form.client_secret))) return invalid('invalid_client');
    const grant = this.refreshTokens.get(token);
    // Apple answers 200 for a token it does not know (or no longer knows).
    if (grant && grant.bundleId === clientId && !grant.revoked) {
      grant.revoked = true;
      this.revocations.push({ bundleId: clientId, sub: grant.sub, at: new Date(this.clock.now()).toISOString() });
    }
    return { status: 200, body: '' };
  }

  private async clientOk(clientId: string, secret: string): Promise<boolean> {
    if (!this.options.bundleIds.includes(clientId)) return false;
    try {
      const { protectedHeader, payload } = await jwtVerify(secret, this.options.teamPublicKey, {
        algorithms: ['ES256'],
        issuer: this.options.teamId,
        subject: clientId,
        audience: APPLE_ISSUER,
        requiredClaims: ['iat', 'exp'],
        currentDate: new Date(this.clock.now()),
      });
      // At most six months, as Apple allows.
      return protectedHeader.kid === this.options.keyId && payload.exp! - payload.iat! <= 15_777_000;
    } catch {
      return false;
    }
  }

  /** The server-to-server notification Apple would POST (`{payload}`), signed with the identity-token keys. */
  async notification(person: string, type: string, bundleId?: string): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    const sub = subFor(this.options.teamId, person);
    const events: Json = { type, sub, event_time: this.clock.now() };
    if (type.startsWith('email-')) {
      events.email = `${createHash('sha256').update(person).digest('hex').slice(0, 10)}@privaterelay.appleid.com`;
      events.is_private_email = 'true';
    }
    return new SignJWT({ events: JSON.stringify(events) })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(bundleId ?? this.options.bundleIds[0])
      .setIssuedAt(now)
      .setJti(randomBytes(16).toString('hex'))
      .sign(await this.signingKey);
  }

  private consume(form: Json): void {
    const record = typeof form.code === 'string' ? this.codes.get(form.code) : undefined;
    if (record && record.usedAt === undefined) record.usedAt = this.clock.now();
  }

  private async token(
    bundleId: string,
    sub: string,
    email: string,
    isPrivateEmail: boolean,
    nonce?: string,
  ): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    const claims: Json = {
      email,
      email_verified: true,
      is_private_email: isPrivateEmail,
      auth_time: now,
      nonce_supported: true,
      real_user_status: 2,
    };
    if (nonce !== undefined) claims.nonce = nonce;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid })
      .setIssuer(this.issuer)
      .setAudience(bundleId)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SECONDS)
      .sign(await this.signingKey);
  }
}

const NOTIFICATION_TYPES = ['consent-revoked', 'account-delete', 'email-disabled', 'email-enabled'];

/** Apple's `sub`: stable per person and team, shaped like Apple's (000123.hex.0456). */
export function subFor(teamId: string, label: string): string {
  const hex = createHash('sha256').update(`apple:${teamId}:${label}`).digest('hex');
  return `00${parseInt(hex.slice(0, 4), 16) % 10000}.${hex.slice(4, 36)}.0${parseInt(hex.slice(36, 40), 16) % 1000}`;
}

function invalid(error: string): { status: number; body: Json } {
  return { status: 400, body: { error } };
}
