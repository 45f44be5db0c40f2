import { startTestApp, TestApp } from '../support/test-app';

// A web page on another origin calling the service: the preflight, the actual POST, and what an
// origin off the list gets (no Access-Control-* header at all, so the browser refuses).
const QUERY = '{ loginOptions(platform: WEB, wechatInstalled: false) { showWechatButton } }';
const H5 = 'https://h5.example.com';

function accessControlHeaders(headers: Record<string, string>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

function preflight(t: TestApp, origin: string, requestHeaders = 'content-type,authorization') {
  return t
    .http()
    .options('/graphql')
    .set('origin', origin)
    .set('access-control-request-method', 'POST')
    .set('access-control-request-headers', requestHeaders);
}

describe('CORS in the sandbox (CORS_ORIGINS=https://h5.example.com)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: `${H5}, https://www.example.com` } });
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([H5, 'http://localhost:5173', 'http://127.0.0.1:8080'])('answers the preflight of %s', async (origin) => {
    const res = await preflight(t, origin, 'content-type,authorization,apollo-require-preflight');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(origin);
    expect(res.headers['vary']).toMatch(/\bOrigin\b/);
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(res.headers['access-control-allow-headers']!.split(',')).toEqual(
      expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name']),
    );
    expect(res.headers['access-control-max-age']).toBe('600');
    // Bearer tokens, no cookies: credentials are never allowed.
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each([
    'https://evil.example',
    'https://h5.example.com.evil.example',
    'http://h5.example.com',
    'https://localhost:3000',
    'http://localhost.evil.example',
    'null',
  ])('gives %s no Access-Control-* header', async (origin) => {
    const res = await preflight(t, origin);
    expect(res.status).not.toBe(204);
    expect(accessControlHeaders(res.headers)).toEqual([]);
    expect(res.headers['vary']).toMatch(/\bOrigin\b/);

    const post = await t.gql(QUERY, undefined, { origin });
    expect(accessControlHeaders(post.headers)).toEqual([]);
  });

  it('answers the actual POST with the origin echoed and the request id exposed', async () => {
    const res = await t.gql<{ loginOptions: { showWechatButton: boolean } }>(QUERY, undefined, { origin: H5 });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.loginOptions).toEqual({ showWechatButton: expect.any(Boolean) });
    expect(res.headers['access-control-allow-origin']).toBe(H5);
    expect(res.headers['access-control-expose-headers']).toBe('x-request-id');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['vary']).toMatch(/\bOrigin\b/);
  });

  it('adds nothing for a request without Origin (apps, curl)', async () => {
    const res = await t.gql(QUERY);
    expect(res.body.errors).toBeUndefined();
    expect(accessControlHeaders(res.headers)).toEqual([]);
  });

  it("keeps Apollo's CSRF prevention: a simple request from an allowed origin is still refused", async () => {
    // A GET (or a text/plain POST) is a "simple" request a page can send without a preflight.
    const simple = await t.http().get('/graphql').query({ query: QUERY }).set('origin', H5);
    expect(simple.status).toBe(400);
    expect(simple.text).toContain('CSRF');
    const textPlain = await t
      .http()
      .post('/graphql')
      .set('origin', H5)
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ query: QUERY }));
    expect(textPlain.status).toBe(400);
    expect(textPlain.text).toContain('CSRF');
    // With the header the preflight allowed, the same GET goes through.
    const preflighted = await t
      .http()
      .get('/graphql')
      .query({ query: QUERY })
      .set('origin', H5)
      .set('apollo-require-preflight', 'true');
    expect(preflighted.status).toBe(200);
    expect(preflighted.body.errors).toBeUndefined();
    expect(preflighted.headers['access-control-allow-origin']).toBe(H5);
  });
});

describe('CORS in production', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      override: (config) => ({
        ...config,
        mode: 'production',
        cors: { origins: [H5], loopbackAnyPort: false },
      }),
    });
  });

  afterAll(async () => {
    await t.close();
  });

  it('allows only the listed origins: no loopback', async () => {
    expect((await preflight(t, H5)).headers['access-control-allow-origin']).toBe(H5);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080']) {
      const res = await preflight(t, origin);
      expect(accessControlHeaders(res.headers)).toEqual([]);
    }
  });
});
