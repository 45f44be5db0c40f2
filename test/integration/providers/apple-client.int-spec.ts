import { SignJWT } from 'jose';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { Clock } from '../../../src/common/clock';
import { ErrorCode } from '../../../src/errors/error-code';
import { AppleClient } from '../../../src/providers/apple/apple.client';
import { FakeAppleServer } from '../../../src/sandbox/apple/fake-apple';
import { ProviderCallEvent } from '../../../src/providers/provider-calls';
import { codeOf, messageOf, providerCalls, providerConfig, SHORT } from '../../support/providers';

// AppleClient against the fake Apple server over real HTTP: jose verification, the client_secret
// JWT, single-use codes, revocation, and every fault within the budget.

const BUNDLE = 'com.example.sandbox';
let fake: FakeAppleServer;
let client: AppleClient;
let clock: Clock;
let events: ProviderCallEvent[];
let base: string;

function sha(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

beforeAll(async () => {
  clock = new Clock(true);
  fake = new FakeAppleServer({
    bundleIds: [BUNDLE, 'com.example.other'],
    teamId: 'SANDBOXTM1',
    keyId: 'SANDBOXK01',
    teamPublicKey: createPublicKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey),
    now: () => clock.nowMs(),
  });
  base = await fake.listen(0);
  fake.issuer = base;
});

afterAll(async () => {
  await fake.close();
});

function makeClient(env: Record<string, string> = {}): void {
  const config = providerConfig({ APPLE_API_BASE: base, ...env });
  // The fake checks client secrets against the team key the service was configured with.
  (fake as unknown as { options: { teamPublicKey: unknown } }).options.teamPublicKey = createPublicKey(
    config.get('providers').apple!.privateKey,
  );
  const made = providerCalls(config);
  events = made.events;
  client = new AppleClient(config, made.calls, clock);
}

beforeEach(() => {
  fake.reset();
  makeClient();
});

describe('verifyIdentityToken', () => {
  it('verifies a token from the fake and returns who it is, with the nonce checked', async () => {
    const signedInAt = Math.floor(clock.nowMs() / 1000) * 1000;
    const signed = await fake.authorize({ person: 'alice', nonce: sha('raw-nonce-1') });
    const identity = await client.verifyIdentityToken(signed.identityToken, 'raw-nonce-1');
    expect(identity).toEqual({
      bundleId: BUNDLE,
      sub: signed.sub,
      email: expect.stringMatching(/@privaterelay\.appleid\.com$/),
      emailVerified: true,
      isPrivateEmail: true,
      // The token's auth_time (whole seconds): deleteMyAccount's freshness.
      authenticatedAt: expect.any(Date),
    });
    expect(identity.authenticatedAt.getTime()).toBeGreaterThanOrEqual(signedInAt);
    expect(identity.authenticatedAt.getTime()).toBeLessThanOrEqual(clock.nowMs());
    expect(fake.calls('/auth/keys')).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ provider: 'apple', operation: 'verify', outcome: 'ok' }));
  });

  it('keeps a shared email as given and caches the keys', async () => {
    const signed = await fake.authorize({ person: 'bob', email: 'bob@example.com' });
    const identity = await client.verifyIdentityToken(signed.identityToken);
    expect(identity).toMatchObject({ email: 'bob@example.com', isPrivateEmail: false });
    await client.verifyIdentityToken((await fake.authorize({ person: 'bob' })).identityToken);
    expect(fake.calls('/auth/keys')).toHaveLength(1);
  });

  it('refuses a token signed by another key (same kid)', async () => {
    const signed = await fake.authorize({ person: 'carol' });
    const [header] = signed.identityToken.split('.');
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid as string;
    const forged = await new SignJWT({ email: 'carol@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(base)
      .setAudience(BUNDLE)
      .setSubject('001234.forged.0001')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    expect(await codeOf(client.verifyIdentityToken(forged))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  });

  it('refuses a token for another app, a wrong or missing nonce, an expired token and garbage', async () => {
    const other = await fake.authorize({ person: 'dan', bundleId: 'com.example.notours' });
    expect(await codeOf(client.verifyIdentityToken(other.identityToken))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);

    const withNonce = await fake.authorize({ person: 'dan', nonce: sha('right') });
    expect(await codeOf(client.verifyIdentityToken(withNonce.identityToken, 'wrong'))).toBe(
      ErrorCode.PROVIDER_TOKEN_INVALID,
    );
    expect(await codeOf(client.verifyIdentityToken(withNonce.identityToken))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
    const noNonce = await fake.authorize({ person: 'dan' });
    expect(await codeOf(client.verifyIdentityToken(noNonce.identityToken, 'unexpected'))).toBe(
      ErrorCode.PROVIDER_TOKEN_INVALID,
    );

    clock.advance(601);
    expect(await codeOf(client.verifyIdentityToken(withNonce.identityToken, 'right'))).toBe(
      ErrorCode.PROVIDER_TOKEN_INVALID,
    );
    expect(await codeOf(client.verifyIdentityToken('not.a.jwt'))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  });

  it('refuses a token from another issuer', async () => {
    makeClient({ APPLE_ISSUER: 'https://appleid.apple.com' });
    const signed = await fake.authorize({ person: 'erin' });
    expect(await codeOf(client.verifyIdentityToken(signed.identityToken))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  });

  it.each([
    ['an HTTP 503', { httpStatus: 503, times: 3 }],
    ['a dropped connection', { drop: true, times: 3 }],
    ['a garbled body', { malformed: true, times: 3 }],
    ['an answer held past the timeout', { hold: true, times: 3 }],
  ])('answers PROVIDER_UNAVAILABLE when the keys fail with %s, after retrying', async (_name, fault) => {
    if ('hold' in fault) makeClient(SHORT);
    fake.addFault({ endpoint: 'keys', ...fault });
    const signed = await fake.authorize({ person: 'frank' });
    expect(await codeOf(client.verifyIdentityToken(signed.identityToken))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    expect(fake.calls('/auth/keys').length).toBeGreaterThanOrEqual(2);
  });

  it('recovers when the keys come back after one failure (safe retry)', async () => {
    fake.addFault({ endpoint: 'keys', httpStatus: 502, times: 1 });
    const signed = await fake.authorize({ person: 'gina' });
    expect((await client.verifyIdentityToken(signed.identityToken)).sub).toBe(signed.sub);
    expect(fake.calls('/auth/keys')).toHaveLength(2);
  });
});

describe('exchangeCode', () => {
  it('exchanges a code for a refresh token with a client_secret the fake accepts; a replay is refused', async () => {
    const signed = await fake.authorize({ person: 'hana' });
    const tokens = await client.exchangeCode(BUNDLE, signed.authorizationCode);
    expect(tokens).toEqual({
      refreshToken: expect.any(String),
      accessToken: expect.any(String),
      expiresIn: 3600,
      sub: signed.sub,
    });
    expect(await codeOf(client.exchangeCode(BUNDLE, signed.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
    expect(fake.calls('/auth/token')).toHaveLength(2);
  });

  it('refuses an expired or unknown code, and a bundle id that is not ours', async () => {
    const signed = await fake.authorize({ person: 'ivan' });
    clock.advance(301);
    expect(await codeOf(client.exchangeCode(BUNDLE, signed.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
    expect(await codeOf(client.exchangeCode(BUNDLE, 'c0ffee.0.nope'))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
    expect(await codeOf(client.exchangeCode('com.example.notours', 'x'))).toBe(ErrorCode.BAD_USER_INPUT);
  });

  it('treats a client_secret Apple refuses (wrong team key) as our fault: PROVIDER_UNAVAILABLE', async () => {
    (fake as unknown as { options: { teamPublicKey: unknown } }).options.teamPublicKey = createPublicKey(
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
    );
    const signed = await fake.authorize({ person: 'jo' });
    expect(await codeOf(client.exchangeCode(BUNDLE, signed.authorizationCode))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    expect(events).toContainEqual(expect.objectContaining({ operation: 'token', outcome: 'error_invalid_client' }));
  });

  it.each([
    ['an HTTP 500', { httpStatus: 500 }],
    ['a dropped connection', { drop: true }],
    ['a garbled body', { malformed: true }],
    ['an answer held past the timeout', { hold: true }],
  ])('answers PROVIDER_UNAVAILABLE on %s and never retries the single-use code', async (_name, fault) => {
    if ('hold' in fault) makeClient(SHORT);
    fake.addFault({ endpoint: 'token', times: 5, ...fault });
    const signed = await fake.authorize({ person: 'kim' });
    expect(await codeOf(client.exchangeCode(BUNDLE, signed.authorizationCode))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    expect(fake.calls('/auth/token')).toHaveLength(1);
  });

  it('maps an injected invalid_grant to PROVIDER_TOKEN_INVALID', async () => {
    fake.addFault({ endpoint: 'token', error: 'invalid_grant', times: 1 });
    const signed = await fake.authorize({ person: 'lee' });
    expect(await codeOf(client.exchangeCode(BUNDLE, signed.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  });

  it('never puts the code or the secret key in an error', async () => {
    fake.addFault({ endpoint: 'token', error: 'invalid_grant', times: 1 });
    const signed = await fake.authorize({ person: 'mia' });
    const text = await messageOf(client.exchangeCode(BUNDLE, signed.authorizationCode));
    expect(text).not.toContain(signed.authorizationCode);
    expect(text).not.toContain('PRIVATE');
  });
});

describe('revoke', () => {
  it('revokes the refresh token at the fake', async () => {
    const signed = await fake.authorize({ person: 'nia' });
    const tokens = await client.exchangeCode(BUNDLE, signed.authorizationCode);
    await client.revoke(BUNDLE, tokens.refreshToken);
    expect(fake.isRevoked(tokens.refreshToken)).toBe(true);
    expect(fake.revoked()).toEqual([expect.objectContaining({ bundleId: BUNDLE, sub: signed.sub })]);
  });

  it('retries a revocation through a passing failure, and gives up within the budget', async () => {
    const signed = await fake.authorize({ person: 'olu' });
    const tokens = await client.exchangeCode(BUNDLE, signed.authorizationCode);
    fake.addFault({ endpoint: 'revoke', httpStatus: 503, times: 1 });
    await client.revoke(BUNDLE, tokens.refreshToken);
    expect(fake.isRevoked(tokens.refreshToken)).toBe(true);
    expect(fake.calls('/auth/revoke')).toHaveLength(2);

    makeClient(SHORT);
    fake.addFault({ endpoint: 'revoke', hold: true, times: 5 });
    expect(await codeOf(client.revoke(BUNDLE, tokens.refreshToken))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  });
});

describe('not configured', () => {
  it('answers PROVIDER_NOT_CONFIGURED in production without Apple variables', async () => {
    const config = providerConfig({});
    (config.values as { providers: { apple: unknown } }).providers.apple = null;
    const unconfigured = new AppleClient(config, providerCalls(config).calls, clock);
    expect(unconfigured.configured).toBe(false);
    expect(await codeOf(unconfigured.verifyIdentityToken('x'))).toBe(ErrorCode.PROVIDER_NOT_CONFIGURED);
  });
});
