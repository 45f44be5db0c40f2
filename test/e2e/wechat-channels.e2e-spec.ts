import { AppTokensService } from '../../src/wechat/app-tokens.service';
import { Database } from '../../src/database/database.service';
import { WechatApiClient } from '../../src/wechat/wechat-api.client';
import { WechatAppTokensRepository } from '../../src/wechat/wechat-app-tokens.repository';
import { TokenCipher } from '../../src/common/token-cipher';
import { Clock } from '../../src/common/clock';
import { TokenRefreshService } from '../../src/wechat/token-refresh.service';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat/fake-wechat';
import { SmsOutbox } from '../../src/sandbox/sms-outbox';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// One person on every WeChat channel (channels.md): the native app (Android, iOS, HarmonyOS NEXT),
// the mini program, the official account's pages and the website's QR, all through the fake WeChat
// over real HTTP, as one user with one phone; and the unionid that arrives late.

const APP = { appId: 'wxchanapp00000001', secret: 'chanappsecret000000000000000001', channel: 'app' as const };
const MINI = {
  appId: 'wxchanmini0000001',
  secret: 'chanminisecret00000000000000001',
  channel: 'mini_program' as const,
};
const OA = {
  appId: 'wxchanoffi0000001',
  secret: 'chanoffisecret00000000000000001',
  channel: 'official_account' as const,
};
const WEB = { appId: 'wxchanweb00000001', secret: 'chanwebsecret000000000000000001', channel: 'website' as const };
// A mini program not bound to the Open Platform: openid only, until bind-open-platform.
const LONE = {
  appId: 'wxchanlone0000001',
  secret: 'chanlonesecret00000000000000001',
  channel: 'mini_program' as const,
};
const ADMIN_PHONE = '+8613900000001';
const REDIRECT = 'http://127.0.0.1:8080/login/wechat';

const START = `mutation Start($deviceId: String, $channel: WechatChannel, $redirectUri: String, $appId: String) {
  startWechatLogin(deviceId: $deviceId, channel: $channel, redirectUri: $redirectUri, appId: $appId) {
    appId scope state authorizeUrl
  }
}`;
const RESULT = `isBind bindTicket session { accessToken refreshToken user { id phone } } wechatProfile { openid unionid }`;
const LOGIN = `mutation L($input: WechatLoginInput!) { wechatLogin(input: $input) { ${RESULT} } }`;
const MINI_LOGIN = `mutation M($input: MiniProgramLoginInput!) { wechatMiniProgramLogin(input: $input) { ${RESULT} } }`;
const MINI_PHONE = `mutation P($input: MiniProgramBindPhoneInput!) {
  wechatMiniProgramBindPhone(input: $input) { accessToken refreshToken user { id phone } }
}`;
const BIND = `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { accessToken refreshToken user { id phone } } }`;

interface LoginResult {
  isBind: boolean;
  bindTicket: string | null;
  session: { accessToken: string; refreshToken: string; user: { id: string; phone: string | null } } | null;
  wechatProfile: { openid: string; unionid: string | null };
}

interface World {
  t: TestApp;
  fake: FakeWechatServer;
  close(): Promise<void>;
}

async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const fake = new FakeWechatServer({
    apps: [
      APP,
      MINI,
      { ...OA, redirectDomains: ['127.0.0.1'] },
      { ...WEB, redirectDomains: ['127.0.0.1'] },
      { ...LONE, openPlatform: false },
    ],
  });
  const base = await fake.listen(0);
  const t = await startTestApp({
    env: {
      SMS_CONSOLE_LOG_CODES: 'false',
      WECHAT_API_BASE: base,
      WECHAT_OPEN_BASE: base,
      WECHAT_APPS: [APP, MINI, OA, WEB, LONE].map((a) => `${a.channel}:${a.appId}:${a.secret}`).join(','),
      WECHAT_REDIRECT_URIS: `${OA.appId}=http://127.0.0.1:8080/login/*;${WEB.appId}=${REDIRECT}`,
      WECHAT_PHONE_DAILY_CAP: '3',
      ADMIN_PHONES: ADMIN_PHONE,
      ...env,
    },
  });
  return {
    t,
    fake,
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}

async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = (await t.app.get(Database).dataSource.query(sql, params)) as { n: number | string }[];
  return Number(row.n);
}

/** Native app (or HarmonyOS NEXT, same channel): state, the SDK's approval, the code. */
async function appLogin(w: World, person: string, platform = 'ANDROID', appId = APP.appId): Promise<LoginResult> {
  const started = await w.t.gql<{ startWechatLogin: { state: string } }>(START, { deviceId: `d-${person}`, appId });
  const state = started.body.data!.startWechatLogin.state;
  const { code } = w.fake.authorize({ appid: appId, state, person });
  return loginWith(w, { code, state, deviceId: `d-${person}`, platform });
}

/** A web channel: startWechatLogin gives WeChat's page; the browser comes back with code and state. */
async function webRedirect(
  w: World,
  person: string,
  channel: 'OFFICIAL_ACCOUNT' | 'WEBSITE',
  deviceId = `browser-${person}`,
): Promise<{ code: string; state: string; deviceId: string }> {
  const redirectUri = channel === 'WEBSITE' ? REDIRECT : 'http://127.0.0.1:8080/login/oa';
  const started = await w.t.gql<{ startWechatLogin: { state: string; authorizeUrl: string; scope: string } }>(START, {
    channel,
    redirectUri,
    deviceId,
  });
  const { authorizeUrl } = started.body.data!.startWechatLogin;
  const page = await fetch(`${authorizeUrl.replace(/#wechat_redirect$/, '')}&person=${person}`, { redirect: 'manual' });
  expect(page.status).toBe(302);
  const back = new URL(page.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state')!, deviceId };
}

async function webLogin(w: World, person: string, channel: 'OFFICIAL_ACCOUNT' | 'WEBSITE'): Promise<LoginResult> {
  return loginWith(w, { ...(await webRedirect(w, person, channel)), platform: 'WEB' });
}

async function loginWith(w: World, input: Record<string, unknown>): Promise<LoginResult> {
  const res = await w.t.gql<{ wechatLogin: LoginResult }>(LOGIN, { input });
  if (!res.body.data) throw new Error(`wechatLogin failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.wechatLogin;
}

async function miniLogin(w: World, person: string, appId = MINI.appId): Promise<LoginResult> {
  const { code } = w.fake.miniProgramLogin({ appid: appId, person });
  const res = await w.t.gql<{ wechatMiniProgramLogin: LoginResult }>(MINI_LOGIN, { input: { code, appId } });
  if (!res.body.data) throw new Error(`wechatMiniProgramLogin failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.wechatMiniProgramLogin;
}

async function bindBySms(w: World, ticket: string, phone: string): Promise<{ user: { id: string; phone: string } }> {
  const sent = await w.t.gql(`mutation S($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }`, {
    input: { phone, purpose: 'BIND_PHONE', bindTicket: ticket },
  });
  expect(sent.body.errors).toBeUndefined();
  const res = await w.t.gql<{ bindPhone: { user: { id: string; phone: string } } }>(BIND, {
    input: { bindTicket: ticket, phone, smsCode: latestCode(w.t, phone) },
  });
  if (!res.body.data) throw new Error(`bindPhone failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.bindPhone;
}

async function bindByButton(w: World, ticket: string, person: string, phone: string, appId = MINI.appId) {
  const { phoneCode } = w.fake.phoneCode({ appid: appId, person, phone });
  return w.t.gql<{
    wechatMiniProgramBindPhone: { accessToken: string; refreshToken: string; user: { id: string; phone: string } };
  }>(MINI_PHONE, { input: { bindTicket: ticket, phoneCode } });
}

describe('WeChat channels', () => {
  let w: World;

  beforeAll(async () => {
    w = await startWorld();
  });

  afterAll(async () => {
    await w.close();
  });

  it('one person through the app, HarmonyOS, the mini program, the official account and the website is one user with one phone', async () => {
    const phone = nextPhone('151');
    const first = await appLogin(w, 'zhang', 'ANDROID');
    expect(first.isBind).toBe(false);
    const { user } = await bindBySms(w, first.bindTicket!, phone);

    const harmony = await appLogin(w, 'zhang', 'HARMONYOS');
    const mini = await miniLogin(w, 'zhang');
    const official = await webLogin(w, 'zhang', 'OFFICIAL_ACCOUNT');
    const website = await webLogin(w, 'zhang', 'WEBSITE');
    for (const result of [harmony, mini, official, website]) {
      expect(result).toMatchObject({ isBind: true, session: { user: { id: user.id, phone } } });
    }
    expect(new Set([first, mini, official, website].map((r) => r.wechatProfile.unionid)).size).toBe(1);

    const me = await w.t.gql<{
      me: { id: string; wechatLinked: boolean; identities: { provider: string; channel: string; appId: string }[] };
    }>(
      '{ me { id wechatLinked identities { provider channel appId } } }',
      undefined,
      bearer(website.session!.accessToken),
    );
    expect(me.body.data!.me.wechatLinked).toBe(true);
    expect(me.body.data!.me.identities.map((i) => `${i.provider}:${i.channel}:${i.appId}`).sort()).toEqual(
      [
        `WECHAT:APP:${APP.appId}`,
        `WECHAT:MINI_PROGRAM:${MINI.appId}`,
        `WECHAT:OFFICIAL_ACCOUNT:${OA.appId}`,
        `WECHAT:WEBSITE:${WEB.appId}`,
      ].sort(),
    );
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM users WHERE phone = ?', [phone])).toBe(1);
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [user.id])).toBe(4);
    // The website's grant is left to expire; the app's and the official account's are kept alive.
    const modes = (await w.t.app
      .get(Database)
      .dataSource.query(
        'SELECT i.channel AS channel, g.refresh_mode AS mode FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.user_id = ? ORDER BY i.channel',
        [user.id],
      )) as { channel: string; mode: string }[];
    expect(modes).toEqual([
      { channel: 'app', mode: 'auto' },
      { channel: 'official_account', mode: 'auto' },
      { channel: 'website', mode: 'off' },
    ]);
  });

  it('gives the web channels WeChat’s pages with the right scope, and refuses a redirect URI off the list before anything happens', async () => {
    const oa = await w.t.gql<{ startWechatLogin: { authorizeUrl: string; scope: string; appId: string } }>(START, {
      channel: 'OFFICIAL_ACCOUNT',
      redirectUri: 'http://127.0.0.1:8080/login/deep/page?x=1',
      deviceId: 'browser-1',
    });
    const url = new URL(oa.body.data!.startWechatLogin.authorizeUrl);
    expect(url.pathname).toBe('/connect/oauth2/authorize');
    expect(url.hash).toBe('#wechat_redirect');
    expect(url.searchParams.get('appid')).toBe(OA.appId);
    expect(url.searchParams.get('scope')).toBe('snsapi_userinfo');
    const web = await w.t.gql<{ startWechatLogin: { authorizeUrl: string; scope: string } }>(START, {
      channel: 'WEBSITE',
      redirectUri: REDIRECT,
      deviceId: 'browser-1',
    });
    expect(new URL(web.body.data!.startWechatLogin.authorizeUrl).pathname).toBe('/connect/qrconnect');
    expect(web.body.data!.startWechatLogin.scope).toBe('snsapi_login');

    const states = await count(w.t, 'SELECT COUNT(*) AS n FROM login_states');
    w.fake.clearCalls();
    for (const redirectUri of [
      'https://evil.example.com/login/wechat',
      'http://127.0.0.1:8080/login/wechat/../../admin',
      'http://127.0.0.1.evil.com:8080/login/oa',
      `${REDIRECT}x`,
    ]) {
      const res = await w.t.gql(START, { channel: 'WEBSITE', redirectUri, deviceId: 'browser-1' });
      expect({ redirectUri, code: errorCode(res) }).toEqual({ redirectUri, code: 'REDIRECT_URI_NOT_ALLOWED' });
    }
    const missing = await w.t.gql(START, { channel: 'OFFICIAL_ACCOUNT', deviceId: 'browser-1' });
    expect(errorCode(missing)).toBe('BAD_USER_INPUT');
    // The state of a web channel is bound to the browser that started: without a deviceId there is none.
    for (const channel of ['OFFICIAL_ACCOUNT', 'WEBSITE']) {
      const noDevice = await w.t.gql(START, { channel, redirectUri: REDIRECT });
      expect(noDevice.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'deviceId' });
    }
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM login_states')).toBe(states);
    expect(w.fake.calls()).toEqual([]);
  });

  it('forwards the allow-listed redirect URI to WeChat in the normalised form it was checked in', async () => {
    const res = await w.t.gql<{ startWechatLogin: { authorizeUrl: string } }>(START, {
      channel: 'OFFICIAL_ACCOUNT',
      redirectUri: 'HTTP://127.0.0.1:8080/login/./oa/../page?x=%7e',
      deviceId: 'browser-1',
    });
    const url = new URL(res.body.data!.startWechatLogin.authorizeUrl);
    expect(url.searchParams.get('redirect_uri')).toBe('http://127.0.0.1:8080/login/page?x=%7e');
  });

  it('a web redirect URL replayed without the browser’s deviceId, or with another, yields no session and no bind ticket; the browser that started gets its answer again', async () => {
    // First login: a bind ticket, which the same browser may ask for again, and nobody else.
    const first = await webRedirect(w, 'victim-first', 'OFFICIAL_ACCOUNT');
    const own = await loginWith(w, { ...first, platform: 'WEB' });
    expect(own.bindTicket).toEqual(expect.any(String));
    const retried = await loginWith(w, { ...first, platform: 'WEB' });
    expect(retried).toMatchObject({ isBind: false, bindTicket: expect.any(String) });
    const tickets = await count(w.t, 'SELECT COUNT(*) AS n FROM bind_tickets');
    for (const deviceId of [undefined, 'attacker-device']) {
      const res = await w.t.gql(LOGIN, { input: { code: first.code, state: first.state, deviceId, platform: 'WEB' } });
      expect({ deviceId, data: res.body.data, code: errorCode(res) }).toEqual({
        deviceId,
        data: null,
        code: 'WECHAT_CODE_INVALID',
      });
    }
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM bind_tickets')).toBe(tickets);

    // A returning user: the replay gets no session (and the one the code made ends: the URL leaked).
    const phone = nextPhone('152');
    const bound = await bindBySms(w, retried.bindTicket!, phone);
    const back = await webRedirect(w, 'victim-first', 'WEBSITE');
    const session = (await loginWith(w, { ...back, platform: 'WEB' })).session!;
    expect(session.user.id).toBe(bound.user.id);
    const sessions = await count(w.t, 'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [bound.user.id]);
    const replay = await w.t.gql(LOGIN, { input: { code: back.code, state: back.state, platform: 'WEB' } });
    expect(replay.body.data).toBeNull();
    expect(errorCode(replay)).toBe('WECHAT_CODE_INVALID');
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [bound.user.id])).toBe(sessions);
    expect(errorCode(await w.t.gql('{ me { id } }', undefined, bearer(session.accessToken)))).toBe('UNAUTHENTICATED');

    // Replayed before the browser used it: the state belongs to that browser, the browser still logs in.
    const raced = await webRedirect(w, 'victim-first', 'OFFICIAL_ACCOUNT');
    const early = await w.t.gql(LOGIN, { input: { code: raced.code, state: raced.state, platform: 'WEB' } });
    expect(errorCode(early)).toBe('STATE_INVALID');
    const late = await loginWith(w, { ...raced, platform: 'WEB' });
    expect(late.session!.user.id).toBe(bound.user.id);

    // A page cannot leave the browser out any more; and where no device was named (a native app's
    // code), a second use is never answered, because nothing tells the app from someone replaying.
    const unbound = await w.t.gql(START, {
      channel: 'OFFICIAL_ACCOUNT',
      redirectUri: 'http://127.0.0.1:8080/login/oa',
    });
    expect(errorCode(unbound)).toBe('BAD_USER_INPUT');
    const native = await w.t.gql<{ startWechatLogin: { state: string } }>(START, { appId: APP.appId });
    const nativeState = native.body.data!.startWechatLogin.state;
    const nativeCode = w.fake.authorize({ appid: APP.appId, state: nativeState, person: 'victim-first' }).code;
    const nativeLogin = await loginWith(w, { code: nativeCode, state: nativeState, platform: 'ANDROID' });
    expect(nativeLogin.session!.user.id).toBe(bound.user.id);
    const nativeReplay = await w.t.gql(LOGIN, { input: { code: nativeCode, state: nativeState, platform: 'ANDROID' } });
    expect(nativeReplay.body.data).toBeNull();
    expect(errorCode(nativeReplay)).toBe('WECHAT_CODE_INVALID');
  });

  it('a snapshot-page visitor gets WECHAT_SNAPSHOT_USER, and no user, identity, grant or session is written', async () => {
    const tables = ['users', 'identities', 'sessions', 'wechat_grants', 'bind_tickets', 'audit_events'];
    const before = await Promise.all(tables.map((table) => count(w.t, `SELECT COUNT(*) AS n FROM ${table}`)));
    const started = await w.t.gql<{ startWechatLogin: { state: string } }>(START, {
      channel: 'OFFICIAL_ACCOUNT',
      redirectUri: 'http://127.0.0.1:8080/login/oa',
      deviceId: 'browser-snap',
    });
    const { state } = started.body.data!.startWechatLogin;
    const { code } = w.fake.authorize({ appid: OA.appId, state, person: 'snapshot-visitor', snapshot: true });
    w.fake.clearCalls();
    const res = await w.t.gql(LOGIN, { input: { code, state, deviceId: 'browser-snap', platform: 'WEB' } });
    expect(res.body.data).toBeNull();
    expect(errorCode(res)).toBe('WECHAT_SNAPSHOT_USER');
    expect(w.fake.calls().map((call) => call.endpoint)).toEqual(['access_token']);
    const after = await Promise.all(tables.map((table) => count(w.t, `SELECT COUNT(*) AS n FROM ${table}`)));
    expect(Object.fromEntries(tables.map((table, i) => [table, after[i]]))).toEqual(
      Object.fromEntries(tables.map((table, i) => [table, before[i]])),
    );
    const metrics = (await w.t.http().get('/metrics')).text;
    expect(metrics).toMatch(/wechat_login_logins_total\{method="WECHAT",outcome="WECHAT_SNAPSHOT_USER"\} 1/);
  });

  it('a mini-program user binds by WeChat’s phone button, with no SMS at all', async () => {
    const phone = '+8613912340001';
    const first = await miniLogin(w, 'li');
    expect(first.isBind).toBe(false);
    const billed = w.fake.billedPhoneNumbers(MINI.appId);
    const bound = await bindByButton(w, first.bindTicket!, 'li', '13912340001');
    expect(bound.body.errors).toBeUndefined();
    expect(bound.body.data!.wechatMiniProgramBindPhone.user.phone).toBe(phone);
    expect(w.t.app.get(SmsOutbox).latestCode(phone)).toBeFalsy();
    expect(w.fake.billedPhoneNumbers(MINI.appId)).toBe(billed + 1);
    expect(
      await count(w.t, 'SELECT COUNT(*) AS n FROM wechat_phone_calls WHERE app_id = ?', [MINI.appId]),
    ).toBeGreaterThan(0);
    // The same person in the native app is the same user.
    const again = await appLogin(w, 'li');
    expect(again.session!.user).toEqual({ id: bound.body.data!.wechatMiniProgramBindPhone.user.id, phone });
    // A mini-program identity has no grant: no refresh token to keep alive.
    expect(
      await count(
        w.t,
        "SELECT COUNT(*) AS n FROM wechat_grants g JOIN identities i ON i.id = g.identity_id WHERE i.channel = 'mini_program'",
      ),
    ).toBe(0);
  });

  it('refuses a js code or a phone code used twice', async () => {
    const { code } = w.fake.miniProgramLogin({ appid: MINI.appId, person: 'twice' });
    const once = await w.t.gql<{ wechatMiniProgramLogin: LoginResult }>(MINI_LOGIN, { input: { code } });
    expect(once.body.data!.wechatMiniProgramLogin.isBind).toBe(false);
    const twice = await w.t.gql(MINI_LOGIN, { input: { code } });
    expect(errorCode(twice)).toBe('WECHAT_CODE_INVALID');

    const ticket = once.body.data!.wechatMiniProgramLogin.bindTicket!;
    const { phoneCode } = w.fake.phoneCode({ appid: MINI.appId, person: 'twice', phone: '13912340002' });
    const users = await count(w.t, 'SELECT COUNT(*) AS n FROM users');
    const used = await w.t.gql(MINI_PHONE, { input: { bindTicket: ticket, phoneCode } });
    expect(used.body.errors).toBeUndefined();
    const other = await miniLogin(w, 'twice-other');
    const replay = await w.t.gql(MINI_PHONE, { input: { bindTicket: other.bindTicket, phoneCode } });
    expect(errorCode(replay)).toBe('WECHAT_CODE_INVALID');
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM users')).toBe(users + 1);
  });

  it('stops at the daily cap of billed phone numbers with PHONE_QUOTA_EXCEEDED, so the client falls back to SMS', async () => {
    // The cap is 3 a day; earlier tests used some of it.
    const used = await count(w.t, 'SELECT COUNT(*) AS n FROM wechat_phone_calls WHERE app_id = ?', [MINI.appId]);
    for (let i = used; i < 3; i++) {
      const login = await miniLogin(w, `capped-${i}`);
      const res = await bindByButton(w, login.bindTicket!, `capped-${i}`, `1391234${String(1000 + i)}`);
      expect(res.body.errors).toBeUndefined();
    }
    const over = await miniLogin(w, 'capped-over');
    w.fake.clearCalls();
    const refused = await bindByButton(w, over.bindTicket!, 'capped-over', '13912349999');
    expect(errorCode(refused)).toBe('PHONE_QUOTA_EXCEEDED');
    expect(w.fake.calls('getuserphonenumber' as never)).toEqual([]);
    // The SMS path still works for that ticket.
    const bound = await bindBySms(w, over.bindTicket!, nextPhone('152'));
    expect(bound.user.phone).toMatch(/^\+86152/);
  });

  it('wechatRelogin and the refresh job skip identities without a grant', async () => {
    // The openid-only mini program has its own daily cap: this person binds by the phone button.
    const login = await miniLogin(w, 'mini-only', LONE.appId);
    const bound = await bindByButton(w, login.bindTicket!, 'mini-only', '13912345555', LONE.appId);
    const session = bound.body.data!.wechatMiniProgramBindPhone;
    w.fake.clearCalls();
    const relogin = await w.t.gql<{ wechatRelogin: { refreshToken: string; user: { id: string } } }>(
      'mutation R($t: String!) { wechatRelogin(refreshToken: $t) { refreshToken user { id } } }',
      { t: session.refreshToken },
    );
    expect(relogin.body.errors).toBeUndefined();
    expect(relogin.body.data!.wechatRelogin.user.id).toBe(session.user.id);
    expect(w.fake.calls()).toEqual([]);

    const grants = () =>
      w.t.app
        .get(Database)
        .dataSource.query(
          'SELECT i.channel AS channel, g.refresh_mode AS mode, g.access_token_enc AS token FROM wechat_grants g JOIN identities i ON i.id = g.identity_id ORDER BY g.id',
        ) as Promise<{ channel: string; mode: string; token: string }[]>;
    const before = await grants();
    w.t.app.get(Clock).advance(7200);
    const report = await w.t.app.get(TokenRefreshService).runOnce();
    const after = await grants();
    const auto = before.filter((g) => g.mode === 'auto').length;
    expect(auto).toBeGreaterThan(0);
    expect(report).toMatchObject({ claimed: auto, refreshed: auto });
    expect(w.fake.calls().filter((c) => c.endpoint === 'refresh_token')).toHaveLength(auto);
    after.forEach((grant, i) => {
      expect({ channel: grant.channel, changed: grant.token !== before[i].token }).toEqual({
        channel: grant.channel,
        changed: grant.mode === 'auto',
      });
    });
    expect(after.some((g) => g.channel === 'mini_program')).toBe(false);
  });

  it('two instances needing the app-level token at once fetch stable_token once', async () => {
    const t = w.t.app;
    const services = [1, 2].map(
      () =>
        new AppTokensService(
          t.get(WechatAppTokensRepository),
          t.get(WechatApiClient),
          t.get(TokenCipher),
          t.get(Clock),
        ),
    );
    await t.get(Database).dataSource.query('DELETE FROM wechat_app_tokens');
    w.fake.clearCalls();
    const tokens = await Promise.all([
      services[0].tokenFor(LONE.appId),
      services[1].tokenFor(LONE.appId),
      services[0].tokenFor(LONE.appId),
      services[1].tokenFor(LONE.appId),
    ]);
    expect(new Set(tokens).size).toBe(1);
    expect(w.fake.calls('stable_token' as never)).toHaveLength(1);
    const [row] = (await t
      .get(Database)
      .dataSource.query('SELECT token_enc FROM wechat_app_tokens WHERE app_id = ?', [LONE.appId])) as {
      token_enc: string;
    }[];
    expect(row.token_enc).not.toContain(tokens[0]);
  });
});

describe('a unionid that arrives late', () => {
  let w: World;
  let admin: { accessToken: string };

  beforeAll(async () => {
    w = await startWorld();
    admin = await loginWithPhone(w.t, ADMIN_PHONE);
  });

  afterAll(async () => {
    await w.close();
  });

  it('attaches to the only user, folds nobody, and flags two users who both have a phone for an admin', async () => {
    // Before the mini program is bound to the Open Platform: openid only.
    const wangFirst = await miniLogin(w, 'wang', LONE.appId);
    expect(wangFirst.wechatProfile.unionid).toBeNull();
    const wang = await bindBySms(w, wangFirst.bindTicket!, nextPhone('157'));

    const qianLone = await miniLogin(w, 'qian', LONE.appId);
    const qianA = await bindBySms(w, qianLone.bindTicket!, nextPhone('158'));
    const qianApp = await appLogin(w, 'qian');
    const qianB = await bindBySms(w, qianApp.bindTicket!, nextPhone('159'));
    expect(qianA.user.id).not.toBe(qianB.user.id);

    w.fake.bindOpenPlatform(LONE.appId);

    // Attach: nobody else holds wang's unionid.
    const wangAgain = await miniLogin(w, 'wang', LONE.appId);
    expect(wangAgain).toMatchObject({ isBind: true, session: { user: { id: wang.user.id } } });
    expect(wangAgain.wechatProfile.unionid).toBeTruthy();
    const wangApp = await appLogin(w, 'wang');
    expect(wangApp.session!.user.id).toBe(wang.user.id);

    // Conflict: both qian users have a phone. Logins go to the unionid holder; an admin decides.
    const qianAgain = await miniLogin(w, 'qian', LONE.appId);
    expect(qianAgain.session!.user.id).toBe(qianB.user.id);
    const conflicts = await w.t.gql<{ adminIdentityConflicts: { id: string; unionid: string; userIds: string[] }[] }>(
      '{ adminIdentityConflicts { id unionid userIds resolvedAt } }',
      undefined,
      bearer(admin.accessToken),
    );
    expect(conflicts.body.data!.adminIdentityConflicts).toEqual([
      {
        id: expect.any(String),
        unionid: qianAgain.wechatProfile.unionid,
        userIds: [qianB.user.id, qianA.user.id],
        resolvedAt: null,
      },
    ]);
    const conflictAudit = await count(w.t, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'identity.conflict'");
    expect(conflictAudit).toBe(1);

    const resolved = await w.t.gql<{
      adminResolveIdentityConflict: { id: string; phone: string; wechatIdentities: { appId: string }[] };
    }>(
      'mutation R($id: ID!, $keep: ID!) { adminResolveIdentityConflict(id: $id, keepUserId: $keep) { id phone wechatIdentities { appId } } }',
      { id: conflicts.body.data!.adminIdentityConflicts[0].id, keep: qianA.user.id },
      bearer(admin.accessToken),
    );
    expect(resolved.body.errors).toBeUndefined();
    expect(resolved.body.data!.adminResolveIdentityConflict).toMatchObject({
      id: qianA.user.id,
      phone: qianA.user.phone,
    });
    expect(resolved.body.data!.adminResolveIdentityConflict.wechatIdentities.map((i) => i.appId).sort()).toEqual(
      [APP.appId, LONE.appId].sort(),
    );
    const [folded] = (await w.t.app
      .get(Database)
      .dataSource.query('SELECT status, merged_into FROM users WHERE id = ?', [qianB.user.id])) as {
      status: string;
      merged_into: string;
    }[];
    expect(folded).toEqual({ status: 'deleted', merged_into: qianA.user.id });
    expect(await count(w.t, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'user.merged'")).toBe(1);
    const after = await appLogin(w, 'qian');
    expect(after.session!.user.id).toBe(qianA.user.id);
    const open = await w.t.gql<{ adminIdentityConflicts: unknown[] }>(
      '{ adminIdentityConflicts { id } }',
      undefined,
      bearer(admin.accessToken),
    );
    expect(open.body.data!.adminIdentityConflicts).toEqual([]);
  });
});

describe('a unionid that arrives late, without REQUIRE_PHONE', () => {
  let w: World;

  beforeAll(async () => {
    w = await startWorld({ REQUIRE_PHONE: 'false' });
  });

  afterAll(async () => {
    await w.close();
  });

  it('folds the user who has nothing else into the unionid holder: sessions revoked, audit user.merged', async () => {
    const lone = await miniLogin(w, 'zhao', LONE.appId);
    expect(lone.isBind).toBe(true);
    const app = await appLogin(w, 'zhao');
    expect(app.isBind).toBe(true);
    const [a, b] = [lone.session!.user.id, app.session!.user.id];
    expect(a).not.toBe(b);

    w.fake.bindOpenPlatform(LONE.appId);
    const again = await miniLogin(w, 'zhao', LONE.appId);
    expect(again.session!.user.id).toBe(b);
    const [row] = (await w.t.app
      .get(Database)
      .dataSource.query('SELECT status, merged_into FROM users WHERE id = ?', [a])) as {
      status: string;
      merged_into: string;
    }[];
    expect(row).toEqual({ status: 'deleted', merged_into: b });
    const old = await w.t.gql('{ me { id } }', undefined, bearer(lone.session!.accessToken));
    expect(errorCode(old)).toBe('UNAUTHENTICATED');
    const [event] = (await w.t.app
      .get(Database)
      .dataSource.query("SELECT details FROM audit_events WHERE action = 'user.merged'")) as { details: string }[];
    expect(JSON.parse(event.details)).toMatchObject({ fromUserId: a, intoUserId: b });
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM identities WHERE user_id = ?', [b])).toBe(2);
    expect(await count(w.t, 'SELECT COUNT(*) AS n FROM identity_conflicts')).toBe(0);
  });
});
