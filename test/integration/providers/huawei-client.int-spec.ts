import { Clock } from '../../../src/common/clock';
import { SANDBOX_HUAWEI } from '../../../src/config/providers-config';
import { ErrorCode } from '../../../src/errors/error-code';
import { FakeHuaweiServer } from '../../../src/sandbox/huawei/fake-huawei';
import { HuaweiClient } from '../../../src/providers/huawei/huawei.client';
import { ProviderCallEvent } from '../../../src/providers/provider-calls';
import { codeOf, messageOf, providerCalls, providerConfig, SHORT } from '../../support/providers';

// HuaweiClient against the fake Huawei ID server over real HTTP.

let fake: FakeHuaweiServer;
let client: HuaweiClient;
let clock: Clock;
let events: ProviderCallEvent[];
let base: string;

beforeAll(async () => {
  clock = new Clock(true);
  fake = new FakeHuaweiServer({ ...SANDBOX_HUAWEI, now: () => clock.nowMs() });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

function makeClient(env: Record<string, string> = {}): void {
  const config = providerConfig({ HUAWEI_OAUTH_BASE: base, HUAWEI_ACCOUNT_BASE: base, ...env });
  const made = providerCalls(config);
  events = made.events;
  client = new HuaweiClient(config, made.calls, clock);
}

beforeEach(() => {
  fake.reset();
  makeClient();
});

it('exchanges a code: verified id_token, OpenID, UnionID, tokens, and the phone in E.164', async () => {
  const signed = fake.authorize({ person: 'alice', phone: '13800138000' });
  const identity = await client.exchangeCode(signed.authorizationCode);
  expect(identity).toEqual({
    openId: signed.openId,
    unionId: signed.unionId,
    accessToken: expect.any(String),
    refreshToken: expect.any(String),
    expiresIn: 3600,
    phone: '+8613800138000',
  });
  expect(fake.calls().map((c) => c.path)).toEqual(['/oauth2/v3/token', '/oauth2/v3/certs', '/rest.php']);
  expect(events.map((e) => `${e.operation}:${e.outcome}`)).toEqual(['token:ok', 'keys:ok', 'userinfo:ok']);
});

it('gives no phone when the phone scope was not granted; the UnionID is the same for the same person', async () => {
  const first = await client.exchangeCode(fake.authorize({ person: 'bob' }).authorizationCode);
  expect(first.phone).toBeNull();
  const again = await client.exchangeCode(fake.authorize({ person: 'bob' }).authorizationCode);
  expect(again.unionId).toBe(first.unionId);
  expect(again.openId).toBe(first.openId);
});

it('refuses a replayed, expired or unknown code with PROVIDER_TOKEN_INVALID', async () => {
  const signed = fake.authorize({ person: 'carol' });
  await client.exchangeCode(signed.authorizationCode);
  expect(await codeOf(client.exchangeCode(signed.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  const late = fake.authorize({ person: 'carol' });
  clock.advance(301);
  expect(await codeOf(client.exchangeCode(late.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(await codeOf(client.exchangeCode('DQB-unknown'))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
});

it('refuses an id_token for another issuer', async () => {
  makeClient({ HUAWEI_ISSUER: 'https://elsewhere.example' });
  const signed = fake.authorize({ person: 'dan' });
  expect(await codeOf(client.exchangeCode(signed.authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
});

it('treats a refused client secret as our fault (PROVIDER_UNAVAILABLE), never echoing it', async () => {
  makeClient({ HUAWEI_CLIENT_ID: SANDBOX_HUAWEI.clientId, HUAWEI_CLIENT_SECRET: 'wrong-secret-value-123' });
  const signed = fake.authorize({ person: 'erin' });
  const failure = client.exchangeCode(signed.authorizationCode);
  expect(await codeOf(failure)).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(await messageOf(client.exchangeCode(signed.authorizationCode))).not.toContain('wrong-secret-value-123');
  expect(events).toContainEqual(expect.objectContaining({ operation: 'token', outcome: 'error_1102' }));
});

it.each([
  ['an HTTP 503', { httpStatus: 503 }],
  ['a dropped connection', { drop: true }],
  ['a garbled body', { malformed: true }],
  ['an answer held past the timeout', { hold: true }],
])('answers PROVIDER_UNAVAILABLE when the token endpoint fails with %s, without retrying', async (_n, fault) => {
  if ('hold' in fault) makeClient(SHORT);
  fake.addFault({ endpoint: 'token', times: 5, ...fault });
  const signed = fake.authorize({ person: 'frank' });
  expect(await codeOf(client.exchangeCode(signed.authorizationCode))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect(fake.calls('/oauth2/v3/token')).toHaveLength(1);
  if ('hold' in fault) expect(events.map((e) => `${e.operation}:${e.outcome}`)).toEqual(['token:timeout']);
});

it('maps an injected error 1101 to PROVIDER_TOKEN_INVALID', async () => {
  fake.addFault({ endpoint: 'token', error: '1101', times: 1 });
  expect(await codeOf(client.exchangeCode(fake.authorize({ person: 'gina' }).authorizationCode))).toBe(
    ErrorCode.PROVIDER_TOKEN_INVALID,
  );
});

it.each([
  ['certs', { httpStatus: 500, times: 5 }],
  ['certs', { hold: true, times: 5 }],
  ['userinfo', { httpStatus: 502, times: 5 }],
  ['userinfo', { malformed: true, times: 5 }],
])('answers PROVIDER_UNAVAILABLE when %s keeps failing (%o)', async (endpoint, fault) => {
  if ('hold' in fault) makeClient(SHORT);
  fake.addFault({ endpoint, ...fault });
  expect(await codeOf(client.exchangeCode(fake.authorize({ person: 'hana' }).authorizationCode))).toBe(
    ErrorCode.PROVIDER_UNAVAILABLE,
  );
});

it('retries the user-info call (safe) through one failure', async () => {
  fake.addFault({ endpoint: 'userinfo', httpStatus: 503, times: 1 });
  const identity = await client.exchangeCode(fake.authorize({ person: 'ivan' }).authorizationCode);
  expect(identity.unionId).toBeTruthy();
  expect(fake.calls('/rest.php')).toHaveLength(2);
});
