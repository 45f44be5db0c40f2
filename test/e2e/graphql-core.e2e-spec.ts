import { errorCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { leakedSecrets } from '../support/log-secrets';

/** Log lines at error level (or worse) about one request. */
function errorLinesOf(t: TestApp, requestId: string): string[] {
  return t.logs.filter((line) => line.includes(requestId) && /"level":"(error|fatal)"/.test(line));
}

const LOGIN_OPTIONS = `query Options($platform: Platform!, $installed: Boolean!) {
  loginOptions(platform: $platform, wechatInstalled: $installed) { showWechatButton promptInstallWechat methods }
}`;

describe('GraphQL core (sandbox mode)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  // The sandbox configures Apple too, so iOS adds it (App Store 4.8), and QQ on every phone (before the
  // phone); a server without them keeps the seed's answers exactly (src/login-options/login-options.service.spec.ts).
  describe('loginOptions follows the seed rules, with Apple on iOS', () => {
    it.each([
      [
        'ANDROID',
        true,
        { showWechatButton: true, promptInstallWechat: false, methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] },
      ],
      [
        'ANDROID',
        false,
        { showWechatButton: true, promptInstallWechat: true, methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] },
      ],
      [
        'IOS',
        true,
        { showWechatButton: true, promptInstallWechat: false, methods: ['WECHAT', 'APPLE', 'QQ', 'ALIPAY', 'PHONE'] },
      ],
      [
        'IOS',
        false,
        { showWechatButton: false, promptInstallWechat: false, methods: ['APPLE', 'QQ', 'ALIPAY', 'PHONE'] },
      ],
    ])('%s with WeChat installed=%s', async (platform, installed, expected) => {
      const res = await t.gql(LOGIN_OPTIONS, { platform, installed });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual({ loginOptions: expected });
    });

    it('refuses an unknown platform with BAD_USER_INPUT', async () => {
      const res = await t.gql(LOGIN_OPTIONS, { platform: 'WINDOWS_PHONE', installed: true });
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.body.data).toBeUndefined();
    });
  });

  describe('transport protections', () => {
    it('refuses a text/plain POST (CSRF prevention) without running it', async () => {
      const res = await t
        .http()
        .post('/graphql')
        .set('content-type', 'text/plain')
        .send(JSON.stringify({ query: '{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }' }));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain('WECHAT');
    });

    it('refuses a batched POST', async () => {
      const one = { query: '{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }' };
      const res = await t.http().post('/graphql').set('content-type', 'application/json').send([one, one]);
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(Array.isArray(res.body)).toBe(false);
    });

    it('refuses a GET query without a preflight header (CSRF prevention)', async () => {
      const res = await t
        .http()
        .get('/graphql')
        .query({ query: '{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }' });
      expect(res.status).toBe(400);
    });

    it('refuses a body over the cap with 413', async () => {
      const huge = 'x'.repeat(70 * 1024);
      const res = await t
        .http()
        .post('/graphql')
        .set('content-type', 'application/json')
        .send({ query: `{ loginOptions(platform: IOS, wechatInstalled: true) { methods } } # ${huge}` });
      expect(res.status).toBe(413);
    });
  });

  describe('query limits answer QUERY_TOO_COMPLEX', () => {
    it('60 aliases in one query', async () => {
      const fields = Array.from(
        { length: 60 },
        (_, i) => `a${i}: loginOptions(platform: IOS, wechatInstalled: true) { methods }`,
      );
      const res = await t.gql(`{ ${fields.join('\n')} }`);
      expect(res.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(res.body.data).toBeUndefined();
    });

    it('a document over the token limit: HTTP 400, not logged as an error', async () => {
      const fields = Array.from({ length: 800 }, () => 'methods showWechatButton promptInstallWechat');
      const res = await t.gql(`{ loginOptions(platform: IOS, wechatInstalled: true) { ${fields.join(' ')} } }`);
      expect(res.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(res.body.errors?.[0].message).toBe('Token limit of 2000 exceeded.');
      expect(res.status).toBe(400);
      expect(errorLinesOf(t, res.body.errors![0].extensions!.requestId as string)).toEqual([]);
    });

    it('600 `__typename` aliases count like any other', async () => {
      const fields = Array.from({ length: 600 }, (_, i) => `t${i}: __typename`);
      const res = await t.gql(`{ ${fields.join(' ')} }`);
      expect(res.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(res.body.data).toBeUndefined();
      const sixteen = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`);
      expect(errorCode(await t.gql(`{ ${sixteen.join(' ')} }`))).toBe('QUERY_TOO_COMPLEX');
    });

    it('a query nested past the depth limit', async () => {
      // Introspection types nest arbitrarily deep, which makes a portable depth probe.
      let selection = 'name';
      for (let i = 0; i < 12; i++) selection = `ofType { ${selection} }`;
      const res = await t.gql(`{ __type(name: "Query") { fields { type { ${selection} } } } }`);
      expect(res.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });

    it('leaves a reasonable query alone', async () => {
      const fields = Array.from(
        { length: 10 },
        (_, i) => `a${i}: loginOptions(platform: IOS, wechatInstalled: true) { methods }`,
      );
      const res = await t.gql(`{ ${fields.join('\n')} }`);
      expect(res.body.errors).toBeUndefined();
      expect(Object.keys(res.body.data ?? {})).toHaveLength(10);
    });
  });

  it('marks every GraphQL answer no-store, and sends no ETag', async () => {
    const ok = await t.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { methods } }');
    const refused = await t.gql('{ loginOptions(platform: TOASTER, wechatInstalled: true) { methods } }');
    for (const res of [ok, refused]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.etag).toBeUndefined();
    }
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
  });

  describe('error format', () => {
    it('answers an unknown field with BAD_USER_INPUT, a request id and no stack', async () => {
      const res = await t.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { secretField } }', undefined, {
        'x-request-id': 'req-test-000001',
      });
      const error = res.body.errors?.[0];
      expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT', requestId: 'req-test-000001' });
      expect(res.headers['x-request-id']).toBe('req-test-000001');
      expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|originalError|at .*\.js/);
    });

    it('keeps field suggestions in sandbox mode', async () => {
      const res = await t.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { method } }');
      expect(res.body.errors?.[0].message).toContain('Did you mean');
    });

    it('allows introspection in sandbox mode', async () => {
      const res = await t.gql('{ __schema { queryType { name } } }');
      expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });
  });

  describe('sandbox endpoints', () => {
    it('mounts the fake WeChat server under /sandbox/wechat', async () => {
      const appId = t.config.wechat.apps[0].appId;
      const res = await t.http().post('/sandbox/wechat/authorize').send({ appid: appId, person: 'mounted' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ code: expect.any(String), openid: expect.any(String), unionid: expect.any(String) });

      const exchange = await t.http().get('/sandbox/wechat/sns/oauth2/access_token').query({
        appid: appId,
        secret: t.config.wechat.apps[0].secret,
        code: res.body.code,
        grant_type: 'authorization_code',
      });
      expect(JSON.parse(exchange.text)).toEqual(expect.objectContaining({ openid: res.body.openid, expires_in: 7200 }));
    });

    it('writes no secret or code to the log while it serves the fake WeChat', async () => {
      const app = t.config.wechat.apps[0];
      const { body } = await t.http().post('/sandbox/wechat/authorize').send({ appid: app.appId });
      await t.http().get('/sandbox/wechat/sns/oauth2/access_token').query({
        appid: app.appId,
        secret: app.secret,
        code: body.code,
        grant_type: 'authorization_code',
      });
      expect(t.logs.join('\n')).toContain('/sandbox/wechat/sns/oauth2/access_token');
      expect(leakedSecrets(t.logs, [app.secret, body.code])).toEqual([]);
    });
  });
});

describe('GraphQL core (production mode)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Production settings on the test database: the mode switch is what is under test here.
    t = await startTestApp({ override: (config) => ({ ...config, mode: 'production' }) });
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses introspection to anyone but an admin: HTTP 400, not logged as an error', async () => {
    const res = await t.gql('{ __schema { queryType { name } } }');
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.body.data).toBeUndefined();
    expect(res.status).toBe(400);
    expect(errorLinesOf(t, res.body.errors![0].extensions!.requestId as string)).toEqual([]);
  });

  it('gives no field suggestions', async () => {
    const res = await t.gql('{ loginOptions(platform: IOS, wechatInstalled: true) { method } }');
    expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0].message).not.toContain('Did you mean');
  });

  it('has no sandbox endpoints', async () => {
    const res = await t.http().post('/sandbox/wechat/authorize').send({ appid: 'wxsandbox00000001' });
    expect(res.status).toBe(404);
    expect((await t.http().get('/sandbox/wechat/sns/auth')).status).toBe(404);
  });

  it('still answers loginOptions', async () => {
    const res = await t.gql(LOGIN_OPTIONS, { platform: 'ANDROID', installed: false });
    expect(res.body.data).toEqual({
      // the sandbox's configuration in production mode: QQ included
      loginOptions: { showWechatButton: true, promptInstallWechat: true, methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] },
    });
  });
});
