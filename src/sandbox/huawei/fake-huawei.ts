import { exportJWK, SignJWT } from 'jose';
import { createHash, createHmac, generateKeyPair, KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeClock, FakeInputError, FakeProviderServer, Json, optionalString, readBody, sendJson } from '../fake-kit';

/**
 * A fake of Huawei ID's servers (Account Kit), faithful to shared/providers-api.md: single-use
 * authorization codes (5 minutes), /oauth2/v3/token answering tokens and an RS256 id_token from its
 * own key published at /oauth2/v3/certs, Huawei's numeric OAuth errors with HTTP 400, and the
 * user-info API (rest.php?nsp_svc=GOpen.User.getInfo) with OpenID, UnionID and, when the phone was
 * granted, the phone number. In memory; under /sandbox/huawei in sandbox mode, or alone (main.ts).
 */

export const HUAWEI_FAKE_ENDPOINTS = ['token', 'certs', 'userinfo'] as const;
export const HUAWEI_ISSUER = 'https://accounts.huawei.com';

export interface FakeHuaweiOptions {
  clientId: string;
  clientSecret: string;
  /** The event subscription's secret (base64) that signs the user-information change events. */
  eventSecret?: string;
  issuer?: string;
  now?: () => number;
}

interface Person {
  label: string;
  unionId: string;
  phone?: string;
}

interface CodeRecord {
  person: string;
  phone?: string;
  expiresAt: number;
  usedAt?: number;
}

const CODE_TTL_SECONDS = 300;
const HUAWEI_EVENT_TYPES = ['authorization-cancelled', 'account-deleted', 'phone-changed'];
const ACCESS_TTL_SECONDS = 3600;

// Huawei's OAuth error bodies: `error` and `sub_error` are numbers.
const OAUTH_ERRORS: Record<string, { sub_error: number; error_description: string }> = {
  '1101': { sub_error: 20156, error_description: 'invalid code' },
  '1102': { sub_error: 20152, error_description: 'invalid client_secret' },
  '1103': { sub_error: 20001, error_description: 'system busy' },
};

export class FakeHuaweiServer extends FakeProviderServer {
  readonly issuer: string;
  // Made on libuv's thread pool: a 2048-bit RSA key takes ~100 ms of CPU, which must not delay the start.
  private readonly signingKey: Promise<KeyObject>;
  private readonly kid = `fake-${randomBytes(4).toString('hex')}`;
  private readonly persons = new Map<string, Person>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, { person: string; phone?: string; expiresAt: number }>();

  constructor(private readonly options: FakeHuaweiOptions) {
    super(new FakeClock(options.now), HUAWEI_FAKE_ENDPOINTS);
    this.issuer = options.issuer ?? HUAWEI_ISSUER;
    this.signingKey = promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then((pair) => pair.privateKey);
  }

  /** The person signed in with Huawei ID in the app (with the phone scope when `phone` is given). */
  authorize(input: { person?: string; phone?: string }): {
    authorizationCode: string;
    openId: string;
    unionId: string;
  } {
    const label = input.person ?? `anonymous-${randomBytes(6).toString('hex')}`;
    let person = this.persons.get(label);
    if (!person) {
      person = { label, unionId: idFor('union', label) };
      this.persons.set(label, person);
    }
    if (input.phone !== undefined) {
      if (!/^\+?\d{6,16}$/.test(input.phone)) throw new FakeInputError('phone must be digits, optionally with +');
      person.phone = input.phone;
    }
    const authorizationCode = `DQB6e3x${randomBytes(24).toString('base64url')}`;
    this.codes.set(authorizationCode, {
      person: label,
      phone: input.phone,
      expiresAt: this.clock.now() + CODE_TTL_SECONDS * 1000,
    });
    return { authorizationCode, openId: this.openIdOf(label), unionId: person.unionId };
  }

  /**
   * The user-information change event Huawei would POST to the app's server: JSON with the OpenID,
   * UnionID, the event type and time (and the new number for phone-changed), signed in the
   * `x-notification-signature` header: Base64(HMAC-SHA256(Base64-decoded secret, openId_eventType_eventTime)).
   */
  event(input: { person: string; type: string; phone?: string }): {
    path: string;
    headers: Record<string, string>;
    body: string;
  } {
    if (!HUAWEI_EVENT_TYPES.includes(input.type)) {
      throw new FakeInputError(`type must be one of ${HUAWEI_EVENT_TYPES.join(', ')}`);
    }
    if (!this.options.eventSecret) throw new FakeInputError('no event secret configured');
    const person = this.persons.get(input.person) ?? { label: input.person, unionId: idFor('union', input.person) };
    this.persons.set(input.person, person);
    const openId = this.openIdOf(input.person);
    const eventTime = this.clock.now();
    const body: Json = {
      clientId: this.options.clientId,
      openId,
      unionId: person.unionId,
      eventType: input.type,
      eventTime,
    };
    if (input.type === 'phone-changed') {
      if (!input.phone || !/^\+?\d{6,16}$/.test(input.phone)) throw new FakeInputError('phone-changed needs a phone');
      person.phone = input.phone;
      body.phone = input.phone;
    }
    const signature = createHmac('sha256', Buffer.from(this.options.eventSecret, 'base64'))
      .update(`${openId}_${input.type}_${eventTime}`)
      .digest('base64');
    return {
      path: '/providers/huawei/events',
      headers: { 'content-type': 'application/json; charset=UTF-8', 'x-notification-signature': signature },
      body: JSON.stringify(body),
    };
  }

  override reset(): void {
    super.reset();
    this.persons.clear();
    this.codes.clear();
    this.accessTokens.clear();
  }

  protected async api(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    let endpoint: (typeof HUAWEI_FAKE_ENDPOINTS)[number] | undefined;
    if (path === '/oauth2/v3/token') endpoint = 'token';
    else if (path === '/oauth2/v3/certs') endpoint = 'certs';
    else if (path === '/rest.php' && url.searchParams.get('nsp_svc') === 'GOpen.User.getInfo') endpoint = 'userinfo';
    if (!endpoint) return false;
    this.record(path);
    const body = endpoint === 'certs' ? {} : await readBody(req);
    const { applied, fault } = await this.applyFault(endpoint, res, (f) => ({
      status: 400,
      body: JSON.stringify({
        error: Number(f.error),
        ...(OAUTH_ERRORS[f.error!] ?? { sub_error: 0, error_description: 'error' }),
      }),
    }));
    if (applied) {
      if (endpoint === 'token' && (fault?.drop || fault?.malformed)) this.consume(body);
      return true;
    }
    if (endpoint === 'certs') {
      const jwk = await exportJWK(await this.signingKey);
      sendJson(res, 200, { keys: [{ kty: 'RSA', kid: this.kid, use: 'sig', alg: 'RS256', n: jwk.n, e: jwk.e }] });
      return true;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method not allowed' });
      return true;
    }
    const answer = endpoint === 'token' ? await this.token(body) : this.userInfo(body);
    sendJson(res, answer.status, answer.body);
    return true;
  }

  protected async userSide(req: IncomingMessage, res: ServerResponse, route: string): Promise<boolean> {
    if (route === 'POST /event') {
      const body = await readBody(req);
      const person = optionalString(body, 'person');
      const type = optionalString(body, 'type');
      if (!person || !type) throw new FakeInputError('person and type are required');
      sendJson(res, 200, this.event({ person, type, phone: optionalString(body, 'phone') }));
      return true;
    }
    if (route !== 'POST /authorize') return false;
    const body = await readBody(req);
    sendJson(
      res,
      200,
      this.authorize({ person: optionalString(body, 'person'), phone: optionalString(body, 'phone') }),
    );
    return true;
  }

  private async token(form: Json): Promise<{ status: number; body: Json }> {
    if (form.grant_type !== 'authorization_code' || typeof form.code !== 'string' || form.code === '') {
      return oauthError('1101');
    }
    if (form.client_id !== this.options.clientId || form.client_secret !== this.options.clientSecret) {
      return oauthError('1102');
    }
    const record = this.codes.get(form.code);
    if (!record || record.usedAt !== undefined || record.expiresAt <= this.clock.now()) return oauthError('1101');
    record.usedAt = this.clock.now();
    const accessToken = `CgB6e3x${randomBytes(32).toString('base64url')}`;
    this.accessTokens.set(accessToken, {
      person: record.person,
      phone: record.phone,
      expiresAt: this.clock.now() + ACCESS_TTL_SECONDS * 1000,
    });
    const now = Math.floor(this.clock.now() / 1000);
    const idToken = await new SignJWT({
      azp: this.options.clientId,
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.options.clientId)
      .setSubject(this.openIdOf(record.person))
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TTL_SECONDS)
      .sign(await this.signingKey);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: ACCESS_TTL_SECONDS,
        refresh_token: `AFB6e3x${randomBytes(32).toString('base64url')}`,
        scope: record.phone ? 'openid profile phone' : 'openid profile',
        token_type: 'Bearer',
        id_token: idToken,
      },
    };
  }

  private userInfo(form: Json): { status: number; body: Json } {
    const grant = typeof form.access_token === 'string' ? this.accessTokens.get(form.access_token) : undefined;
    if (!grant || grant.expiresAt <= this.clock.now()) return { status: 401, body: { error: 'invalid access token' } };
    const person = this.persons.get(grant.person)!;
    const body: Json = {
      openID: this.openIdOf(person.label),
      unionID: person.unionId,
      displayName: `华为用户${person.unionId.slice(-4)}`,
      headPictureURL: '',
    };
    if (grant.phone) body.mobileNumber = grant.phone;
    return { status: 200, body };
  }

  private consume(form: Json): void {
    const record = typeof form.code === 'string' ? this.codes.get(form.code) : undefined;
    if (record && record.usedAt === undefined) record.usedAt = this.clock.now();
  }

  private openIdOf(label: string): string {
    return idFor(`open:${this.options.clientId}`, label);
  }
}

function idFor(kind: string, label: string): string {
  return `MDFAMw${createHash('sha256').update(`huawei:${kind}:${label}`).digest('base64url').slice(0, 40)}`;
}

function oauthError(code: string): { status: number; body: Json } {
  return { status: 400, body: { error: Number(code), ...OAUTH_ERRORS[code] } };
}
