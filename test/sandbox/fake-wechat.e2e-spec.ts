import { FakeWechatServer, openidFor } from '../../src/sandbox/fake-wechat/fake-wechat';

// Every behaviour that docs/wechat-api.md asks of the fake, spoken to over real HTTP.

const APP = { appId: 'wxfake0000000001', secret: 'fakesecret000000000000000000001' };
const OTHER_APP = { appId: 'wxfake0000000002', secret: 'fakesecret000000000000000000002' };

let fake: FakeWechatServer;
let base: string;

beforeAll(async () => {
  fake = new FakeWechatServer({ apps: [APP, OTHER_APP] });
  base = await fake.listen(0);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

async function eventually(check: () => void, attempts = 400): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return check();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Raw {
  status: number;
  contentType: string | null;
  text: string;
  json: Record<string, unknown>;
}

async function get(path: string, params: Record<string, string | undefined>): Promise<Raw> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
  const res = await fetch(`${base}${path}?${query.toString()}`);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: some faults answer with a body that is not JSON
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

async function post(
  path: string,
  body: unknown,
  method = 'POST',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function authorize(
  body: Record<string, unknown> = {},
): Promise<{ code: string; openid: string; unionid: string; state?: string }> {
  const res = await post('/authorize', { appid: APP.appId, ...body });
  expect(res.status).toBe(200);
  return res.json as { code: string; openid: string; unionid: string };
}

const exchange = (code: string | undefined, overrides: Record<string, string | undefined> = {}): Promise<Raw> =>
  get('/sns/oauth2/access_token', {
    appid: APP.appId,
    secret: APP.secret,
    code,
    grant_type: 'authorization_code',
    ...overrides,
  });

const refresh = (token: string | undefined, overrides: Record<string, string | undefined> = {}): Promise<Raw> =>
  get('/sns/oauth2/refresh_token', {
    appid: APP.appId,
    grant_type: 'refresh_token',
    refresh_token: token,
    ...overrides,
  });

async function login(body: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const { code } = await authorize(body);
  const res = await exchange(code);
  expect(res.json.errcode).toBeUndefined();
  return res.json as Record<string, string>;
}

describe('authorize (the WeChat client on the phone)', () => {
  it('gives the same person the same unionid everywhere and the same openid per app', async () => {
    const first = await authorize({ person: 'alice', state: 's1' });
    const again = await authorize({ person: 'alice' });
    const otherApp = (await post('/authorize', { appid: OTHER_APP.appId, person: 'alice' })).json;
    const bob = await authorize({ person: 'bob' });

    expect(first.state).toBe('s1');
    expect(again.openid).toBe(first.openid);
    expect(again.unionid).toBe(first.unionid);
    expect(again.code).not.toBe(first.code);
    expect(otherApp.unionid).toBe(first.unionid);
    expect(otherApp.openid).not.toBe(first.openid);
    expect(bob.unionid).not.toBe(first.unionid);
    expect(first.openid).toBe(openidFor(APP.appId, 'alice'));
  });

  it('makes a new person when no label is given', async () => {
    const a = await authorize();
    const b = await authorize();
    expect(a.unionid).not.toBe(b.unionid);
  });

  it('refuses an unknown appid and malformed input with 400', async () => {
    expect((await post('/authorize', { appid: 'wxnope' })).status).toBe(400);
    expect((await post('/authorize', {})).status).toBe(400);
    expect((await post('/authorize', { appid: APP.appId, person: 42 })).status).toBe(400);
  });
});

describe('/sns/oauth2/access_token', () => {
  it('exchanges a code for tokens, openid, scope and unionid', async () => {
    const { code, openid, unionid } = await authorize({ person: 'carol' });
    const res = await exchange(code);

    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      access_token: expect.any(String),
      expires_in: 7200,
      refresh_token: expect.any(String),
      openid,
      scope: 'snsapi_userinfo',
      unionid,
    });
    expect(res.json.errcode).toBeUndefined();
  });

  it('answers a replayed code with 40163', async () => {
    const { code } = await authorize();
    await exchange(code);
    const replay = await exchange(code);
    expect(replay.status).toBe(200);
    expect(replay.json.errcode).toBe(40163);
  });

  it('answers an unknown code, and a code of another app, with 40029', async () => {
    expect((await exchange('not-a-real-code')).json.errcode).toBe(40029);
    const foreign = (await post('/authorize', { appid: OTHER_APP.appId })).json.code as string;
    expect((await exchange(foreign)).json.errcode).toBe(40029);
  });

  it('answers an expired code with 40029, or 42003 when switched', async () => {
    const { code } = await authorize();
    const other = await authorize();
    fake.advanceClock(301);
    expect((await exchange(code)).json.errcode).toBe(40029);

    await post('/settings', { expiredCodeErrcode: 42003 });
    expect((await exchange(other.code)).json.errcode).toBe(42003);
  });

  it('honours a configured code lifetime', async () => {
    await post('/settings', { codeTtlSeconds: 600 });
    const { code } = await authorize();
    fake.advanceClock(400);
    expect((await exchange(code)).json.access_token).toEqual(expect.any(String));
  });

  it.each([
    ['appid', 41002],
    ['secret', 41004],
    ['code', 41008],
  ])('answers a missing %s with %i', async (param, errcode) => {
    const { code } = await authorize();
    expect((await exchange(code, { [param]: undefined })).json.errcode).toBe(errcode);
  });

  it('answers a wrong grant_type with 40002, an unknown appid with 40013, a wrong secret with 40125', async () => {
    const { code } = await authorize();
    expect((await exchange(code, { grant_type: 'client_credential' })).json.errcode).toBe(40002);
    expect((await exchange(code, { appid: 'wxunknown0000001' })).json.errcode).toBe(40013);
    expect((await exchange(code, { secret: 'wrongsecret0000000000000000000' })).json.errcode).toBe(40125);
    // None of those used the code up.
    expect((await exchange(code)).json.access_token).toEqual(expect.any(String));
  });

  it('leaves unionid out when the authorization had none', async () => {
    const { code } = await authorize({ withoutUnionid: true });
    const res = await exchange(code);
    expect(res.json.openid).toEqual(expect.any(String));
    expect(res.json).not.toHaveProperty('unionid');
  });

  it('can send a trailing comma in scope', async () => {
    await post('/settings', { scopeTrailingComma: true });
    const tokens = await login();
    expect(tokens.scope).toBe('snsapi_userinfo,');
  });
});

describe('errmsg and Content-Type', () => {
  it('appends a rid suffix to every errmsg and answers HTTP 200', async () => {
    const res = await exchange('unknown');
    expect(res.status).toBe(200);
    expect(res.json.errmsg).toMatch(/^invalid code, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('uses a JSON Content-Type by default and text/plain when switched', async () => {
    const before = await exchange('unknown');
    expect(before.contentType).toBe('application/json; encoding=utf-8');
    await post('/settings', { contentType: 'text/plain' });
    const after = await exchange('unknown');
    expect(after.contentType).toBe('text/plain');
    expect(after.json.errcode).toBe(40029);
  });
});

describe('/sns/oauth2/refresh_token', () => {
  it('returns the same access token with its expiry reset while it is still valid, and no unionid', async () => {
    const tokens = await login({ person: 'dora' });
    fake.advanceClock(3600);
    const res = await refresh(tokens.refresh_token);

    expect(res.json).toEqual({
      access_token: tokens.access_token,
      expires_in: 7200,
      refresh_token: tokens.refresh_token,
      openid: tokens.openid,
      scope: 'snsapi_userinfo',
    });
    // The reset expiry holds past the original one.
    fake.advanceClock(7000);
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode).toBe(0);
  });

  it('returns a new access token once the old one expired', async () => {
    const tokens = await login();
    fake.advanceClock(7201);
    const res = await refresh(tokens.refresh_token);
    expect(res.json.access_token).toEqual(expect.any(String));
    expect(res.json.access_token).not.toBe(tokens.access_token);
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode).toBe(
      40001,
    );
  });

  it('rotates refresh tokens when switched, and the old one dies', async () => {
    await post('/settings', { rotateRefreshTokens: true });
    const tokens = await login();
    const res = await refresh(tokens.refresh_token);
    expect(res.json.refresh_token).not.toBe(tokens.refresh_token);
    expect((await refresh(tokens.refresh_token)).json.errcode).toBe(40030);
    expect((await refresh(res.json.refresh_token as string)).json.access_token).toEqual(expect.any(String));
  });

  it('answers an expired refresh token with 42002; its lifetime is fixed from the grant and configurable', async () => {
    await post('/settings', { refreshTokenTtlSeconds: 100 * 24 * 3600 });
    const tokens = await login();
    fake.advanceClock(99 * 24 * 3600);
    expect((await refresh(tokens.refresh_token)).json.access_token).toEqual(expect.any(String));
    fake.advanceClock(2 * 24 * 3600);
    expect((await refresh(tokens.refresh_token)).json.errcode).toBe(42002);
  });

  it('defaults to a 30-day refresh token', async () => {
    const tokens = await login();
    fake.advanceClock(30 * 24 * 3600 + 1);
    expect((await refresh(tokens.refresh_token)).json.errcode).toBe(42002);
  });

  it('answers 40030 for an unknown or foreign refresh token, 41003 when missing, 40002 for a wrong grant_type', async () => {
    const tokens = await login();
    expect((await refresh('nope')).json.errcode).toBe(40030);
    expect((await refresh(tokens.refresh_token, { appid: OTHER_APP.appId })).json.errcode).toBe(40030);
    expect((await refresh(undefined)).json.errcode).toBe(41003);
    expect((await refresh(tokens.refresh_token, { grant_type: 'authorization_code' })).json.errcode).toBe(40002);
    expect((await refresh(tokens.refresh_token, { appid: undefined })).json.errcode).toBe(41002);
  });

  it('answers 42007 for every token once the person changed their password', async () => {
    const tokens = await login({ person: 'erin' });
    expect((await post('/persons/reset-credentials', { person: 'erin' })).status).toBe(200);
    expect((await refresh(tokens.refresh_token)).json.errcode).toBe(42007);
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode).toBe(
      42007,
    );
    // A new authorization works again.
    const fresh = await login({ person: 'erin' });
    expect((await refresh(fresh.refresh_token)).json.access_token).toEqual(expect.any(String));
  });
});

describe('/sns/auth', () => {
  it('answers {errcode: 0, errmsg: "ok"} for a valid token', async () => {
    const tokens = await login();
    const res = await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid });
    expect(res.json).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('answers 40003 on an openid mismatch, 42001 when expired, 40001 for an unknown token', async () => {
    const tokens = await login();
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: 'oSomeoneElse' })).json.errcode).toBe(
      40003,
    );
    expect((await get('/sns/auth', { access_token: 'unknown', openid: tokens.openid })).json.errcode).toBe(40001);
    fake.advanceClock(7201);
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode).toBe(
      42001,
    );
  });

  it('answers 41001 and 41009 for missing parameters', async () => {
    const tokens = await login();
    expect((await get('/sns/auth', { openid: tokens.openid })).json.errcode).toBe(41001);
    expect((await get('/sns/auth', { access_token: tokens.access_token })).json.errcode).toBe(41009);
  });
});

describe('/sns/userinfo', () => {
  it('answers the post-2021 profile: sex 0, empty region, language, privilege, unionid, emoji nickname', async () => {
    const tokens = await login({ person: 'fay', nickname: '小鱼🐟' });
    const res = await get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid, lang: 'zh_CN' });
    expect(res.json).toEqual({
      openid: tokens.openid,
      nickname: '小鱼🐟',
      sex: 0,
      language: 'zh_CN',
      city: '',
      province: '',
      country: '',
      headimgurl: expect.stringMatching(/^http:\/\/thirdwx\.qlogo\.cn\/mmopen\/.+\/132$/),
      privilege: [],
      unionid: tokens.unionid,
    });
    // Slashes are escaped on the wire, as WeChat does.
    expect(res.text).toContain('http:\\/\\/thirdwx.qlogo.cn');
  });

  it('answers 48001 without the snsapi_userinfo scope', async () => {
    const tokens = await login({ scope: 'snsapi_base' });
    expect(
      (await get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode,
    ).toBe(48001);
  });

  it('drops unionid when switched, and sends sex as a string when switched', async () => {
    const tokens = await login();
    await post('/settings', { dropUnionid: true, sexAsString: true });
    const res = await get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid });
    expect(res.json).not.toHaveProperty('unionid');
    expect(res.json.sex).toBe('0');
  });

  it('shows a changed profile', async () => {
    const tokens = await login({ person: 'gus' });
    await post('/persons/profile', { person: 'gus', nickname: 'Gus 2', avatarUrl: '' });
    const res = await get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid });
    expect(res.json.nickname).toBe('Gus 2');
    expect(res.json.headimgurl).toBe('');
  });

  it('answers 42001, 40003 and 40001 like /sns/auth', async () => {
    const tokens = await login();
    expect((await get('/sns/userinfo', { access_token: tokens.access_token, openid: 'oOther' })).json.errcode).toBe(
      40003,
    );
    expect((await get('/sns/userinfo', { access_token: 'x', openid: tokens.openid })).json.errcode).toBe(40001);
    fake.advanceClock(7300);
    expect(
      (await get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode,
    ).toBe(42001);
  });
});

describe('fault injection', () => {
  it('-1 on the code exchange still consumes the code: the retry gets 40163', async () => {
    const { code } = await authorize();
    await post('/faults', { endpoint: 'access_token', errcode: -1, times: 1 });
    const first = await exchange(code);
    expect(first.json.errcode).toBe(-1);
    expect(first.json.errmsg).toMatch(/^system error, rid: /);
    expect((await exchange(code)).json.errcode).toBe(40163);
  });

  it('45011 answers for `times` calls, then the endpoint recovers', async () => {
    const tokens = await login();
    await post('/faults', { endpoint: 'userinfo', errcode: 45011, times: 2 });
    const call = (): Promise<Raw> => get('/sns/userinfo', { access_token: tokens.access_token, openid: tokens.openid });
    expect((await call()).json.errcode).toBe(45011);
    expect((await call()).json.errcode).toBe(45011);
    expect((await call()).json.openid).toBe(tokens.openid);
  });

  it('answers an injected HTTP 5xx with a non-JSON body, without using the code', async () => {
    const { code } = await authorize();
    await post('/faults', { endpoint: 'access_token', httpStatus: 502, times: 1 });
    const res = await exchange(code);
    expect(res.status).toBe(502);
    expect(res.json).toEqual({});
    expect((await exchange(code)).json.access_token).toEqual(expect.any(String));
  });

  it('delays an answer by delayMs and then answers normally', async () => {
    const tokens = await login();
    await post('/faults', { endpoint: 'auth', delayMs: 300, times: 1 });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 100);
    await expect(
      fetch(`${base}/sns/auth?access_token=${tokens.access_token}&openid=${tokens.openid}`, {
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    clearTimeout(timer);
    // The delayed call still completes on the fake's side, after the client gave up.
    await eventually(() => expect(fake.calls('auth').map((c) => c.result)).toEqual(['ok']));
  });

  it('drops the connection without an answer, and the dropped exchange used the code', async () => {
    const { code } = await authorize();
    await post('/faults', { endpoint: 'access_token', drop: true, times: 1 });
    await expect(exchange(code)).rejects.toThrow();
    expect((await exchange(code)).json.errcode).toBe(40163);
  });

  it('answers a malformed body', async () => {
    const tokens = await login();
    await post('/faults', { endpoint: 'refresh_token', malformed: true, times: 1 });
    const res = await refresh(tokens.refresh_token);
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('injects faults per endpoint only, and DELETE /faults clears them', async () => {
    const tokens = await login();
    await post('/faults', { endpoint: 'refresh_token', errcode: -1, times: 5 });
    expect((await get('/sns/auth', { access_token: tokens.access_token, openid: tokens.openid })).json.errcode).toBe(0);
    expect((await refresh(tokens.refresh_token)).json.errcode).toBe(-1);
    expect((await post('/faults', undefined, 'DELETE')).json.faults).toEqual([]);
    expect((await refresh(tokens.refresh_token)).json.access_token).toEqual(expect.any(String));
  });

  it('refuses malformed fault requests', async () => {
    expect((await post('/faults', { endpoint: 'nope', errcode: -1 })).status).toBe(400);
    expect((await post('/faults', { endpoint: 'auth' })).status).toBe(400);
    expect((await post('/faults', { endpoint: 'auth', errcode: -1, drop: true })).status).toBe(400);
    expect((await post('/faults', { endpoint: 'auth', httpStatus: 200 })).status).toBe(400);
  });
});

describe('clock and call log', () => {
  it('moves its clock forward on POST /clock and refuses going back', async () => {
    const before = Date.parse((await post('/clock', { advanceSeconds: 0 })).json.now as string);
    const after = Date.parse((await post('/clock', { advanceSeconds: 3600 })).json.now as string);
    expect(after - before).toBeGreaterThanOrEqual(3600 * 1000);
    expect((await post('/clock', { advanceSeconds: -5 })).status).toBe(400);
  });

  it('records every API call with its endpoint and outcome, never a secret or token', async () => {
    const { code } = await authorize();
    await exchange(code);
    await exchange(code);
    const calls = (await fetch(`${base}/calls?endpoint=access_token`).then((r) => r.json())) as { calls: unknown[] };
    expect(calls.calls).toEqual([
      expect.objectContaining({ endpoint: 'access_token', appid: APP.appId, result: 'ok' }),
      expect.objectContaining({ endpoint: 'access_token', result: 'errcode:40163' }),
    ]);
    expect(JSON.stringify(calls)).not.toContain(APP.secret);
    expect(JSON.stringify(calls)).not.toContain(code);
  });

  it('answers 404 for unknown paths', async () => {
    expect((await fetch(`${base}/sns/nothing`)).status).toBe(404);
  });
});
