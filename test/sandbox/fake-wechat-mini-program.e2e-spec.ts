import { FakeWechatServer, openidFor } from '../../src/sandbox/fake-wechat/fake-wechat';
import { fakeHttp, Raw } from './fake-http';

// The mini-program side of the fake WeChat over real HTTP: jscode2session, stable_token and
// getuserphonenumber, with their sandbox endpoints, faults and clock (providers-api.md).

const MINI = {
  appId: 'wxmini00000000001',
  secret: 'minisecret000000000000000000001',
  channel: 'mini_program' as const,
};
const LONE_MINI = {
  appId: 'wxmini00000000002',
  secret: 'minisecret000000000000000000002',
  channel: 'mini_program' as const,
  openPlatform: false,
};
const APP = { appId: 'wxapp000000000001', secret: 'appsecret0000000000000000000001' };
const OFFICIAL = {
  appId: 'wxoa0000000000001',
  secret: 'oasecret00000000000000000000001',
  channel: 'official_account' as const,
};

let fake: FakeWechatServer;
let base = '';
const { get, post } = fakeHttp(() => base);

beforeAll(async () => {
  fake = new FakeWechatServer({ apps: [MINI, LONE_MINI, APP, OFFICIAL] });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

async function miniLogin(
  body: Record<string, unknown> = {},
): Promise<{ code: string; openid: string; unionid?: string }> {
  const res = await post('/miniprogram/login', { appid: MINI.appId, ...body });
  expect(res.status).toBe(200);
  return res.json as { code: string; openid: string; unionid?: string };
}

const jscode = (code: string | undefined, overrides: Record<string, string | undefined> = {}): Promise<Raw> =>
  get('/sns/jscode2session', {
    appid: MINI.appId,
    secret: MINI.secret,
    js_code: code,
    grant_type: 'authorization_code',
    ...overrides,
  });

const stableToken = (body: Record<string, unknown> = {}): Promise<Raw> =>
  post('/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: MINI.appId,
    secret: MINI.secret,
    force_refresh: false,
    ...body,
  });

async function appToken(appid = MINI.appId, secret = MINI.secret): Promise<string> {
  const res = await stableToken({ appid, secret });
  expect(res.json.access_token).toEqual(expect.any(String));
  return res.json.access_token as string;
}

async function phoneCode(body: Record<string, unknown> = {}): Promise<string> {
  const res = await post('/miniprogram/phone', { appid: MINI.appId, person: 'mia', phone: '13800138000', ...body });
  expect(res.status).toBe(200);
  return res.json.phoneCode as string;
}

const phoneNumber = (token: string | undefined, code: unknown): Promise<Raw> =>
  post('/wxa/business/getuserphonenumber', code === undefined ? {} : { code }, { access_token: token });

describe('/sns/jscode2session', () => {
  it('turns a wx.login() code into openid, session_key and the person’s unionid', async () => {
    const login = await miniLogin({ person: 'mia' });
    const appSide = (await post('/authorize', { appid: APP.appId, person: 'mia' })).json;
    const res = await jscode(login.code);

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      openid: openidFor(MINI.appId, 'mia'),
      session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
      unionid: appSide.unionid,
    });
    expect(login.openid).toBe(res.json.openid);
    expect(login.unionid).toBe(appSide.unionid);
    expect(res.json.openid).not.toBe(appSide.openid);
  });

  it('gives no unionid for a mini program off the Open Platform, until it is bound', async () => {
    const before = (await post('/miniprogram/login', { appid: LONE_MINI.appId, person: 'mia' })).json;
    expect(before).not.toHaveProperty('unionid');
    const first = await jscode(before.code as string, { appid: LONE_MINI.appId, secret: LONE_MINI.secret });
    expect(first.json.openid).toBe(openidFor(LONE_MINI.appId, 'mia'));
    expect(first.json).not.toHaveProperty('unionid');

    const bound = await post('/bind-open-platform', { appid: LONE_MINI.appId });
    expect(bound.json).toEqual({ appId: LONE_MINI.appId, channel: 'mini_program', openPlatform: true });
    const after = (await post('/miniprogram/login', { appid: LONE_MINI.appId, person: 'mia' })).json;
    const second = await jscode(after.code as string, { appid: LONE_MINI.appId, secret: LONE_MINI.secret });
    expect(second.json.openid).toBe(first.json.openid);
    expect(second.json.unionid).toBe((await miniLogin({ person: 'mia' })).unionid);
  });

  it('answers a replayed code with 40163, an unknown or another mini program’s code with 40029', async () => {
    const { code } = await miniLogin();
    expect((await jscode(code)).json.openid).toEqual(expect.any(String));
    expect((await jscode(code)).json.errcode).toBe(40163);
    expect((await jscode('not-a-code')).json.errcode).toBe(40029);
    const foreign = (await post('/miniprogram/login', { appid: LONE_MINI.appId })).json.code as string;
    expect((await jscode(foreign)).json.errcode).toBe(40029);
    // An OAuth code from an app is not a js code either.
    const oauth = (await post('/authorize', { appid: APP.appId })).json.code as string;
    expect((await jscode(oauth)).json.errcode).toBe(40029);
  });

  it('lets a js code live 5 minutes on the fake clock', async () => {
    const young = await miniLogin();
    const old = await miniLogin();
    fake.advanceClock(299);
    expect((await jscode(young.code)).json.openid).toEqual(expect.any(String));
    fake.advanceClock(2);
    const res = await jscode(old.code);
    expect(res.json.errcode).toBe(40029);
    expect(res.json.errmsg).toMatch(/^invalid code, rid: /);
  });

  it.each([
    ['appid', 41002],
    ['secret', 41004],
    ['js_code', 41008],
  ])('answers a missing %s with %i', async (param, errcode) => {
    const { code } = await miniLogin();
    expect((await jscode(code, { [param]: undefined })).json.errcode).toBe(errcode);
  });

  it('answers a wrong secret with 40125, a wrong grant_type with 40002, an AppID that is no mini program with 40013; none uses the code', async () => {
    const { code } = await miniLogin();
    expect((await jscode(code, { secret: 'wrongsecret0000000000000000000' })).json.errcode).toBe(40125);
    expect((await jscode(code, { grant_type: 'client_credential' })).json.errcode).toBe(40002);
    expect((await jscode(code, { appid: APP.appId, secret: APP.secret })).json.errcode).toBe(40013);
    expect((await jscode(code, { appid: 'wxunknown000000001' })).json.errcode).toBe(40013);
    expect((await jscode(code)).json.openid).toEqual(expect.any(String));
  });

  it('answers 45011 past 100 exchanges a minute for one user, leaving the code unused', async () => {
    for (let i = 0; i < 100; i++) {
      expect((await jscode((await miniLogin({ person: 'busy' })).code)).json.openid).toEqual(expect.any(String));
    }
    const { code } = await miniLogin({ person: 'busy' });
    expect((await jscode(code)).json.errcode).toBe(45011);
    // Someone else is not held back.
    expect((await jscode((await miniLogin({ person: 'calm' })).code)).json.openid).toEqual(expect.any(String));
    fake.advanceClock(61);
    expect((await jscode(code)).json.openid).toBe(openidFor(MINI.appId, 'busy'));
  });

  it('honours a configured per-user minute quota', async () => {
    await post('/settings', { jscodeMinuteQuota: 1 });
    await jscode((await miniLogin({ person: 'q' })).code);
    expect((await jscode((await miniLogin({ person: 'q' })).code)).json.errcode).toBe(45011);
  });

  it('answers 40226 for a high-risk user, and the code is gone', async () => {
    const { code } = await miniLogin({ highRisk: true });
    expect((await jscode(code)).json.errcode).toBe(40226);
    expect((await jscode(code)).json.errcode).toBe(40163);
  });

  it('takes faults: -1 and a dropped answer use the code, a 5xx does not', async () => {
    const a = await miniLogin();
    await post('/faults', { endpoint: 'jscode2session', errcode: -1, times: 1 });
    expect((await jscode(a.code)).json.errcode).toBe(-1);
    expect((await jscode(a.code)).json.errcode).toBe(40163);

    const b = await miniLogin();
    await post('/faults', { endpoint: 'jscode2session', drop: true, times: 1 });
    await expect(jscode(b.code)).rejects.toThrow();
    expect((await jscode(b.code)).json.errcode).toBe(40163);

    const c = await miniLogin();
    await post('/faults', { endpoint: 'jscode2session', httpStatus: 503, times: 1 });
    expect((await jscode(c.code)).status).toBe(503);
    expect((await jscode(c.code)).json.openid).toEqual(expect.any(String));
    expect(fake.calls('jscode2session').map((call) => call.result)).toEqual([
      'errcode:-1',
      'errcode:40163',
      'fault:drop',
      'errcode:40163',
      'fault:http503',
      'ok',
    ]);
  });

  it('refuses /miniprogram/login for an unknown AppID or one that is no mini program, and /authorize for a mini program', async () => {
    expect((await post('/miniprogram/login', { appid: 'wxnope' })).status).toBe(400);
    expect((await post('/miniprogram/login', { appid: APP.appId })).status).toBe(400);
    expect((await post('/miniprogram/login', {})).status).toBe(400);
    expect((await post('/authorize', { appid: MINI.appId })).status).toBe(400);
  });
});

describe('/cgi-bin/stable_token', () => {
  it('answers {access_token, expires_in: 7200}, and the same token on later calls with the time it has left', async () => {
    const first = await stableToken();
    expect(first.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    fake.advanceClock(1000);
    const second = await stableToken();
    expect(second.json).toEqual({ access_token: first.json.access_token, expires_in: 6200 });
    // Another app has its own.
    const other = await stableToken({ appid: OFFICIAL.appId, secret: OFFICIAL.secret });
    expect(other.json.access_token).not.toBe(first.json.access_token);
  });

  it('issues a new token in the old one’s last five minutes, and the old one works until it expires', async () => {
    const old = await appToken();
    fake.advanceClock(7200 - 299);
    const renewed = await appToken();
    expect(renewed).not.toBe(old);
    expect((await phoneNumber(old, await phoneCode())).json.errcode).toBe(0);
    fake.advanceClock(300);
    expect((await phoneNumber(old, await phoneCode())).json.errcode).toBe(42001);
    expect((await phoneNumber(renewed, await phoneCode())).json.errcode).toBe(0);
  });

  it('issues a new token after expiry', async () => {
    const old = await appToken();
    fake.advanceClock(7201);
    expect(await appToken()).not.toBe(old);
  });

  it('force_refresh issues a new token and kills the old one; at most once in 30 s and 20 times a day, else 45009', async () => {
    // Start just after midnight Beijing time, so that the day does not turn during the test.
    const beijing = 8 * 3600_000;
    fake.advanceClock((86_400_000 - ((fake.now() + beijing) % 86_400_000)) / 1000 + 60);
    const old = await appToken();
    const forced = await stableToken({ force_refresh: true });
    expect(forced.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    expect(forced.json.access_token).not.toBe(old);
    expect((await phoneNumber(old, await phoneCode())).json.errcode).toBe(40001);
    expect((await stableToken()).json.access_token).toBe(forced.json.access_token);

    const tooSoon = await stableToken({ force_refresh: true });
    expect(tooSoon.json.errcode).toBe(45009);
    expect(tooSoon.json.errmsg).toMatch(/^reach max api daily quota limit, rid: /);
    for (let i = 2; i <= 20; i++) {
      fake.advanceClock(30);
      expect((await stableToken({ force_refresh: true })).json.access_token).toEqual(expect.any(String));
    }
    fake.advanceClock(30);
    expect((await stableToken({ force_refresh: true })).json.errcode).toBe(45009);
    // The token from the 20th forced refresh still works; the next day allows 20 more.
    expect((await stableToken()).json.access_token).toEqual(expect.any(String));
    fake.advanceClock(86_400);
    expect((await stableToken({ force_refresh: true })).json.access_token).toEqual(expect.any(String));
  });

  it.each([
    ['a wrong secret', { secret: 'wrongsecret0000000000000000000' }, 40125],
    ['an unknown AppID', { appid: 'wxunknown000000001' }, 40013],
    ['a native app’s AppID', { appid: APP.appId, secret: APP.secret }, 40013],
    ['a wrong grant_type', { grant_type: 'authorization_code' }, 40002],
    ['no appid', { appid: undefined }, 41002],
    ['no secret', { secret: undefined }, 41004],
    ['a force_refresh that is not a boolean', { force_refresh: 'yes' }, 47001],
  ])('answers %s with its errcode', async (_name, body, errcode) => {
    const res = await stableToken(body);
    expect(res.status).toBe(200);
    expect(res.json.errcode).toBe(errcode);
  });

  it('answers GET with 43002 and a body that is not JSON with 47001', async () => {
    expect((await get('/cgi-bin/stable_token', { appid: MINI.appId, secret: MINI.secret })).json.errcode).toBe(43002);
    expect((await post('/cgi-bin/stable_token', '{"grant_type":')).json.errcode).toBe(47001);
  });

  it('logs each call by path, without the secret or the token', async () => {
    const token = await appToken();
    await appToken();
    await stableToken({ secret: 'wrong' });
    const res = await get('/calls', { path: '/cgi-bin/stable_token' });
    expect(res.json).toEqual({
      calls: [
        { path: '/cgi-bin/stable_token', at: expect.any(String) },
        { path: '/cgi-bin/stable_token', at: expect.any(String) },
        { path: '/cgi-bin/stable_token', at: expect.any(String) },
      ],
    });
    expect(fake.calls('stable_token').map((c) => `${c.appid}:${c.result}`)).toEqual([
      `${MINI.appId}:ok`,
      `${MINI.appId}:ok`,
      `${MINI.appId}:errcode:40125`,
    ]);
    const all = JSON.stringify((await get('/calls')).json);
    expect(all).not.toContain(MINI.secret);
    expect(all).not.toContain(token);
  });

  it('takes faults', async () => {
    await post('/faults', { endpoint: 'stable_token', errcode: -1, times: 1 });
    expect((await stableToken()).json.errcode).toBe(-1);
    await post('/faults', { endpoint: 'stable_token', httpStatus: 502, times: 1 });
    expect((await stableToken()).status).toBe(502);
    expect((await stableToken()).json.access_token).toEqual(expect.any(String));
  });
});

describe('/wxa/business/getuserphonenumber', () => {
  it('turns the phone button’s code into the number, with a watermark of the app and the time', async () => {
    const token = await appToken();
    fake.advanceClock(100);
    const code = await phoneCode({ phone: '+8613900139000' });
    const before = Math.floor(fake.now() / 1000);
    const res = await phoneNumber(token, code);
    const after = Math.floor(fake.now() / 1000);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13900139000',
        purePhoneNumber: '13900139000',
        countryCode: '86',
        watermark: { timestamp: expect.any(Number), appid: MINI.appId },
      },
    });
    const { timestamp } = (res.json.phone_info as { watermark: { timestamp: number } }).watermark;
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(fake.billedPhoneNumbers(MINI.appId)).toBe(1);
    expect((await get('/billing')).json).toEqual({ getuserphonenumber: { [MINI.appId]: 1 } });
  });

  it('gives a number outside mainland China with its country code', async () => {
    const res = await phoneNumber(await appToken(), await phoneCode({ phone: '2025550123', countryCode: '1' }));
    expect(res.json.phone_info).toEqual(
      expect.objectContaining({ phoneNumber: '+1 2025550123', purePhoneNumber: '2025550123', countryCode: '1' }),
    );
  });

  it('answers a reused, unknown, expired or another app’s code with 40029, billing only the one success', async () => {
    const token = await appToken();
    const code = await phoneCode();
    expect((await phoneNumber(token, code)).json.errcode).toBe(0);
    expect((await phoneNumber(token, code)).json.errcode).toBe(40029);
    expect((await phoneNumber(token, 'not-a-code')).json.errcode).toBe(40029);
    const foreign = (await post('/miniprogram/phone', { appid: LONE_MINI.appId, phone: '13800138000' })).json;
    expect((await phoneNumber(token, foreign.phoneCode)).json.errcode).toBe(40029);
    const late = await phoneCode();
    fake.advanceClock(301);
    expect((await phoneNumber(await appToken(), late)).json.errcode).toBe(40029);
    expect(fake.billedPhoneNumbers()).toBe(1);
  });

  it('answers 41001 without an access token, 40001 for an unknown one, 42001 for an expired one, 41008 without a code', async () => {
    const code = await phoneCode();
    expect((await phoneNumber(undefined, code)).json.errcode).toBe(41001);
    expect((await phoneNumber('not-a-token', code)).json.errcode).toBe(40001);
    expect((await phoneNumber(await appToken(), code)).json.errcode).toBe(0);
    const token = await appToken();
    expect((await phoneNumber(token, undefined)).json.errcode).toBe(41008);
    fake.advanceClock(7201);
    const fresh = await phoneCode();
    expect((await phoneNumber(token, fresh)).json.errcode).toBe(42001);
    // None of those used a code.
    expect((await phoneNumber(await appToken(), fresh)).json.errcode).toBe(0);
  });

  it('answers GET with 43002', async () => {
    const token = await appToken();
    expect((await get('/wxa/business/getuserphonenumber', { access_token: token })).json.errcode).toBe(43002);
  });

  it('takes faults: -1 uses the code and bills nothing, 45011 leaves it', async () => {
    const token = await appToken();
    const code = await phoneCode();
    await post('/faults', { endpoint: 'getuserphonenumber', errcode: 45011, times: 1 });
    expect((await phoneNumber(token, code)).json.errcode).toBe(45011);
    await post('/faults', { endpoint: 'getuserphonenumber', errcode: -1, times: 1 });
    expect((await phoneNumber(token, code)).json.errcode).toBe(-1);
    expect((await phoneNumber(token, code)).json.errcode).toBe(40029);
    expect(fake.billedPhoneNumbers()).toBe(0);
    expect((await get('/calls', { path: '/wxa/business/getuserphonenumber' })).json.calls).toHaveLength(3);
  });

  it('refuses a bad /miniprogram/phone request', async () => {
    expect((await post('/miniprogram/phone', { appid: MINI.appId })).status).toBe(400);
    expect((await post('/miniprogram/phone', { appid: MINI.appId, phone: '12345' })).status).toBe(400);
    expect((await post('/miniprogram/phone', { appid: APP.appId, phone: '13800138000' })).status).toBe(400);
    expect(
      (await post('/miniprogram/phone', { appid: MINI.appId, phone: '2025550123', countryCode: 'x' })).status,
    ).toBe(400);
  });
});
