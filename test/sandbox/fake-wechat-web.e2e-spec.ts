import { FakeWechatServer, openidFor } from '../../src/sandbox/fake-wechat/fake-wechat';
import { fakeHttp, Raw } from './fake-http';

// The web channels of the fake WeChat over real HTTP: the official account's /connect/oauth2/authorize
// page and the website's /connect/qrconnect page, the codes they hand back through the usual
// /sns/oauth2/access_token, and unionid by Open Platform binding across every channel (providers-api.md).

const APP = { appId: 'wxapp000000000001', secret: 'appsecret0000000000000000000001' };
const OFFICIAL = {
  appId: 'wxoa0000000000001',
  secret: 'oasecret00000000000000000000001',
  channel: 'official_account' as const,
};
const WEBSITE = {
  appId: 'wxweb000000000001',
  secret: 'websecret0000000000000000000001',
  channel: 'website' as const,
  redirectDomains: ['example.com', 'localhost', 'https://shop.test.cn'],
};
const LONE_OFFICIAL = {
  appId: 'wxoa0000000000002',
  secret: 'oasecret00000000000000000000002',
  channel: 'official_account' as const,
  openPlatform: false,
};
const MINI = {
  appId: 'wxmini00000000001',
  secret: 'minisecret000000000000000000001',
  channel: 'mini_program' as const,
};

let fake: FakeWechatServer;
let base = '';
const { get, post } = fakeHttp(() => base);

beforeAll(async () => {
  fake = new FakeWechatServer({ apps: [APP, OFFICIAL, WEBSITE, LONE_OFFICIAL, MINI] });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

const officialPage = (params: Record<string, string | undefined> = {}): Promise<Raw> =>
  get('/connect/oauth2/authorize', {
    appid: OFFICIAL.appId,
    redirect_uri: 'https://h5.example.com/wechat/back',
    response_type: 'code',
    scope: 'snsapi_userinfo',
    state: 'st-official',
    ...params,
  });

const qrPage = (params: Record<string, string | undefined> = {}): Promise<Raw> =>
  get('/connect/qrconnect', {
    appid: WEBSITE.appId,
    redirect_uri: 'https://login.example.com/wechat/back',
    response_type: 'code',
    scope: 'snsapi_login',
    state: 'st-web',
    ...params,
  });

function redirectedTo(res: Raw): URL {
  expect(res.status).toBe(302);
  return new URL(res.location!);
}

const exchange = (app: { appId: string; secret: string }, code: string): Promise<Raw> =>
  get('/sns/oauth2/access_token', {
    appid: app.appId,
    secret: app.secret,
    code,
    grant_type: 'authorization_code',
  });

const userinfo = (tokens: Record<string, unknown>): Promise<Raw> =>
  get('/sns/userinfo', { access_token: tokens.access_token as string, openid: tokens.openid as string });

describe('/connect/oauth2/authorize (a page inside WeChat, official account)', () => {
  it('sends the browser back with a code and the state; the code goes through /sns/oauth2/access_token', async () => {
    const back = redirectedTo(await officialPage({ person: 'olga' }));
    expect(`${back.origin}${back.pathname}`).toBe('https://h5.example.com/wechat/back');
    expect(back.searchParams.get('state')).toBe('st-official');
    const code = back.searchParams.get('code')!;

    const tokens = await exchange(OFFICIAL, code);
    const appSide = (await post('/authorize', { appid: APP.appId, person: 'olga' })).json;
    expect(tokens.json).toEqual({
      access_token: expect.any(String),
      expires_in: 7200,
      refresh_token: expect.any(String),
      openid: openidFor(OFFICIAL.appId, 'olga'),
      scope: 'snsapi_userinfo',
      unionid: appSide.unionid,
    });
    expect((await userinfo(tokens.json)).json).toEqual(
      expect.objectContaining({ openid: openidFor(OFFICIAL.appId, 'olga'), unionid: appSide.unionid }),
    );
    // Single use, and only with the official account's own secret.
    expect((await exchange(OFFICIAL, code)).json.errcode).toBe(40163);
    const other = redirectedTo(await officialPage()).searchParams.get('code')!;
    expect((await exchange(APP, other)).json.errcode).toBe(40029);
  });

  it('answers user info without the real nickname or avatar, as official accounts do since 2021-12-27', async () => {
    const code = redirectedTo(await officialPage({ person: 'olga' })).searchParams.get('code')!;
    await post('/persons/profile', { person: 'olga', nickname: 'Olga🌸' });
    const info = await userinfo((await exchange(OFFICIAL, code)).json);
    expect(info.json.nickname).toBe('微信用户');
    expect(info.json.headimgurl).toMatch(/^https:\/\/thirdwx\.qlogo\.cn\/mmopen\/.+\/132$/);
    // The same person through a native app still shows theirs.
    const appCode = (await post('/authorize', { appid: APP.appId, person: 'olga' })).json.code as string;
    expect((await userinfo((await exchange(APP, appCode)).json)).json.nickname).toBe('Olga🌸');
  });

  it('with snsapi_base gives openid only: no unionid, and userinfo answers 48001', async () => {
    const code = redirectedTo(await officialPage({ scope: 'snsapi_base', person: 'olga' })).searchParams.get('code')!;
    const tokens = await exchange(OFFICIAL, code);
    expect(tokens.json).toEqual(
      expect.objectContaining({ openid: openidFor(OFFICIAL.appId, 'olga'), scope: 'snsapi_base' }),
    );
    expect(tokens.json).not.toHaveProperty('unionid');
    expect((await userinfo(tokens.json)).json.errcode).toBe(48001);
  });

  it('keeps redirect_uri’s own query and fragment, and sends an empty state when none was given', async () => {
    const res = await officialPage({ redirect_uri: 'http://localhost:5173/cb?from=menu#/home', state: undefined });
    expect(res.location).toMatch(/^http:\/\/localhost:5173\/cb\?from=menu&code=[0-9a-f]+&state=#\/home$/);
  });

  it.each([
    ['an unknown appid', { appid: 'wxnope' }, 'appid 参数错误'],
    ['a website’s appid', { appid: WEBSITE.appId }, '10016'],
    ['a native app’s appid', { appid: APP.appId }, '10016'],
    ['a missing redirect_uri', { redirect_uri: undefined }, '10003 redirect_uri'],
    ['a redirect_uri that is not a URL', { redirect_uri: 'not a url' }, '10003 redirect_uri'],
    ['a javascript: redirect_uri', { redirect_uri: 'javascript:alert(1)' }, '10003 redirect_uri'],
    ['the website scope', { scope: 'snsapi_login' }, '10005'],
    ['a missing response_type', { response_type: undefined }, 'response_type 参数错误'],
    ['a state over 128 bytes', { state: 'x'.repeat(129) }, 'state 参数错误'],
  ])('answers %s with an HTML error page and status 400, issuing no code', async (_name, params, message) => {
    const res = await officialPage(params);
    expect(res.status).toBe(400);
    expect(res.contentType).toBe('text/html; charset=utf-8');
    expect(res.location).toBeNull();
    expect(res.text).toContain(message);
    expect(fake.issuedSecrets()).toEqual([]);
  });
});

describe('/connect/qrconnect (a desktop website, QR scanned)', () => {
  it('sends the browser back with a code whose tokens carry snsapi_login, unionid, and read user info', async () => {
    const code = redirectedTo(await qrPage({ person: 'wen' })).searchParams.get('code')!;
    const tokens = await exchange(WEBSITE, code);
    const appSide = (await post('/authorize', { appid: APP.appId, person: 'wen' })).json;
    expect(tokens.json).toEqual(
      expect.objectContaining({
        openid: openidFor(WEBSITE.appId, 'wen'),
        scope: 'snsapi_login',
        unionid: appSide.unionid,
      }),
    );
    const info = await userinfo(tokens.json);
    expect(info.json).toEqual(expect.objectContaining({ openid: tokens.json.openid, unionid: appSide.unionid }));
  });

  it('accepts redirect_uri hosts that are, or are under, a registered callback domain, on any port', async () => {
    for (const uri of [
      'https://example.com/cb',
      'https://a.b.example.com/cb',
      'http://localhost:3000/any/path',
      // A domain registered as a URL counts by its host.
      'https://m.shop.test.cn/cb',
    ]) {
      expect((await qrPage({ redirect_uri: uri })).status).toBe(302);
    }
  });

  it.each([
    ['another domain', 'https://evil.com/cb'],
    ['a look-alike domain', 'https://notexample.com/cb'],
    ['a domain that only starts like one', 'https://example.com.evil.com/cb'],
    ['a registered domain’s parent', 'https://test.cn/cb'],
  ])('refuses a redirect_uri on %s', async (_name, uri) => {
    const res = await qrPage({ redirect_uri: uri });
    expect(res.status).toBe(400);
    expect(res.text).toContain('redirect_uri 参数错误');
  });

  it.each([
    ['an official account’s appid', { appid: OFFICIAL.appId }, 'AppID 参数错误'],
    ['a mini program’s appid', { appid: MINI.appId }, 'AppID 参数错误'],
    ['the official-account scope', { scope: 'snsapi_userinfo' }, 'Scope 参数错误'],
    ['a wrong response_type', { response_type: 'token' }, 'response_type 参数错误'],
  ])('answers %s with a 400 page', async (_name, params, message) => {
    const res = await qrPage(params);
    expect(res.status).toBe(400);
    expect(res.text).toContain(message);
  });

  it('logs page visits by path', async () => {
    await qrPage();
    await qrPage({ appid: 'wxnope' });
    expect((await get('/calls', { path: '/connect/qrconnect' })).json).toEqual({
      calls: [
        { path: '/connect/qrconnect', at: expect.any(String) },
        { path: '/connect/qrconnect', at: expect.any(String) },
      ],
    });
    expect(fake.calls('qrconnect').map((c) => c.result)).toEqual(['redirect', 'page:400']);
  });
});

describe('POST /authorize for the web channels (the sandbox’s shortcut)', () => {
  it('gives official-account codes the snsapi_userinfo scope and website codes snsapi_login', async () => {
    const oa = (await post('/authorize', { appid: OFFICIAL.appId, person: 'p' })).json;
    const web = (await post('/authorize', { appid: WEBSITE.appId, person: 'p', state: 's' })).json;
    expect(web.state).toBe('s');
    expect((await exchange(OFFICIAL, oa.code as string)).json.scope).toBe('snsapi_userinfo');
    expect((await exchange(WEBSITE, web.code as string)).json).toEqual(
      expect.objectContaining({ scope: 'snsapi_login', openid: web.openid, unionid: web.unionid }),
    );
    expect(oa.unionid).toBe(web.unionid);
  });
});

describe('unionid follows the Open Platform binding', () => {
  it('an app off the Open Platform answers openid only, everywhere', async () => {
    const approved = (await post('/authorize', { appid: LONE_OFFICIAL.appId, person: 'lee' })).json;
    expect(approved).toEqual({ code: expect.any(String), openid: openidFor(LONE_OFFICIAL.appId, 'lee') });
    const tokens = await exchange(LONE_OFFICIAL, approved.code as string);
    expect(tokens.json).not.toHaveProperty('unionid');
    expect((await userinfo(tokens.json)).json).not.toHaveProperty('unionid');
  });

  it('after POST /bind-open-platform the same identities carry the person’s unionid (the late unionid)', async () => {
    const first = (await post('/authorize', { appid: LONE_OFFICIAL.appId, person: 'lee' })).json;
    const tokens = await exchange(LONE_OFFICIAL, first.code as string);
    const unionid = (await post('/authorize', { appid: APP.appId, person: 'lee' })).json.unionid;

    expect((await post('/bind-open-platform', { appid: LONE_OFFICIAL.appId })).status).toBe(200);
    // The grant from before the binding now reads the unionid too.
    expect((await userinfo(tokens.json)).json.unionid).toBe(unionid);
    const again = (await post('/authorize', { appid: LONE_OFFICIAL.appId, person: 'lee' })).json;
    expect(again.openid).toBe(first.openid);
    expect(again.unionid).toBe(unionid);
    expect((await exchange(LONE_OFFICIAL, again.code as string)).json.unionid).toBe(unionid);
  });

  it('GET /apps lists every app with its channel and binding; reset undoes a binding', async () => {
    const listed = [
      { appId: APP.appId, channel: 'app', openPlatform: true },
      { appId: OFFICIAL.appId, channel: 'official_account', openPlatform: true },
      { appId: WEBSITE.appId, channel: 'website', openPlatform: true },
      { appId: LONE_OFFICIAL.appId, channel: 'official_account', openPlatform: false },
      { appId: MINI.appId, channel: 'mini_program', openPlatform: true },
    ];
    expect((await get('/apps')).json).toEqual(listed);
    await post('/bind-open-platform', { appid: LONE_OFFICIAL.appId });
    expect(fake.apps()[3].openPlatform).toBe(true);
    await post('/reset', {});
    expect(fake.apps()).toEqual(listed);
    expect((await post('/bind-open-platform', { appid: 'wxnope' })).status).toBe(400);
  });
});
