import type { AddressInfo } from 'node:net';
import { Database } from '../../src/database/database.service';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone, REFRESH } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// QQ through GraphQL against the zero-config sandbox's in-process fake QQ Connect (real HTTP on the
// service's own port): the phone SDK's access token, and the web redirect (startProviderLogin, code
// and state) with its code records and replays.

const SESSION = 'accessToken refreshToken user { id phone identities { provider appId } }';
const RESULT = `isBind bindTicket session { ${SESSION} }`;
const QQ_LOGIN = `mutation Q($input: QqLoginInput!) { qqLogin(input: $input) { ${RESULT} } }`;
const LINK_QQ = 'mutation L($input: QqLoginInput!) { linkQq(input: $input) { identities { provider appId } } }';
const START = `mutation S($redirectUri: String!, $deviceId: String) {
  startProviderLogin(provider: QQ, redirectUri: $redirectUri, deviceId: $deviceId) { provider state authorizeUrl expiresAt }
}`;
const BIND = `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { ${SESSION} } }`;
const PHONE_APP = '101000001';
const WEB_APP = '101000002';
const REDIRECT = 'http://localhost:5173/login/qq';

interface SessionData {
  accessToken: string;
  refreshToken: string;
  user: { id: string; phone: string | null; identities: { provider: string; appId: string }[] };
}
interface Result {
  isBind: boolean;
  bindTicket: string | null;
  session: SessionData | null;
}
interface Approved {
  accessToken: string;
  openid: string;
  unionid: string;
  code?: string;
}

let t: TestApp;
let base: string;

async function post<T = Approved>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function qqCalls(): Promise<number> {
  return ((await (await fetch(`${base}/sandbox/qq/calls`)).json()) as { calls: unknown[] }).calls.length;
}

async function count(table: string): Promise<number> {
  const [row] = (await t.app.get(Database).dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
  return Number(row.n);
}

async function rows(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'identities', 'sessions', 'bind_tickets', 'code_exchanges'])
    out[table] = await count(table);
  return out;
}

async function tokenLogin(person: string): Promise<Result> {
  const { accessToken } = await post('/sandbox/qq/authorize', { person });
  const res = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input: { accessToken } });
  if (!res.body.data) throw new Error(`qqLogin: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.qqLogin;
}

/** startProviderLogin, then the person approves on QQ: the redirect's code and state. */
async function webCode(person: string, deviceId: string, token?: string): Promise<{ code: string; state: string }> {
  const started = await t.gql<{ startProviderLogin: { state: string; authorizeUrl: string } }>(
    START,
    { redirectUri: REDIRECT, deviceId },
    token ? bearer(token) : {},
  );
  if (!started.body.data) throw new Error(`startProviderLogin: ${JSON.stringify(started.body.errors)}`);
  const { state } = started.body.data.startProviderLogin;
  const { code } = await post('/sandbox/qq/authorize', { person, state, appId: WEB_APP, redirectUri: REDIRECT });
  return { code: code!, state };
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

beforeAll(async () => {
  t = await startTestApp({
    env: { SMS_CONSOLE_LOG_CODES: 'false', PROVIDER_TIMEOUT_MS: '15000', PROVIDER_BUDGET_MS: '30000' },
  });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});

afterAll(async () => {
  await t.close();
});

describe('QQ on phones (the QQ SDK’s access token)', () => {
  it('first login asks for a phone, the next one logs in; keyed on the unionid', async () => {
    const first = await tokenLogin('qq-ming');
    expect(first).toMatchObject({ isBind: false, session: null, bindTicket: expect.any(String) });
    const phone = nextPhone('135');
    const bound = await bindBySms(first.bindTicket!, phone);
    expect(bound.user).toMatchObject({ phone, identities: [{ provider: 'QQ', appId: PHONE_APP }] });
    const again = await tokenLogin('qq-ming');
    expect(again).toMatchObject({ isBind: true, bindTicket: null, session: { user: { id: bound.user.id } } });
    const [identity] = (await t.app
      .get(Database)
      .dataSource.query('SELECT provider, app_id, subject, unionid, nickname FROM identities WHERE user_id = ?', [
        bound.user.id,
      ])) as Record<string, string>[];
    const approved = await post('/sandbox/qq/authorize', { person: 'qq-ming' });
    expect(identity).toMatchObject({
      provider: 'qq',
      app_id: PHONE_APP,
      subject: approved.openid,
      unionid: approved.unionid,
      nickname: expect.stringMatching(/^QQ用户/),
    });
  });

  it('a forged or foreign token is PROVIDER_TOKEN_INVALID and writes nothing', async () => {
    const before = await rows();
    const forged = await t.gql(QQ_LOGIN, { input: { accessToken: 'ABCDEF0123456789ABCDEF0123456789' } });
    expect(forged.body.data).toBeNull();
    expect(errorCode(forged)).toBe('PROVIDER_TOKEN_INVALID');
    expect(await rows()).toEqual(before);
  });

  it('malformed input is refused before QQ is asked', async () => {
    const calls = await qqCalls();
    const both = await t.gql(QQ_LOGIN, { input: { accessToken: 'AAAA', code: 'BBBB', state: 's' } });
    expect(errorCode(both)).toBe('BAD_USER_INPUT');
    const neither = await t.gql(QQ_LOGIN, { input: { deviceId: 'd' } });
    expect(errorCode(neither)).toBe('BAD_USER_INPUT');
    const spaced = await t.gql(QQ_LOGIN, { input: { accessToken: 'not a token' } });
    expect(errorCode(spaced)).toBe('BAD_USER_INPUT');
    expect(await qqCalls()).toBe(calls);
  });

  it('QQ down is PROVIDER_UNAVAILABLE, retryable, and nothing is written', async () => {
    const { accessToken } = await post('/sandbox/qq/authorize', { person: 'qq-down' });
    await post('/sandbox/qq/faults', { endpoint: 'me', httpStatus: 503, times: 3 });
    const before = await rows();
    const res = await t.gql(QQ_LOGIN, { input: { accessToken } });
    expect(res.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
    expect(await rows()).toEqual(before);
    await fetch(`${base}/sandbox/qq/reset`, { method: 'POST' });
  });
});

describe('QQ on the web (startProviderLogin, then code and state)', () => {
  it('the same person on the web is the same user as on the phone (unionid), with a second identity', async () => {
    const phoneFirst = await tokenLogin('qq-hua');
    const user = await bindBySms(phoneFirst.bindTicket!, nextPhone('137'));
    const { code, state } = await webCode('qq-hua', 'browser-1');
    const res = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, {
      input: { code, state, deviceId: 'browser-1', redirectUri: REDIRECT },
    });
    expect(res.body.data!.qqLogin).toMatchObject({ isBind: true, session: { user: { id: user.user.id } } });
    expect(res.body.data!.qqLogin.session!.user.identities).toEqual(
      expect.arrayContaining([
        { provider: 'QQ', appId: PHONE_APP },
        { provider: 'QQ', appId: WEB_APP },
      ]),
    );
  });

  it('the authorize page is QQ’s, for the web app, the redirect and the state', async () => {
    const started = await t.gql<{ startProviderLogin: { provider: string; state: string; authorizeUrl: string } }>(
      START,
      { redirectUri: REDIRECT, deviceId: 'browser-2' },
    );
    const { provider, state, authorizeUrl } = started.body.data!.startProviderLogin;
    expect(provider).toBe('QQ');
    const url = new URL(authorizeUrl);
    expect(url.pathname).toBe('/sandbox/qq/oauth2.0/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: WEB_APP,
      redirect_uri: REDIRECT,
      state,
      scope: 'get_user_info',
    });
    // The fake's page sends the browser back with a code for that state.
    const page = await fetch(`${authorizeUrl}&person=qq-page`, { redirect: 'manual' });
    const back = new URL(page.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    const res = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, {
      input: {
        code: back.searchParams.get('code'),
        state: back.searchParams.get('state'),
        deviceId: 'browser-2',
        redirectUri: REDIRECT,
      },
    });
    expect(res.body.data!.qqLogin).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
  });

  it('a redirect URI off the allow-list is refused at the start and with the code', async () => {
    const start = await t.gql(START, { redirectUri: 'https://evil.example/qq', deviceId: 'b' });
    expect(errorCode(start)).toBe('REDIRECT_URI_NOT_ALLOWED');
    const { code, state } = await webCode('qq-foreign', 'browser-3');
    const before = await rows();
    const res = await t.gql(QQ_LOGIN, {
      input: { code, state, deviceId: 'browser-3', redirectUri: 'https://evil.example/qq' },
    });
    expect(errorCode(res)).toBe('REDIRECT_URI_NOT_ALLOWED');
    // Neither the code nor the state was spent: the right request still works.
    expect(await rows()).toEqual(before);
    const ok = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, {
      input: { code, state, deviceId: 'browser-3', redirectUri: REDIRECT },
    });
    expect(ok.body.data!.qqLogin.isBind).toBe(false);
  });

  it('a code without its state is STATE_INVALID; a state of another device or a made-up one too', async () => {
    const { code, state } = await webCode('qq-nostate', 'browser-4');
    const calls = await qqCalls();
    const without = await t.gql(QQ_LOGIN, { input: { code, deviceId: 'browser-4', redirectUri: REDIRECT } });
    expect(errorCode(without)).toBe('STATE_INVALID');
    const otherDevice = await t.gql(QQ_LOGIN, { input: { code, state, deviceId: 'other', redirectUri: REDIRECT } });
    expect(errorCode(otherDevice)).toBe('STATE_INVALID');
    const madeUp = await t.gql(QQ_LOGIN, {
      input: { code, state: 'made-up-state', deviceId: 'browser-4', redirectUri: REDIRECT },
    });
    expect(errorCode(madeUp)).toBe('STATE_INVALID');
    expect(await qqCalls()).toBe(calls);
  });

  it('the same code twice: the same device gets the same answer, another device is refused', async () => {
    const { code, state } = await webCode('qq-replay', 'browser-5');
    const input = { code, state, deviceId: 'browser-5', redirectUri: REDIRECT };
    const first = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input });
    const user = await bindBySms(first.body.data!.qqLogin.bindTicket!, nextPhone('139'));
    const { code: code2, state: state2 } = await webCode('qq-replay', 'browser-5');
    const input2 = { code: code2, state: state2, deviceId: 'browser-5', redirectUri: REDIRECT };
    const signedIn = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input: input2 });
    expect(signedIn.body.data!.qqLogin.session!.user.id).toBe(user.user.id);
    const calls = await qqCalls();
    const retried = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input: input2 });
    expect(retried.body.data!.qqLogin).toMatchObject({ isBind: true, session: { user: { id: user.user.id } } });
    expect(await qqCalls()).toBe(calls);
    const stolen = await t.gql(QQ_LOGIN, { input: { ...input2, deviceId: 'thief' } });
    expect(stolen.body.data).toBeNull();
    expect(errorCode(stolen)).toBe('PROVIDER_TOKEN_INVALID');
    expect(await qqCalls()).toBe(calls);
    // The session the code made ends once the code is seen from another device.
    const refreshed = await t.gql(REFRESH, { token: signedIn.body.data!.qqLogin.session!.refreshToken });
    expect(refreshed.body.data).toBeNull();
    expect(errorCode(refreshed)).toBeDefined();
  });

  it('QQ down while redeeming a code is PROVIDER_UNAVAILABLE, retryable, and no account is written', async () => {
    const { code, state } = await webCode('qq-web-down', 'browser-6');
    await post('/sandbox/qq/faults', { endpoint: 'token', httpStatus: 502, times: 1 });
    const before = await rows();
    const input = { code, state, deviceId: 'browser-6', redirectUri: REDIRECT };
    const res = await t.gql(QQ_LOGIN, { input });
    expect(res.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
    const after = await rows();
    expect({ ...after, code_exchanges: before.code_exchanges }).toEqual(before);
    const [record] = (await t.app
      .get(Database)
      .dataSource.query("SELECT status, error_code FROM code_exchanges WHERE device_id = 'browser-6'")) as object[];
    expect(record).toEqual({ status: 'failed', error_code: 'PROVIDER_UNAVAILABLE' });
    // The same device retries the same code: QQ never used it, so it goes through.
    const retried = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input });
    expect(retried.body.data!.qqLogin).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
  });

  it('QQ down after it redeemed the code: the same device resumes with the grant kept, and the code is not redeemed twice', async () => {
    const { code, state } = await webCode('qq-me-down', 'browser-7');
    const tokenCalls = async () =>
      ((await (await fetch(`${base}/sandbox/qq/calls`)).json()) as { calls: { path: string }[] }).calls.filter((c) =>
        c.path.startsWith('/oauth2.0/token'),
      ).length;
    const redeemed = await tokenCalls();
    await post('/sandbox/qq/faults', { endpoint: 'me', httpStatus: 503, times: 3 });
    const input = { code, state, deviceId: 'browser-7', redirectUri: REDIRECT };
    const failed = await t.gql(QQ_LOGIN, { input });
    expect(failed.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
    expect(await tokenCalls()).toBe(redeemed + 1);
    const [record] = (await t.app
      .get(Database)
      .dataSource.query("SELECT status, error_code, result_enc FROM code_exchanges WHERE device_id = 'browser-7'")) as {
      status: string;
      error_code: string;
      result_enc: string | null;
    }[];
    expect(record).toEqual({ status: 'failed', error_code: 'PROVIDER_UNAVAILABLE', result_enc: expect.any(String) });
    // QQ's access token is kept encrypted, never in the clear.
    expect(record.result_enc).not.toMatch(/access/i);
    await fetch(`${base}/sandbox/qq/faults`, { method: 'DELETE' });
    const retried = await t.gql<{ qqLogin: Result }>(QQ_LOGIN, { input });
    expect(retried.body.data!.qqLogin).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
    // A redeemed code is never sent to QQ again: the kept grant was enough.
    expect(await tokenCalls()).toBe(redeemed + 1);
    // Another device with the same code gets nothing.
    const stolen = await t.gql(QQ_LOGIN, { input: { ...input, deviceId: 'browser-8' } });
    expect(errorCode(stolen)).toBe('PROVIDER_TOKEN_INVALID');
  });
});

describe('linking and unlinking QQ', () => {
  it('a phone user links QQ by SDK token and by web code, logs in with it, then unlinks it', async () => {
    const phoneUser = await loginWithPhone(t, nextPhone('136'));
    const { accessToken } = await post('/sandbox/qq/authorize', { person: 'qq-linker' });
    const linked = await t.gql<{ linkQq: { identities: { provider: string; appId: string }[] } }>(
      LINK_QQ,
      { input: { accessToken } },
      bearer(phoneUser.accessToken),
    );
    expect(linked.body.data!.linkQq.identities).toEqual([{ provider: 'QQ', appId: PHONE_APP }]);
    expect((await tokenLogin('qq-linker')).session!.user.id).toBe(phoneUser.userId);

    const { code, state } = await webCode('qq-linker', 'browser-7', phoneUser.accessToken);
    const web = await t.gql<{ linkQq: { identities: { provider: string; appId: string }[] } }>(
      LINK_QQ,
      { input: { code, state, deviceId: 'browser-7', redirectUri: REDIRECT } },
      bearer(phoneUser.accessToken),
    );
    expect(web.body.data!.linkQq.identities).toHaveLength(2);

    const unlinked = await t.gql<{ unlinkIdentity: { identities: unknown[] } }>(
      'mutation { unlinkIdentity(provider: QQ) { identities { provider } } }',
      {},
      bearer(phoneUser.accessToken),
    );
    expect(unlinked.body.data!.unlinkIdentity.identities).toEqual([]);
    expect(
      await t.app
        .get(Database)
        .dataSource.query("SELECT id FROM identities WHERE user_id = ? AND provider = 'qq'", [phoneUser.userId]),
    ).toEqual([]);
    // Unlinked: the same QQ person is a new person again.
    expect((await tokenLogin('qq-linker')).isBind).toBe(false);
  });

  it('a QQ account of another user cannot be linked; linking needs a session', async () => {
    const owner = await tokenLogin('qq-owned');
    await bindBySms(owner.bindTicket!, nextPhone('134'));
    const other = await loginWithPhone(t, nextPhone('133'));
    const { accessToken } = await post('/sandbox/qq/authorize', { person: 'qq-owned' });
    const res = await t.gql(LINK_QQ, { input: { accessToken } }, bearer(other.accessToken));
    expect(res.body.data).toBeNull();
    expect(errorCode(res)).toBe('WECHAT_ALREADY_BOUND');
    const anonymous = await t.gql(LINK_QQ, { input: { accessToken } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });
});

describe('QQ on the login screen', () => {
  it('is offered on phones and the web when configured, before the phone', async () => {
    const methods = async (args: string) =>
      (await t.gql<{ loginOptions: { methods: string[] } }>(`{ loginOptions(${args}) { methods } }`)).body.data!
        .loginOptions.methods;
    expect(await methods('platform: ANDROID, wechatInstalled: true')).toEqual(['WECHAT', 'QQ', 'ALIPAY', 'PHONE']);
    expect(await methods('platform: IOS, wechatInstalled: false')).toEqual(['APPLE', 'QQ', 'ALIPAY', 'PHONE']);
    expect(await methods('platform: HARMONYOS, wechatInstalled: false')).toEqual(['HUAWEI', 'QQ', 'PHONE']);
    expect(await methods('platform: WEB, wechatInstalled: false')).toEqual(['WECHAT', 'QQ', 'PHONE']);
    expect(await methods('platform: MINI_PROGRAM, wechatInstalled: true')).toEqual(['WECHAT']);
  });
});
