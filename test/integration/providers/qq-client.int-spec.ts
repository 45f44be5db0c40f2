import { createServer } from 'node:net';
import { Clock } from '../../../src/common/clock';
import { ErrorCode } from '../../../src/errors/error-code';
import { ProviderCallEvent, ProviderCalls } from '../../../src/providers/provider-calls';
import { QqClient, QqSettings } from '../../../src/providers/qq/qq.client';
import { FakeQqServer, SANDBOX_QQ } from '../../../src/sandbox/qq/fake-qq';
import { codeOf, messageOf, providerCalls, providerConfig, SHORT } from '../../support/providers';

// QqClient against the fake QQ Connect over real HTTP. The fake also knows an app that is not ours.

const [WEB, PHONE] = SANDBOX_QQ.apps;
const STRANGER = { appId: '101999999', appKey: 'strangerQqAppKey00000000000001' };
const REDIRECT = 'https://localhost/login/qq/callback';

let fake: FakeQqServer;
let clock: Clock;
let base: string;
let calls: ProviderCalls;
let events: ProviderCallEvent[];
let client: QqClient;

function makeClient(overrides: Partial<QqSettings> = {}, env: Record<string, string> = {}): void {
  ({ calls, events } = providerCalls(providerConfig(env)));
  client = new QqClient({ appIds: [WEB.appId, PHONE.appId], web: { ...WEB }, apiBase: base, ...overrides }, calls);
}

beforeAll(async () => {
  clock = new Clock(true);
  fake = new FakeQqServer({ apps: [...SANDBOX_QQ.apps, STRANGER], now: () => clock.nowMs() });
  base = await fake.listen(0);
  // Warm up (module loading, the first connection) so that the short test timeouts measure the fake only.
  makeClient();
  await client.verifyAccessToken(fake.authorize({ person: 'warm-up' }).accessToken);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  makeClient();
});

const paths = (): string[] => fake.calls().map((c) => c.path);

it("verifies the QQ SDK's token through /me and names the person by unionid, with the nickname", async () => {
  const signed = fake.authorize({ person: 'ann', appId: PHONE.appId });
  const identity = await client.verifyAccessToken(signed.accessToken);
  expect(identity).toEqual({
    appId: PHONE.appId,
    openId: signed.openid,
    unionId: signed.unionid,
    nickname: expect.stringMatching(/^QQ用户/),
    avatarUrl: expect.stringMatching(/^http/),
  });
  expect(paths()).toEqual(['/oauth2.0/me', '/user/get_user_info']);
  expect(events.map((e) => `${e.provider}:${e.operation}:${e.outcome}`)).toEqual(['qq:me:ok', 'qq:userinfo:ok']);
  // The same person in our other app: the same unionid, another openid.
  const web = await client.verifyAccessToken(fake.authorize({ person: 'ann', appId: WEB.appId }).accessToken);
  expect(web.unionId).toBe(identity.unionId);
  expect(web.openId).not.toBe(identity.openId);
});

it('refuses a forged, an expired and a foreign app’s token with PROVIDER_TOKEN_INVALID', async () => {
  expect(await codeOf(client.verifyAccessToken('0123456789ABCDEF0123456789ABCDEF'))).toBe(
    ErrorCode.PROVIDER_TOKEN_INVALID,
  );
  const foreign = fake.authorize({ person: 'bob', appId: STRANGER.appId });
  expect(await codeOf(client.verifyAccessToken(foreign.accessToken))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(events).toContainEqual(expect.objectContaining({ operation: 'me', outcome: 'foreign_client' }));
  const old = fake.authorize({ person: 'bob' });
  clock.advance(7_776_001);
  expect(await codeOf(client.verifyAccessToken(old.accessToken))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(paths()).not.toContain('/user/get_user_info');
});

it('exchanges a web code once, with the redirect_uri, for a grant and the identity', async () => {
  const signed = fake.authorize({ person: 'cat', appId: WEB.appId, state: 's', redirectUri: REDIRECT });
  const identity = await client.exchangeCode(signed.code!, REDIRECT);
  expect(identity).toMatchObject({ appId: WEB.appId, openId: signed.openid, unionId: signed.unionid });
  expect(identity.grant).toEqual({
    accessToken: expect.any(String),
    refreshToken: expect.any(String),
    expiresIn: 7776000,
  });
  expect(paths()).toEqual(['/oauth2.0/token', '/oauth2.0/me', '/user/get_user_info']);
  expect(await codeOf(client.exchangeCode(signed.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(events).toContainEqual(expect.objectContaining({ operation: 'token', outcome: 'error_100020' }));
});

it('refuses an expired code, a code for another redirect, and an unknown code', async () => {
  const late = fake.authorize({ person: 'dan', state: 's', redirectUri: REDIRECT });
  clock.advance(601);
  expect(await codeOf(client.exchangeCode(late.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  const elsewhere = fake.authorize({ person: 'dan', state: 's', redirectUri: 'https://localhost/other' });
  expect(await codeOf(client.exchangeCode(elsewhere.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(await codeOf(client.exchangeCode('ABCDEF0123456789', REDIRECT))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
});

it('takes a refused AppKey or callback domain as our fault (PROVIDER_UNAVAILABLE), never echoing the key', async () => {
  makeClient({ web: { appId: WEB.appId, appKey: 'wrongQqAppKey-secret-123' } });
  const signed = fake.authorize({ person: 'eve', state: 's' });
  const failure = client.exchangeCode(signed.code!, REDIRECT);
  expect(await messageOf(failure)).not.toContain('wrongQqAppKey-secret-123');
  expect(await codeOf(client.exchangeCode(signed.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  makeClient();
  expect(await codeOf(client.exchangeCode(signed.code!, 'https://evil.example/cb'))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
  expect(events).toContainEqual(expect.objectContaining({ operation: 'token', outcome: 'error_100010' }));
  makeClient({ web: null });
  expect(await codeOf(client.exchangeCode(signed.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_NOT_CONFIGURED);
});

it.each([
  ['an empty token', ''],
  ['a token with a space', 'ABC DEF'],
  ['a lone surrogate', 'ABC\uD800DEF'],
  ['a very long token', 'A'.repeat(600)],
  ['a non-string', 42],
])('answers BAD_USER_INPUT for %s before any call, without touching the breaker', async (_n, token) => {
  for (let i = 0; i < 8; i++) {
    expect(await codeOf(client.verifyAccessToken(token as string))).toBe(ErrorCode.BAD_USER_INPUT);
  }
  expect(fake.calls()).toHaveLength(0);
  expect(calls.circuitState('qq')).toBe('closed');
});

it.each([
  ['javascript:alert(1)'],
  ['https://localhost/é'],
  ['https://u:p@localhost/'],
  ['/relative'],
  ['https://localhost/#x'],
])('answers BAD_USER_INPUT for the redirect %s before any call', async (redirect) => {
  expect(await codeOf(client.exchangeCode('ABCDEF0123456789', redirect))).toBe(ErrorCode.BAD_USER_INPUT);
  expect(fake.calls()).toHaveLength(0);
});

it.each([
  ['an HTTP 503', { httpStatus: 503 }],
  ['a dropped connection', { drop: true }],
  ['a garbled body', { malformed: true }],
  ['an answer held past the timeout', { hold: true }],
])(
  'answers PROVIDER_UNAVAILABLE when the token endpoint fails with %s, without resending the code',
  async (_n, fault) => {
    if ('hold' in fault) makeClient({}, SHORT);
    fake.addFault({ endpoint: 'token', times: 5, ...fault });
    const signed = fake.authorize({ person: 'fay', state: 's' });
    expect(await codeOf(client.exchangeCode(signed.code!, REDIRECT))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
    expect(fake.calls('/oauth2.0/token')).toHaveLength(1);
  },
);

it('retries /me (safe to repeat) through one failure, and gives up when it keeps failing', async () => {
  fake.addFault({ endpoint: 'me', httpStatus: 502, times: 1 });
  const signed = fake.authorize({ person: 'gus' });
  expect((await client.verifyAccessToken(signed.accessToken)).unionId).toBe(signed.unionid);
  expect(fake.calls('/oauth2.0/me')).toHaveLength(2);
  fake.addFault({ endpoint: 'me', httpStatus: 503, times: 10 });
  expect(await codeOf(client.verifyAccessToken(signed.accessToken))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
});

it('signs in without a nickname when get_user_info refuses or fails', async () => {
  fake.addFault({ endpoint: 'userinfo', error: '100030', times: 1 });
  const signed = fake.authorize({ person: 'hal' });
  expect(await client.verifyAccessToken(signed.accessToken)).toMatchObject({
    unionId: signed.unionid,
    nickname: null,
    avatarUrl: null,
  });
  fake.addFault({ endpoint: 'userinfo', httpStatus: 500, times: 5 });
  expect((await client.verifyAccessToken(signed.accessToken)).nickname).toBeNull();
});

it('maps QQ declining unionid (100048) to PROVIDER_UNAVAILABLE', async () => {
  fake.addFault({ endpoint: 'me', error: '100048', times: 3 });
  expect(await codeOf(client.verifyAccessToken(fake.authorize({ person: 'ivy' }).accessToken))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
});

it('answers PROVIDER_UNAVAILABLE when QQ cannot be reached at all', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  makeClient({ apiBase: `http://127.0.0.1:${port}` });
  expect(await codeOf(client.verifyAccessToken('0123456789ABCDEF0123456789ABCDEF'))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
  expect(events.some((e) => e.outcome === 'connect')).toBe(true);
});
