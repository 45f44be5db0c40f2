import { SANDBOX_WECHAT_APP } from '../../src/config/app-config';
import { startTestApp, TestApp } from '../support/test-app';

// The fake WeChat as the sandbox serves it, inside the service at /sandbox/wechat: Express has parsed
// the JSON bodies and Nest's middleware sits in front, and every channel still answers as when alone.

const MINI = {
  appId: 'wxmountmini000001',
  secret: 'mountminisecret0000000000000001',
  channel: 'mini_program' as const,
  redirectUris: [] as string[],
};
const OFFICIAL = {
  appId: 'wxmountoa00000001',
  secret: 'mountoasecret000000000000000001',
  channel: 'official_account' as const,
  redirectDomains: ['localhost'],
  redirectUris: ['http://localhost:*/*'],
};

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    env: { SMS_CONSOLE_LOG_CODES: 'false' },
    override: (config) => ({ ...config, wechat: { ...config.wechat, apps: [...config.wechat.apps, MINI, OFFICIAL] } }),
  });
});

afterAll(async () => {
  await t.close();
});

const fake = '/sandbox/wechat';

it('lists its apps with their channel and Open Platform binding', async () => {
  const res = await t.http().get(`${fake}/apps`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual(
    expect.arrayContaining([
      { appId: SANDBOX_WECHAT_APP.appId, channel: 'app', openPlatform: true },
      { appId: MINI.appId, channel: 'mini_program', openPlatform: true },
      { appId: OFFICIAL.appId, channel: 'official_account', openPlatform: true },
    ]),
  );
});

it('runs a mini program’s login and phone button through jscode2session, stable_token and getuserphonenumber', async () => {
  const login = await t.http().post(`${fake}/miniprogram/login`).send({ appid: MINI.appId, person: 'mounted' });
  expect(login.status).toBe(200);
  const session = await t.http().get(`${fake}/sns/jscode2session`).query({
    appid: MINI.appId,
    secret: MINI.secret,
    js_code: login.body.code,
    grant_type: 'authorization_code',
  });
  const sessionBody = JSON.parse(session.text) as Record<string, unknown>;
  expect(sessionBody).toEqual({
    openid: login.body.openid,
    session_key: expect.any(String),
    unionid: login.body.unionid,
  });

  const token = await t
    .http()
    .post(`${fake}/cgi-bin/stable_token`)
    .send({ grant_type: 'client_credential', appid: MINI.appId, secret: MINI.secret, force_refresh: false });
  const { access_token: accessToken } = JSON.parse(token.text) as { access_token: string };
  expect(accessToken).toEqual(expect.any(String));

  const phone = await t.http().post(`${fake}/miniprogram/phone`).send({ appid: MINI.appId, phone: '13700137000' });
  const number = await t
    .http()
    .post(`${fake}/wxa/business/getuserphonenumber`)
    .query({ access_token: accessToken })
    .send({ code: phone.body.phoneCode });
  expect(JSON.parse(number.text)).toEqual(
    expect.objectContaining({
      errcode: 0,
      phone_info: expect.objectContaining({ purePhoneNumber: '13700137000', countryCode: '86' }),
    }),
  );

  const calls = await t.http().get(`${fake}/calls`).query({ path: '/sns/jscode2session' });
  expect(calls.body).toEqual({ calls: [{ path: '/sns/jscode2session', at: expect.any(String) }] });
});

it('redirects an official account’s authorize page back with a code, and refuses a redirect_uri off its domains', async () => {
  const page = (redirectUri: string) =>
    t.http().get(`${fake}/connect/oauth2/authorize`).query({
      appid: OFFICIAL.appId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'snsapi_userinfo',
      state: 'mounted',
    });
  const ok = await page('http://localhost:8080/back');
  expect(ok.status).toBe(302);
  expect(ok.headers.location).toMatch(/^http:\/\/localhost:8080\/back\?code=[0-9a-f]{32}&state=mounted$/);
  const refused = await page('https://elsewhere.example/back');
  expect(refused.status).toBe(400);
  expect(refused.text).toContain('redirect_uri');
});
