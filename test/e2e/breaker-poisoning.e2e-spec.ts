import type { AddressInfo } from 'node:net';
import { AlibabaCarrierClient, CarrierClient } from '../../src/providers/carrier/carrier.client';
import { ProviderCalls } from '../../src/providers/provider-calls';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { WechatApiClient } from '../../src/wechat/wechat-api.client';
import { errorCode, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 18 (4): what a client sends can never open a provider's circuit breaker for everyone. Input
// that is not a well-formed token is refused before any call, and an exception our own process
// throws before a request leaves (an SDK encoding the input) is not counted as the provider failing.
const MINI = {
  appId: 'wxbrkmini00000001',
  secret: 'brkminisecret000000000000000001',
  channel: 'mini_program' as const,
};
const LONE_SURROGATE = 'tok\ud800en';
const CARRIER_LOGIN = `mutation C($input: CarrierLoginInput!) { carrierLogin(input: $input) { user { phone } } }`;
const APPLE_LOGIN = `mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { isBind } }`;
const HUAWEI_LOGIN = `mutation H($input: HuaweiLoginInput!) { huaweiLogin(input: $input) { isBind } }`;
const MINI_LOGIN = `mutation M($input: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $input) { isBind } }`;
const WECHAT_LOGIN = `mutation W($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind } }`;

describe('malformed client input and the circuit breakers', () => {
  let t: TestApp;
  let fake: FakeWechatServer;
  let base: string;

  const post = async (path: string, body: unknown): Promise<Record<string, string>> =>
    (await (
      await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as Record<string, string>;
  const carrierToken = async (phone: string) => (await post('/sandbox/carrier/token', { phone: phone.slice(3) })).token;
  const metrics = async () => (await fetch(`${base}/metrics`)).text();

  beforeAll(async () => {
    fake = new FakeWechatServer({ apps: [MINI] });
    const wechatBase = await fake.listen(0);
    t = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        THROTTLE_PUBLIC_PER_MINUTE: '1000',
        WECHAT_API_BASE: wechatBase,
        WECHAT_OPEN_BASE: wechatBase,
        WECHAT_APPS: `${MINI.channel}:${MINI.appId}:${MINI.secret}`,
      },
    });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('twenty tokens with a lone surrogate, to every provider, are BAD_USER_INPUT and no call is made', async () => {
    fake.clearCalls();
    const answers: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push(errorCode(await t.gql(CARRIER_LOGIN, { input: { token: LONE_SURROGATE } })));
      answers.push(
        errorCode(await t.gql(APPLE_LOGIN, { input: { identityToken: LONE_SURROGATE, authorizationCode: 'c' } })),
      );
      answers.push(errorCode(await t.gql(HUAWEI_LOGIN, { input: { authorizationCode: LONE_SURROGATE } })));
      answers.push(errorCode(await t.gql(MINI_LOGIN, { input: { code: LONE_SURROGATE } })));
      answers.push(errorCode(await t.gql(WECHAT_LOGIN, { input: { code: `\u0000${LONE_SURROGATE}` } })));
    }
    expect(answers).toEqual(Array(20).fill('BAD_USER_INPUT'));
    expect(fake.calls()).toEqual([]);
    const calls = t.app.get(ProviderCalls);
    expect(['carrier', 'apple', 'huawei'].map((p) => calls.circuitState(p as never))).toEqual([
      'closed',
      'closed',
      'closed',
    ]);
    expect(t.app.get(WechatApiClient).circuitState(MINI.appId)).toBe('closed');
    expect(await metrics()).not.toMatch(/wechat_login_provider_calls_total\{[^}]*outcome="(network|refused|http)/);
  });

  it('clients called directly refuse such codes as invalid, before any request, and count nothing', async () => {
    const wechat = t.app.get(WechatApiClient);
    fake.clearCalls();
    for (let i = 0; i < 10; i++) {
      await expect(wechat.miniProgramSession(MINI.appId, LONE_SURROGATE)).rejects.toMatchObject({ kind: 'bad-input' });
      await expect(t.app.get(CarrierClient).getMobile(LONE_SURROGATE)).rejects.toMatchObject({
        code: 'CARRIER_TOKEN_INVALID',
      });
    }
    expect(fake.calls()).toEqual([]);
    expect(wechat.circuitState(MINI.appId)).toBe('closed');
    expect(t.app.get(ProviderCalls).circuitState('carrier')).toBe('closed');
  });

  it('an SDK throwing locally before it sends (URIError) answers INTERNAL, never opens the breaker; others log in', async () => {
    const carrier = t.app.get(CarrierClient) as AlibabaCarrierClient;
    const sdk = { getMobile: () => Promise.reject(new URIError('URI malformed')) };
    const spy = jest.spyOn(carrier as never as { client(): unknown }, 'client').mockReturnValue(sdk);
    const before = await metrics();
    try {
      const answers: unknown[] = [];
      for (let i = 0; i < 10; i++) answers.push(errorCode(await t.gql(CARRIER_LOGIN, { input: { token: `t${i}` } })));
      expect(answers).toEqual(Array(10).fill('INTERNAL'));
      expect(t.app.get(ProviderCalls).circuitState('carrier')).toBe('closed');
    } finally {
      spy.mockRestore();
    }
    const after = await metrics();
    expect(after).toContain(
      'wechat_login_provider_calls_total{provider="carrier",operation="getmobile",outcome="not_sent_local"} 10',
    );
    expect(before).not.toContain('outcome="not_sent_local"');
    const phone = nextPhone('186');
    const good = await t.gql<{ carrierLogin: { user: { phone: string } } }>(CARRIER_LOGIN, {
      input: { token: await carrierToken(phone) },
    });
    expect(good.body.errors).toBeUndefined();
    expect(good.body.data!.carrierLogin.user.phone).toBe(phone);
  });
});
