import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer } from 'node:net';
import { Clock } from '../../../src/common/clock';
import { ErrorCode } from '../../../src/errors/error-code';
import { AlipayClient, AlipaySettings } from '../../../src/providers/alipay/alipay.client';
import { ProviderCallEvent, ProviderCalls } from '../../../src/providers/provider-calls';
import { FakeAlipayServer } from '../../../src/sandbox/alipay/fake-alipay';
import { codeOf, messageOf, providerCalls, providerConfig, SHORT } from '../../support/providers';

// AlipayClient (the official alipay-sdk underneath) against the fake Alipay gateway over real HTTP.

const APP = '2021000000000001';
const LEGACY = '2021000000000002';
const UNSIGNED = '2021000000000003';
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

let fake: FakeAlipayServer;
let clock: Clock;
let gateway: string;
let alipayPublicKey: KeyObject;
let calls: ProviderCalls;
let events: ProviderCallEvent[];
let client: AlipayClient;

function makeClient(overrides: Partial<AlipaySettings> = {}, env: Record<string, string> = {}): void {
  ({ calls, events } = providerCalls(providerConfig(env)));
  client = new AlipayClient(
    { appId: APP, privateKey: appKeys.privateKey, alipayPublicKey, keyOn: 'open_id', gateway, ...overrides },
    calls,
  );
}

beforeAll(async () => {
  clock = new Clock(true);
  fake = new FakeAlipayServer({
    apps: [
      { appId: APP, publicKey: appKeys.publicKey },
      { appId: LEGACY, publicKey: appKeys.publicKey, idType: 'user_id' },
      { appId: UNSIGNED, publicKey: appKeys.publicKey, userInfoSigned: false },
    ],
    now: () => clock.nowMs(),
  });
  gateway = `${await fake.listen(0)}/gateway.do`;
  alipayPublicKey = await fake.alipayPublicKey();
  // Warm up (loading the SDK, first signatures) so that the short test timeouts measure the fake only.
  makeClient();
  await client.exchangeAuthCode(fake.authorize({ person: 'warm-up' }).authCode);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  makeClient();
});

const TOKEN = '/gateway.do?method=alipay.system.oauth.token';
const outcomes = (): string[] => events.map((e) => `${e.provider}:${e.operation}:${e.outcome}`);

it('exchanges an auth code: verified answer, open_id as the subject, the grant and the nickname', async () => {
  const signed = fake.authorize({ person: 'ann' });
  expect(await client.exchangeAuthCode(signed.authCode)).toEqual({
    appId: APP,
    subject: signed.openId,
    keyOn: 'open_id',
    accessToken: expect.any(String),
    refreshToken: expect.any(String),
    expiresIn: 1296000,
    reExpiresIn: 2592000,
    nickname: expect.stringMatching(/^支付宝用户/),
    avatarUrl: expect.stringMatching(/^https:/),
  });
  expect(fake.calls().map((c) => c.path)).toEqual([TOKEN, '/gateway.do?method=alipay.user.info.share']);
  expect(outcomes()).toEqual(['alipay:token:ok', 'alipay:userinfo:ok']);
});

it('keys a legacy app on user_id, and refuses an answer without the configured id', async () => {
  makeClient({ appId: LEGACY, keyOn: 'user_id' });
  const signed = fake.authorize({ person: 'bob', appId: LEGACY });
  expect(await client.exchangeAuthCode(signed.authCode)).toMatchObject({ subject: signed.userId, keyOn: 'user_id' });
  makeClient({ keyOn: 'user_id' });
  expect(await codeOf(client.exchangeAuthCode(fake.authorize({ person: 'bob' }).authCode))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
});

it('refuses a replayed, expired, unknown or foreign auth code with PROVIDER_TOKEN_INVALID', async () => {
  const signed = fake.authorize({ person: 'cat' });
  await client.exchangeAuthCode(signed.authCode);
  expect(await codeOf(client.exchangeAuthCode(signed.authCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(outcomes()).toContain('alipay:token:code_isv.code-invalid');
  const late = fake.authorize({ person: 'cat' });
  clock.advance(181);
  expect(await codeOf(client.exchangeAuthCode(late.authCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(await codeOf(client.exchangeAuthCode('0123456789abcdef0123456789abcdef'))).toBe(
    ErrorCode.PROVIDER_TOKEN_INVALID,
  );
  const foreign = fake.authorize({ person: 'cat', appId: LEGACY });
  expect(await codeOf(client.exchangeAuthCode(foreign.authCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(calls.circuitState('alipay')).toBe('closed');
});

it('refuses an answer that does not verify with the Alipay key (PROVIDER_UNAVAILABLE), leaking nothing', async () => {
  makeClient({ alipayPublicKey: stranger.publicKey });
  const failure = client.exchangeAuthCode(fake.authorize({ person: 'dot' }).authCode);
  const message = await messageOf(failure);
  expect(message).not.toContain('authusrB');
  expect(outcomes()).toEqual(['alipay:token:bad_signature']);
  makeClient({ alipayPublicKey: stranger.publicKey });
  expect(await codeOf(client.exchangeAuthCode(fake.authorize({ person: 'dot' }).authCode))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
});

it('takes a request signed with a key Alipay does not know as our fault; the code survives', async () => {
  makeClient({ privateKey: stranger.privateKey });
  const signed = fake.authorize({ person: 'eli' });
  expect(await codeOf(client.exchangeAuthCode(signed.authCode))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(outcomes()).toEqual(['alipay:token:code_isv.invalid-signature']);
  makeClient();
  expect((await client.exchangeAuthCode(signed.authCode)).subject).toBe(signed.openId);
});

it.each([
  ['an empty code', ''],
  ['a code with a space', 'abc def'],
  ['a lone surrogate', 'abc\uDC00def'],
  ['a very long code', 'a'.repeat(200)],
  ['a non-string', { code: 'x' }],
])('answers BAD_USER_INPUT for %s before any call, without touching the breaker', async (_n, code) => {
  for (let i = 0; i < 8; i++) {
    expect(await codeOf(client.exchangeAuthCode(code as string))).toBe(ErrorCode.BAD_USER_INPUT);
  }
  expect(fake.calls()).toHaveLength(0);
  expect(calls.circuitState('alipay')).toBe('closed');
});

it.each([
  ['an HTTP 503', { httpStatus: 503 }],
  ['a garbled body', { malformed: true }],
  ['an answer held past the timeout', { hold: true }],
  ['an Alipay system error', { error: 'isp.unknow-error' }],
])(
  'answers PROVIDER_UNAVAILABLE when the token method fails with %s, without resending the code',
  async (_n, fault) => {
    if ('hold' in fault) makeClient({}, SHORT);
    fake.addFault({ endpoint: 'token', times: 5, ...fault });
    expect(await codeOf(client.exchangeAuthCode(fake.authorize({ person: 'fay' }).authCode))).toBe(
      ErrorCode.PROVIDER_UNAVAILABLE,
    );
    expect(fake.calls(TOKEN)).toHaveLength(1);
  },
);

it("lives with the SDK's own resend after a dropped connection: the resend finds the code spent", async () => {
  fake.addFault({ endpoint: 'token', drop: true, times: 5 });
  expect(await codeOf(client.exchangeAuthCode(fake.authorize({ person: 'gus' }).authCode))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
  expect(fake.calls(TOKEN)).toHaveLength(2);
  fake.reset();
  fake.addFault({ endpoint: 'token', drop: true, times: 1 });
  expect(await codeOf(client.exchangeAuthCode(fake.authorize({ person: 'gus' }).authCode))).toBe(
    ErrorCode.PROVIDER_TOKEN_INVALID,
  );
});

it('signs in without a nickname when the app lacks the product or user info fails', async () => {
  makeClient({ appId: UNSIGNED });
  const signed = fake.authorize({ person: 'hal', appId: UNSIGNED });
  expect(await client.exchangeAuthCode(signed.authCode)).toMatchObject({ subject: signed.openId, nickname: null });
  expect(outcomes()).toContain('alipay:userinfo:code_isv.insufficient-isv-permissions');
  makeClient();
  fake.addFault({ endpoint: 'userinfo', httpStatus: 502, times: 5 });
  const again = fake.authorize({ person: 'hal' });
  expect(await client.exchangeAuthCode(again.authCode)).toMatchObject({ subject: again.openId, nickname: null });
});

it('answers PROVIDER_UNAVAILABLE when Alipay cannot be reached, and PROVIDER_NOT_CONFIGURED without settings', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  makeClient({ gateway: `http://127.0.0.1:${port}/gateway.do` });
  expect(await codeOf(client.exchangeAuthCode('0123456789abcdef0123456789abcdef'))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
  expect(outcomes()).toContain('alipay:token:connect');
  expect(await codeOf(new AlipayClient(null, calls).exchangeAuthCode('abc'))).toBe(ErrorCode.PROVIDER_NOT_CONFIGURED);
});
