import { AlipaySdk } from 'alipay-sdk';
import { createSign, createVerify, generateKeyPairSync, KeyObject } from 'node:crypto';
import { FakeAlipayServer } from '../../src/sandbox/alipay/fake-alipay';
import { fakeHttp } from './fake-http';

// What providers-api.md part 3 asks of the Alipay fake, over real HTTP: driven by the official
// alipay-sdk (which signs requests and verifies answers RSA2) and by hand-made requests for what the
// SDK would never send (forged signatures), the fake running alone with its own movable clock.

const APP = '2021000000000001';
const LEGACY = '2021000000000002';
const UNSIGNED = '2021000000000003';
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: KeyObject): string =>
  key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();

let fake: FakeAlipayServer;
let base = '';
let alipayPublicKey: KeyObject;
const http = fakeHttp(() => base);

beforeAll(async () => {
  fake = new FakeAlipayServer({
    apps: [
      { appId: APP, publicKey: appKeys.publicKey },
      { appId: LEGACY, publicKey: appKeys.publicKey, idType: 'user_id' },
      { appId: UNSIGNED, publicKey: appKeys.publicKey, userInfoSigned: false },
    ],
  });
  base = await fake.listen(0);
  alipayPublicKey = await fake.alipayPublicKey();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function sdk(appId = APP, privateKey = appKeys.privateKey): AlipaySdk {
  return new AlipaySdk({
    appId,
    privateKey: pem(privateKey),
    keyType: 'PKCS8',
    alipayPublicKey: pem(alipayPublicKey),
    gateway: `${base}/gateway.do`,
    camelcase: false,
  });
}

const authorize = async (body: Record<string, string>) => (await http.post('/authorize', body)).json;
const exchange = (code: string, client = sdk(), validateSign = false) =>
  client.exec('alipay.system.oauth.token', { grant_type: 'authorization_code', code }, { validateSign });

/** A gateway request signed by hand, as the SDK would, then optionally tampered with. */
async function handMade(params: Record<string, string>, tamper: Record<string, string> = {}) {
  const all: Record<string, string> = {
    app_id: APP,
    method: 'alipay.system.oauth.token',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2026-01-01 00:00:00',
    version: '1.0',
    ...params,
  };
  const content = Object.keys(all)
    .sort()
    .map((key) => `${key}=${all[key]}`)
    .join('&');
  all.sign = createSign('RSA-SHA256').update(content).sign(appKeys.privateKey, 'base64');
  return http.get('/gateway.do', { ...all, ...tamper });
}

it('exchanges an auth code through the official SDK, its answer verifying with the fake Alipay key', async () => {
  const signed = await authorize({ person: 'ann' });
  const result = await exchange(signed.authCode as string, sdk(), true);
  expect(result).toEqual({
    open_id: signed.openId,
    access_token: expect.stringMatching(/^authusrB/),
    expires_in: 1296000,
    refresh_token: expect.any(String),
    re_expires_in: 2592000,
    auth_start: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
  });
  // The same person: the same user_id everywhere, an open_id per app; a legacy app gets the user_id.
  const legacy = await authorize({ person: 'ann', appId: LEGACY });
  expect(legacy.userId).toBe(signed.userId);
  expect(legacy.userId).toMatch(/^2088\d{12}$/);
  expect(legacy.openId).not.toBe(signed.openId);
  expect(await exchange(legacy.authCode as string, sdk(LEGACY), true)).toMatchObject({ user_id: signed.userId });
  expect(await exchange(legacy.authCode as string, sdk(LEGACY))).not.toHaveProperty('user_id');
});

it("signs the exact text of the response object, in Alipay's envelope", async () => {
  const signed = await authorize({ person: 'bea' });
  const raw = await handMade({ grant_type: 'authorization_code', code: signed.authCode as string });
  const match = /^\{"alipay_system_oauth_token_response":(\{.*\}),"sign":"([^"]+)"\}$/.exec(raw.text);
  expect(match).not.toBeNull();
  expect(createVerify('RSA-SHA256').update(match![1]).verify(alipayPublicKey, match![2], 'base64')).toBe(true);
  expect(JSON.parse(match![1])).toMatchObject({ open_id: signed.openId });
});

it('spends an auth code on first use and lets it lapse after 3 minutes on its clock', async () => {
  const first = await authorize({ person: 'cal' });
  await exchange(first.authCode as string);
  const replay = await exchange(first.authCode as string);
  expect(replay).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid' });
  const late = await authorize({ person: 'cal' });
  await http.post('/clock', { advanceSeconds: 181 });
  expect(await exchange(late.authCode as string)).toMatchObject({ sub_code: 'isv.code-invalid' });
  const raw = await handMade({ grant_type: 'authorization_code', code: late.authCode as string });
  expect(raw.text).toMatch(/^\{"error_response":\{"code":"40002",.*\},"sign":"[^"]+"\}$/);
  // A code of another app is no good here.
  const foreign = await authorize({ person: 'cal', appId: LEGACY });
  expect(await exchange(foreign.authCode as string)).toMatchObject({ sub_code: 'isv.code-invalid' });
});

it('refuses forged or tampered signatures and unknown apps, without spending the code', async () => {
  const signed = await authorize({ person: 'dot' });
  const code = signed.authCode as string;
  expect(await exchange(code, sdk(APP, strangerKeys.privateKey))).toMatchObject({ sub_code: 'isv.invalid-signature' });
  const tampered = await handMade({ grant_type: 'authorization_code', code: 'something-else' }, { code });
  expect(tampered.json.error_response).toMatchObject({ sub_code: 'isv.invalid-signature' });
  expect((await handMade({}, { sign: '' })).json.error_response).toMatchObject({ sub_code: 'isv.missing-signature' });
  expect((await handMade({ sign_type: 'RSA' })).json.error_response).toMatchObject({
    sub_code: 'isv.invalid-signature-type',
  });
  expect(await exchange(code, sdk('2021999999999999'))).toMatchObject({ sub_code: 'isv.invalid-app-id' });
  expect(await exchange(code, sdk(), true)).toMatchObject({ open_id: signed.openId });
});

it('answers alipay.user.info.share for a live token, and its errors in the method’s own envelope', async () => {
  const signed = await authorize({ person: 'eli' });
  const tokens = await exchange(signed.authCode as string);
  const info = await sdk().exec('alipay.user.info.share', { auth_token: tokens.access_token }, { validateSign: true });
  expect(info).toMatchObject({ code: '10000', msg: 'Success', open_id: signed.openId, nick_name: expect.any(String) });
  expect(await sdk().exec('alipay.user.info.share', { auth_token: 'authusrBnope' })).toMatchObject({
    code: '20001',
    sub_code: 'aop.invalid-auth-token',
  });
  const other = await authorize({ person: 'eli', appId: UNSIGNED });
  const otherTokens = await exchange(other.authCode as string, sdk(UNSIGNED));
  expect(await sdk(UNSIGNED).exec('alipay.user.info.share', { auth_token: otherTokens.access_token })).toMatchObject({
    code: '40006',
    sub_code: 'isv.insufficient-isv-permissions',
  });
});

it('injects faults; a lost answer spends the code; the call log names the method, never the code', async () => {
  const signed = await authorize({ person: 'fin' });
  const code = signed.authCode as string;
  await http.post('/faults', { endpoint: 'token', error: 'isp.unknow-error', times: 1 });
  await http.post('/faults', { endpoint: 'token', httpStatus: 502, times: 1 });
  await http.post('/faults', { endpoint: 'token', malformed: true, times: 1 });
  expect(await exchange(code)).toMatchObject({ code: '20000', sub_code: 'isp.unknow-error' });
  await expect(exchange(code)).rejects.toThrow(/status: 502/);
  await expect(exchange(code)).rejects.toThrow();
  expect(await exchange(code)).toMatchObject({ sub_code: 'isv.code-invalid' });
  // A raw request sees the drop; the code is spent all the same.
  const next = await authorize({ person: 'fin' });
  await http.post('/faults', { endpoint: 'token', drop: true, times: 1 });
  await expect(handMade({ grant_type: 'authorization_code', code: next.authCode as string })).rejects.toThrow();
  expect(await exchange(next.authCode as string)).toMatchObject({ sub_code: 'isv.code-invalid' });
  // The SDK's HTTP client (urllib) resends once after a socket error: the resent code is spent.
  const last = await authorize({ person: 'fin' });
  await http.post('/faults', { endpoint: 'token', drop: true, times: 1 });
  const before = fake.calls().length;
  expect(await exchange(last.authCode as string)).toMatchObject({ sub_code: 'isv.code-invalid' });
  expect(fake.calls().length - before).toBe(2);
  expect((await http.post('/faults', { endpoint: 'gateway', drop: true })).status).toBe(400);
  const calls = await http.get('/calls', { path: '/gateway.do?method=alipay.system.oauth.token' });
  expect(calls.json.calls).toHaveLength(8);
  expect((await http.get('/calls')).text).not.toContain(code);
});
