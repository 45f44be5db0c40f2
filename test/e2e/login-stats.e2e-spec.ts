import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { authorizeOnPhone, loginAndBind, WechatWorld } from '../support/wechat';

// adminLoginStats after real logins and refusals through the sandbox's in-process fakes: sessions
// per login method (every provider), bindings, and failures by code for every provider's refusals.

const ADMIN = '+8613900000019';
const MINI_APP = 'wxsandboxmini0001';
const STATS = `{ adminLoginStats {
  wechatLogins phoneLogins newUsers bindings failuresByCode { code count } loginsByMethod { method count } } }`;
const SESSION = 'accessToken user { id }';
const RESULT = `isBind bindTicket session { ${SESSION} }`;

interface Stats {
  wechatLogins: number;
  phoneLogins: number;
  newUsers: number;
  bindings: number;
  failuresByCode: { code: string; count: number }[];
  loginsByMethod: { method: string; count: number }[];
}

let t: TestApp;
let world: WechatWorld;
let base: string;
let adminToken: string;

async function post<T = Record<string, string>>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

async function stats(): Promise<Stats> {
  const res = await t.gql<{ adminLoginStats: Stats }>(STATS, undefined, bearer(adminToken));
  if (!res.body.data) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.adminLoginStats;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

async function appleLogin(person: string, nonce = `nonce-${person}`) {
  const a = await post('/sandbox/apple/authorize', { person, nonce: sha256(nonce) });
  return t.gql<{ appleLogin: { isBind: boolean; bindTicket: string | null } }>(
    `mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { ${RESULT} } }`,
    { input: { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce } },
  );
}

async function bindBySms(ticket: string, phone: string): Promise<void> {
  expect(
    (
      await t.gql(`mutation S($i: SendSmsCodeInput!) { sendSmsCode(input: $i) { phone } }`, {
        i: { phone, purpose: 'BIND_PHONE', bindTicket: ticket },
      })
    ).body.errors,
  ).toBeUndefined();
  const res = await t.gql(`mutation B($i: BindPhoneInput!) { bindPhone(input: $i) { ${SESSION} } }`, {
    i: { bindTicket: ticket, phone, smsCode: latestCode(t, phone) },
  });
  expect(res.body.errors).toBeUndefined();
}

const carrierLogin = (token: string) =>
  t.gql(`mutation C($i: CarrierLoginInput!) { carrierLogin(input: $i) { ${SESSION} } }`, { i: { token } });

beforeAll(async () => {
  t = await startTestApp({
    env: { SMS_CONSOLE_LOG_CODES: 'false', ADMIN_PHONES: ADMIN, WECHAT_PHONE_DAILY_CAP: '0' },
  });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  world = { t, fake: t.app.get(FakeWechatServer), fakeBase: `${base}/sandbox/wechat`, close: () => t.close() };
  adminToken = (await loginWithPhone(t, ADMIN)).accessToken;
});

afterAll(async () => {
  await t.close();
});

it('starts with the admin’s own phone login and every method listed, zero included', async () => {
  const first = await stats();
  expect(first.loginsByMethod).toEqual([
    { method: 'WECHAT', count: 0 },
    { method: 'PHONE', count: 1 },
    { method: 'APPLE', count: 0 },
    { method: 'HUAWEI', count: 0 },
    { method: 'QQ', count: 0 },
    { method: 'ALIPAY', count: 0 },
    { method: 'CARRIER', count: 0 },
  ]);
  expect(first.failuresByCode).toEqual([]);
});

it('counts logins of every method, first logins at their phone step', async () => {
  await loginAndBind(world, 'stats-wechat', nextPhone('137')); // WeChat: bind (a session)
  const apple = await appleLogin('stats-apple'); // Apple: bind ticket, then bind by SMS
  await bindBySms(apple.body.data!.appleLogin.bindTicket!, nextPhone('137'));
  expect((await appleLogin('stats-apple')).body.data!.appleLogin.isBind).toBe(true); // returning
  const huawei = await post('/sandbox/huawei/authorize', { person: 'stats-huawei', phone: '13700000021' });
  const res = await t.gql(`mutation H($i: HuaweiLoginInput!) { huaweiLogin(input: $i) { ${RESULT} } }`, {
    i: { authorizationCode: huawei.authorizationCode },
  });
  expect(res.body.errors).toBeUndefined();
  const { token } = await post('/sandbox/carrier/token', { phone: '13700000022' });
  expect((await carrierLogin(token)).body.errors).toBeUndefined();

  const after = await stats();
  expect(after.loginsByMethod).toEqual([
    { method: 'WECHAT', count: 1 },
    { method: 'PHONE', count: 1 },
    { method: 'APPLE', count: 2 },
    { method: 'HUAWEI', count: 1 },
    { method: 'QQ', count: 0 },
    { method: 'ALIPAY', count: 0 },
    { method: 'CARRIER', count: 1 },
  ]);
  expect(after.bindings).toBe(3); // the phone steps of WeChat and Apple, and Huawei's own phone
  expect(after.phoneLogins).toBe(1);
  expect(after.wechatLogins).toBe(0); // returning WeChat logins only, as before
});

it('counts every provider’s refusals by code', async () => {
  // Carrier: a token used twice.
  const { token } = await post('/sandbox/carrier/token', { phone: '13700000023' });
  await carrierLogin(token);
  expect(errorCode(await carrierLogin(token))).toBe('CARRIER_TOKEN_INVALID');
  // Apple: a nonce that is not the one signed.
  const a = await post('/sandbox/apple/authorize', { person: 'stats-bad', nonce: sha256('right') });
  const wrong = await t.gql(`mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { isBind } }`, {
    input: { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce: 'wrong' },
  });
  expect(errorCode(wrong)).toBe('PROVIDER_TOKEN_INVALID');
  // Huawei: an unknown code.
  const huawei = await t.gql(`mutation H($i: HuaweiLoginInput!) { huaweiLogin(input: $i) { isBind } }`, {
    i: { authorizationCode: 'DQB-unknown' },
  });
  expect(errorCode(huawei)).toBe('PROVIDER_TOKEN_INVALID');
  // Mini program: the phone button over the daily cap (0 here).
  const { code } = world.fake.miniProgramLogin({ appid: MINI_APP, person: 'stats-mini' });
  const mini = await t.gql<{ wechatMiniProgramLogin: { bindTicket: string } }>(
    `mutation M($i: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $i) { ${RESULT} } }`,
    { i: { code, appId: MINI_APP } },
  );
  const { phoneCode } = world.fake.phoneCode({ appid: MINI_APP, person: 'stats-mini', phone: '13700000024' });
  const capped = await t.gql(
    `mutation P($i: MiniProgramBindPhoneInput!) { wechatMiniProgramBindPhone(input: $i) { accessToken } }`,
    { i: { bindTicket: mini.body.data!.wechatMiniProgramLogin.bindTicket, phoneCode } },
  );
  expect(errorCode(capped)).toBe('PHONE_QUOTA_EXCEEDED');
  // SMS: a second code for one phone within the minute.
  const phone = nextPhone('137');
  expect((await sendCode(t, phone)).body.errors).toBeUndefined();
  expect(errorCode(await sendCode(t, phone))).toBe('SMS_RATE_LIMITED');
  // WeChat (already counted before this change, kept): a code used with another state.
  const auth = await authorizeOnPhone(world, { person: 'stats-wechat-bad' });
  await t.gql(`mutation W($i: WechatLoginInput!) { wechatLogin(input: $i) { isBind } }`, {
    i: { code: auth.code, state: 'not-the-state', deviceId: 'device-1' },
  });

  const failures = Object.fromEntries((await stats()).failuresByCode.map((f) => [f.code, f.count]));
  expect(failures).toMatchObject({
    CARRIER_TOKEN_INVALID: 1,
    PROVIDER_TOKEN_INVALID: 2,
    PHONE_QUOTA_EXCEEDED: 1,
    SMS_RATE_LIMITED: 1,
  });
  expect(Object.keys(failures).length).toBeGreaterThanOrEqual(5);
  // Each refusal once, however many layers saw it.
  expect(Object.values(failures).reduce((a, b) => a + b, 0)).toBe(Object.keys(failures).length + 1);
});
