import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DomainError } from '../../src/errors/domain-error';
import { ErrorCode } from '../../src/errors/error-code';
import { AppleClient } from '../../src/providers/apple/apple.client';
import { CarrierClient } from '../../src/providers/carrier/carrier.client';
import { HuaweiClient } from '../../src/providers/huawei/huawei.client';
import { startTestApp, TestApp } from '../support/test-app';
import { leakedSecrets } from '../support/log-secrets';

// The zero-config sandbox: all three providers configured against their in-process fakes under
// /sandbox/<provider>, reached over real HTTP on the service's own port, on the service's clock.

let t: TestApp;
let base: string;

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}${path}`)).json()) as Record<string, unknown>;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'no error';
}

beforeAll(async () => {
  t = await startTestApp({ env: { PROVIDER_TIMEOUT_MS: '15000', PROVIDER_BUDGET_MS: '30000' } });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t.close();
});

it('configures every provider in the zero-config sandbox', () => {
  expect(t.app.get(AppleClient).configured).toBe(true);
  expect(t.app.get(HuaweiClient).configured).toBe(true);
  expect(t.app.get(CarrierClient).configured).toBe(true);
});

it('Sign in with Apple end to end: verify, exchange, revoke at the in-process fake', async () => {
  const apple = t.app.get(AppleClient);
  const nonce = 'raw-nonce-e2e';
  const authorized = await post('/sandbox/apple/authorize', {
    person: 'e2e-alice',
    nonce: createHash('sha256').update(nonce).digest('hex'),
  });
  expect(authorized.status).toBe(200);
  const { identityToken, authorizationCode, sub } = authorized.json as Record<string, string>;
  const identity = await apple.verifyIdentityToken(identityToken, nonce);
  expect(identity).toMatchObject({ sub, bundleId: apple.bundleIds[0], isPrivateEmail: true });
  const tokens = await apple.exchangeCode(identity.bundleId, authorizationCode);
  expect(tokens.sub).toBe(sub);
  expect(await codeOf(apple.exchangeCode(identity.bundleId, authorizationCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  await apple.revoke(identity.bundleId, tokens.refreshToken);
  expect((await get('/sandbox/apple/revocations')).revocations).toEqual([expect.objectContaining({ sub })]);
  const calls = (await get('/sandbox/apple/calls?path=/auth/revoke')).calls as { path: string; at: string }[];
  expect(calls).toHaveLength(1);
  expect(JSON.stringify(await get('/sandbox/apple/calls'))).not.toContain(tokens.refreshToken);
  expect(leakedSecrets(t.logs, [authorizationCode, tokens.refreshToken, identityToken.split('.')[2]])).toEqual([]);
});

it('Huawei ID end to end, with the phone', async () => {
  const authorized = await post('/sandbox/huawei/authorize', { person: 'e2e-bob', phone: '13900139000' });
  const { authorizationCode, openId, unionId } = authorized.json as Record<string, string>;
  const identity = await t.app.get(HuaweiClient).exchangeCode(authorizationCode);
  expect(identity).toMatchObject({ openId, unionId, phone: '+8613900139000' });
});

it('carrier one-tap end to end through the SDK, single use', async () => {
  const carrier = t.app.get(CarrierClient);
  const { token } = (await post('/sandbox/carrier/token', { phone: '13700137000' })).json as { token: string };
  expect(await carrier.getMobile(token)).toBe('+8613700137000');
  expect(await codeOf(carrier.getMobile(token))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  // The token travels in the fake's query string; request logs carry the path only.
  expect(t.logs.join('\n')).toContain('/sandbox/carrier');
  expect(leakedSecrets(t.logs, [token, '13700137000'])).toEqual([]);
});

it('POST /sandbox/clock moves the fakes: codes and tokens expire', async () => {
  const code = (await post('/sandbox/apple/authorize', { person: 'e2e-carol' })).json.authorizationCode as string;
  const { token } = (await post('/sandbox/carrier/token', { phone: '13700137001' })).json as { token: string };
  const huaweiCode = (await post('/sandbox/huawei/authorize', { person: 'e2e-carol' })).json
    .authorizationCode as string;
  expect((await post('/sandbox/clock', { advanceSeconds: 301 })).status).toBe(200);
  const apple = t.app.get(AppleClient);
  expect(await codeOf(apple.exchangeCode(apple.bundleIds[0], code))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
  expect(await codeOf(t.app.get(CarrierClient).getMobile(token))).toBe(ErrorCode.CARRIER_TOKEN_INVALID);
  expect(await codeOf(t.app.get(HuaweiClient).exchangeCode(huaweiCode))).toBe(ErrorCode.PROVIDER_TOKEN_INVALID);
});

it('injects and clears faults over HTTP, and counts outcomes in /metrics', async () => {
  const fault = await post('/sandbox/carrier/faults', { endpoint: 'getmobile', error: 'isv.OUT_OF_SERVICE', times: 1 });
  expect(fault.status).toBe(200);
  const { token } = (await post('/sandbox/carrier/token', { phone: '13700137002' })).json as { token: string };
  expect(await codeOf(t.app.get(CarrierClient).getMobile(token))).toBe(ErrorCode.PROVIDER_UNAVAILABLE);
  expect((await post('/sandbox/apple/faults', { endpoint: 'nope', httpStatus: 500 })).status).toBe(400);
  await post('/sandbox/huawei/faults', { endpoint: 'token', httpStatus: 500, times: 3 });
  expect((await fetch(`${base}/sandbox/huawei/faults`, { method: 'DELETE' })).status).toBe(200);
  expect((await get('/sandbox/huawei/faults')).faults).toEqual([]);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toContain('wechat_login_provider_calls_total{provider="carrier",operation="getmobile",outcome="ok"}');
  expect(metrics).toContain(
    'wechat_login_provider_calls_total{provider="carrier",operation="getmobile",outcome="code_isv.OUT_OF_SERVICE"} 1',
  );
  expect(metrics).toContain('wechat_login_provider_call_duration_seconds_bucket{le="0.025",provider="apple"');
  expect(metrics).toContain('wechat_login_provider_circuit_open{provider="carrier"} 0');
});

it('follows the service to a new port (supertest listens on a fresh port per request)', async () => {
  const server = t.app.getHttpServer();
  // Warm the cached key sets and SDK client on the current port, then move.
  const first = (await post('/sandbox/carrier/token', { phone: '13700137003' })).json.token as string;
  expect(await t.app.get(CarrierClient).getMobile(first)).toBe('+8613700137003');
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { token } = (await post('/sandbox/carrier/token', { phone: '13700137004' })).json as { token: string };
  expect(await t.app.get(CarrierClient).getMobile(token)).toBe('+8613700137004');
  const { identityToken, sub } = (await post('/sandbox/apple/authorize', { person: 'e2e-moved' })).json as Record<
    string,
    string
  >;
  expect((await t.app.get(AppleClient).verifyIdentityToken(identityToken)).sub).toBe(sub);
});
