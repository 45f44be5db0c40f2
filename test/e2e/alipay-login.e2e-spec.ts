import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone } from '../support/flows';
import { GqlResponse, startTestApp, TestApp } from '../support/test-app';

// Alipay login through GraphQL against the sandbox's in-process fake gateway (real HTTP on the
// service's own port, RSA2 signatures both ways through the official alipay-sdk, one clock). The
// sandbox configures one app keyed on open_id; this file adds a second one keyed on user_id, and a
// third whose "Alipay public key" is not the one the gateway signs with (a forged answer).

const SANDBOX_APP = '2021000000000001';
const LEGACY_APP = '2021000000000002';
const FORGED_APP = '2021000000000003';

const SESSION = 'accessToken refreshToken user { id phone nickname identities { provider appId } }';
const RESULT = `isBind bindTicket session { ${SESSION} }`;
const LOGIN = `mutation A($input: AlipayLoginInput!) { alipayLogin(input: $input) { ${RESULT} } }`;
const LINK = 'mutation L($input: AlipayLoginInput!) { linkAlipay(input: $input) { id identities { provider appId } } }';
const BIND = `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { ${SESSION} } }`;
const TOKEN_CALLS = `/sandbox/alipay/calls?path=${encodeURIComponent('/gateway.do?method=alipay.system.oauth.token')}`;

interface SessionData {
  accessToken: string;
  refreshToken: string;
  user: {
    id: string;
    phone: string | null;
    nickname: string | null;
    identities: { provider: string; appId: string }[];
  };
}
interface Result {
  isBind: boolean;
  bindTicket: string | null;
  session: SessionData | null;
}
interface Approval {
  authCode: string;
  userId: string;
  openId: string;
}

let t: TestApp;
let base: string;

async function post<T = Record<string, string>>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

const authorize = (person: string, appId?: string): Promise<Approval> =>
  post<Approval>('/sandbox/alipay/authorize', { person, ...(appId ? { appId } : {}) });

async function tokenCalls(): Promise<number> {
  return ((await (await fetch(`${base}${TOKEN_CALLS}`)).json()) as { calls: unknown[] }).calls.length;
}

function login(input: Record<string, unknown>): Promise<GqlResponse<{ alipayLogin: Result }>> {
  return t.gql<{ alipayLogin: Result }>(LOGIN, { input });
}

async function loggedIn(input: Record<string, unknown>): Promise<Result> {
  const res = await login(input);
  if (!res.body.data) throw new Error(`alipayLogin: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.alipayLogin;
}

async function bindBySms(ticket: string, phone: string): Promise<SessionData> {
  const sent = await t.gql('mutation S($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
    input: { phone, purpose: 'BIND_PHONE', bindTicket: ticket },
  });
  expect(sent.body.errors).toBeUndefined();
  const res = await t.gql<{ bindPhone: SessionData }>(BIND, {
    input: { bindTicket: ticket, phone, smsCode: latestCode(t, phone) },
  });
  if (!res.body.data) throw new Error(`bindPhone: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.bindPhone;
}

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await t.app.get(Database).dataSource.query(sql, params)) as T[];
}

async function rows(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'identities', 'sessions', 'bind_tickets']) {
    const [row] = await query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number(row.n);
  }
  return out;
}

beforeAll(async () => {
  // The third app's "Alipay public key" belongs to nobody: every answer fails its signature check.
  const nobody = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forgedAppKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  t = await startTestApp({
    env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_TIMEOUT_MS: '15000', PROVIDER_BUDGET_MS: '30000' },
    override: (config) => ({
      ...config,
      providers: {
        ...config.providers,
        alipay: {
          gateway: null,
          apps: [
            ...config.providers.alipay!.apps,
            { appId: LEGACY_APP, keyOn: 'user_id', keys: null },
            {
              appId: FORGED_APP,
              keyOn: 'open_id',
              keys: { privateKey: forgedAppKey.privateKey, alipayPublicKey: nobody.publicKey },
            },
          ],
        },
      },
    }),
  });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t.close();
});

beforeEach(async () => {
  await post('/sandbox/alipay/reset', {});
});

describe('alipayLogin', () => {
  it('a new person binds a phone first; the same person then logs straight in, keyed on the open_id', async () => {
    const approval = await authorize('ali-ann');
    const first = await loggedIn({ authCode: approval.authCode, deviceId: 'ann-phone' });
    expect(first).toMatchObject({ isBind: false, session: null, bindTicket: expect.any(String) });

    const phone = nextPhone('135');
    const bound = await bindBySms(first.bindTicket!, phone);
    expect(bound.user).toMatchObject({ phone, identities: [{ provider: 'ALIPAY', appId: SANDBOX_APP }] });
    // alipay.user.info.share's nickname (the fake's app signed that product).
    expect(bound.user.nickname).toMatch(/^支付宝用户\d{4}$/);
    const [identity] = await query<{ subject: string; unionid: string | null }>(
      "SELECT subject, unionid FROM identities WHERE provider = 'alipay' AND user_id = ?",
      [bound.user.id],
    );
    expect(identity).toEqual({ subject: approval.openId, unionid: null });

    const again = await loggedIn({ authCode: (await authorize('ali-ann')).authCode });
    expect(again).toMatchObject({ isBind: true, bindTicket: null, session: { user: { id: bound.user.id, phone } } });
  });

  it('an app keyed on user_id is another identity: no unionid, so one person in two apps stays two users', async () => {
    const viaSandbox = await loggedIn({ authCode: (await authorize('ali-two-apps')).authCode });
    const phone = nextPhone('136');
    const owner = await bindBySms(viaSandbox.bindTicket!, phone);

    const legacy = await authorize('ali-two-apps', LEGACY_APP);
    expect(legacy.userId).toMatch(/^2088\d{12}$/);
    const viaLegacy = await loggedIn({ authCode: legacy.authCode, appId: LEGACY_APP });
    expect(viaLegacy).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
    // Nothing tells that the two apps' identities are one person: the phone stays with its user...
    await post('/sandbox/clock', { advanceSeconds: 61 });
    const sent = await t.gql('mutation S($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }', {
      input: { phone, purpose: 'BIND_PHONE', bindTicket: viaLegacy.bindTicket },
    });
    expect(sent.body.errors).toBeUndefined();
    const refused = await t.gql(BIND, {
      input: { bindTicket: viaLegacy.bindTicket, phone, smsCode: latestCode(t, phone) },
    });
    expect(errorCode(refused)).toBe('PHONE_ALREADY_BOUND');
    // ...and that user cannot take a second Alipay app's identity either.
    const linked = await t.gql(
      LINK,
      { input: { authCode: (await authorize('ali-two-apps', LEGACY_APP)).authCode, appId: LEGACY_APP } },
      bearer(owner.accessToken),
    );
    expect(errorCode(linked)).toBe('WECHAT_ALREADY_BOUND');

    // With another phone the user_id app's person is a user of its own, keyed on the 2088… user_id.
    const other = await bindBySms(viaLegacy.bindTicket!, nextPhone('136'));
    expect(other.user.id).not.toBe(owner.user.id);
    expect(
      await query("SELECT app_id, subject FROM identities WHERE provider = 'alipay' AND user_id = ?", [other.user.id]),
    ).toEqual([{ app_id: LEGACY_APP, subject: legacy.userId }]);
  });

  it('links Alipay to a signed-in user, who may unlink it again', async () => {
    const phoneUser = await loginWithPhone(t, nextPhone('137'));
    const { authCode } = await authorize('ali-linker');
    const linked = await t.gql<{ linkAlipay: { id: string; identities: unknown[] } }>(
      LINK,
      { input: { authCode } },
      bearer(phoneUser.accessToken),
    );
    expect(linked.body.data!.linkAlipay).toEqual({
      id: phoneUser.userId,
      identities: [{ provider: 'ALIPAY', appId: SANDBOX_APP }],
    });
    expect((await loggedIn({ authCode: (await authorize('ali-linker')).authCode })).session!.user.id).toBe(
      phoneUser.userId,
    );

    const unlinked = await t.gql<{ unlinkIdentity: { identities: unknown[] } }>(
      'mutation { unlinkIdentity(provider: ALIPAY) { identities { provider } } }',
      undefined,
      bearer(phoneUser.accessToken),
    );
    expect(unlinked.body.data!.unlinkIdentity.identities).toEqual([]);
    expect(
      await query("SELECT id FROM identities WHERE provider = 'alipay' AND user_id = ?", [phoneUser.userId]),
    ).toEqual([]);
    // Signed out, linking is refused.
    const anonymous = await t.gql(LINK, { input: { authCode: (await authorize('ali-linker')).authCode } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });
});

describe('the auth code is single use', () => {
  it('the same device gets the same answer again; another device or another app is refused; Alipay sees it once', async () => {
    const person = await loggedIn({ authCode: (await authorize('ali-replay')).authCode });
    await bindBySms(person.bindTicket!, nextPhone('138'));
    await post('/sandbox/alipay/reset', {});

    const { authCode } = await authorize('ali-replay');
    const first = await loggedIn({ authCode, deviceId: 'replay-phone' });
    const { users, identities } = await rows();
    const retry = await loggedIn({ authCode, deviceId: 'replay-phone' });
    expect(retry.session!.user.id).toBe(first.session!.user.id);
    expect(await rows()).toMatchObject({ users, identities });

    expect(errorCode(await login({ authCode, deviceId: 'thief-phone' }))).toBe('PROVIDER_TOKEN_INVALID');
    // The code's session ends with the theft.
    const refreshed = await t.gql('mutation R($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', {
      t: retry.session!.refreshToken,
    });
    expect(errorCode(refreshed)).toBeDefined();
    // Naming another of our Alipay apps does not make it a new code.
    expect(errorCode(await login({ authCode, appId: LEGACY_APP, deviceId: 'replay-phone' }))).toBe(
      'PROVIDER_TOKEN_INVALID',
    );
    expect(await tokenCalls()).toBe(1);
  });

  it('a bind answer is given again to the same device, with a fresh ticket', async () => {
    const { authCode } = await authorize('ali-bind-retry');
    const first = await loggedIn({ authCode, deviceId: 'bind-phone' });
    const retry = await loggedIn({ authCode, deviceId: 'bind-phone' });
    expect(retry).toMatchObject({ isBind: false, session: null, bindTicket: expect.any(String) });
    expect(retry.bindTicket).not.toBe(first.bindTicket);
    expect(await tokenCalls()).toBe(1);
  });
});

describe('refusals write nothing', () => {
  it('made-up, expired, other-app and malformed codes, unknown apps, and a forged answer', async () => {
    const before = await rows();
    expect(errorCode(await login({ authCode: 'a'.repeat(32) }))).toBe('PROVIDER_TOKEN_INVALID');
    // Issued to the user_id app, sent for the default one: Alipay says the code is not this app's.
    const elsewhere = await authorize('ali-elsewhere', LEGACY_APP);
    expect(errorCode(await login({ authCode: elsewhere.authCode }))).toBe('PROVIDER_TOKEN_INVALID');
    // Alipay's codes live three minutes; the sandbox clock moves the fake too.
    const late = await authorize('ali-late');
    await post('/sandbox/clock', { advanceSeconds: 181 });
    expect(errorCode(await login({ authCode: late.authCode }))).toBe('PROVIDER_TOKEN_INVALID');

    const calls = await tokenCalls();
    expect(errorCode(await login({ authCode: 'ü'.repeat(8) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await login({ authCode: '' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await login({ authCode: (await authorize('ali-x')).authCode, appId: '2021999999999999' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await tokenCalls()).toBe(calls);

    // An answer that does not verify with the app's Alipay public key is never believed.
    const forged = await authorize('ali-forged', FORGED_APP);
    const res = await login({ authCode: forged.authCode, appId: FORGED_APP });
    expect(res.body.errors![0].extensions).toEqual(expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE' }));
    expect(JSON.stringify(res.body)).not.toContain(forged.openId);
    expect(await rows()).toEqual(before);
  });

  it('Alipay down: PROVIDER_UNAVAILABLE, retryable, nothing written; the same device retries the same code', async () => {
    const { authCode } = await authorize('ali-down');
    const before = await rows();
    await post('/sandbox/alipay/faults', { endpoint: 'token', httpStatus: 503, times: 1 });
    const down = await login({ authCode, deviceId: 'down-phone' });
    expect(down.body.data).toBeNull();
    expect(down.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
    expect(await rows()).toEqual(before);

    const retried = await loggedIn({ authCode, deviceId: 'down-phone' });
    expect(retried).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
  });
});

describe('loginOptions', () => {
  it('offers Alipay on Android and iOS (before the phone) when configured, not on HarmonyOS or the web', async () => {
    const methods = async (args: string): Promise<string[]> =>
      (await t.gql<{ loginOptions: { methods: string[] } }>(`{ loginOptions(${args}) { methods } }`)).body.data!
        .loginOptions.methods;
    expect(await methods('platform: ANDROID, wechatInstalled: false')).toEqual(['WECHAT', 'QQ', 'ALIPAY', 'PHONE']);
    expect(await methods('platform: IOS, wechatInstalled: false')).toEqual(['APPLE', 'QQ', 'ALIPAY', 'PHONE']);
    expect(await methods('platform: HARMONYOS, wechatInstalled: true')).not.toContain('ALIPAY');
    expect(await methods('platform: WEB, wechatInstalled: false')).not.toContain('ALIPAY');
  });
});
