import { FakeQqServer, SANDBOX_QQ } from '../../src/sandbox/qq/fake-qq';
import { fakeHttp } from './fake-http';

// What providers-api.md part 3 asks of the QQ Connect fake, spoken to over real HTTP as any client
// would (raw fetch), the fake running alone on its own port with its own movable clock.

const [APP, OTHER] = SANDBOX_QQ.apps;
const REDIRECT = 'https://localhost/login/qq/callback';

let fake: FakeQqServer;
let base = '';
const http = fakeHttp(() => base);

beforeAll(async () => {
  fake = new FakeQqServer(SANDBOX_QQ);
  base = await fake.listen(0);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const signIn = async (body: Record<string, string>) => (await http.post('/authorize', body)).json;
const me = (accessToken: string, extra: Record<string, string> = { unionid: '1', fmt: 'json' }) =>
  http.get('/oauth2.0/me', { access_token: accessToken, ...extra });
const token = (code: string, overrides: Record<string, string> = {}) =>
  http.get('/oauth2.0/token', {
    grant_type: 'authorization_code',
    client_id: APP.appId,
    client_secret: APP.appKey,
    code,
    redirect_uri: REDIRECT,
    fmt: 'json',
    ...overrides,
  });

it("re-derives the SDK's access token through /me: client_id, openid and unionid; get_user_info with ret 0", async () => {
  const phone = await signIn({ person: 'ann' });
  const answer = await me(phone.accessToken as string);
  expect(answer.status).toBe(200);
  expect(answer.json).toEqual({ client_id: APP.appId, openid: phone.openid, unionid: phone.unionid });
  expect(phone.unionid).toMatch(/^UID_[0-9A-F]{32}$/);
  const info = await http.get('/user/get_user_info', {
    access_token: phone.accessToken as string,
    oauth_consumer_key: APP.appId,
    openid: phone.openid as string,
  });
  expect(info.json).toMatchObject({
    ret: 0,
    msg: '',
    nickname: expect.any(String),
    figureurl_qq_1: expect.any(String),
  });
  // Another of the developer's apps: another openid, the same unionid; another person: another unionid.
  const other = await signIn({ person: 'ann', appId: OTHER.appId });
  expect(other.openid).not.toBe(phone.openid);
  expect(other.unionid).toBe(phone.unionid);
  expect((await signIn({ person: 'bob' })).unionid).not.toBe(phone.unionid);
});

it('answers /me like QQ without fmt=json (JSONP) and without unionid=1 (no unionid)', async () => {
  const phone = await signIn({ person: 'cat' });
  const jsonp = await me(phone.accessToken as string, { unionid: '1' });
  expect(jsonp.text).toBe(
    `callback( ${JSON.stringify({ client_id: APP.appId, openid: phone.openid, unionid: phone.unionid })} );\n`,
  );
  expect((await me(phone.accessToken as string, { fmt: 'json' })).json).toEqual({
    client_id: APP.appId,
    openid: phone.openid,
  });
  expect((await me('0123456789ABCDEF0123456789ABCDEF')).json).toEqual({
    error: 100016,
    error_description: 'access token check failed',
  });
  expect((await me('0123456789ABCDEF', { unionid: '1' })).text).toMatch(/^callback\( \{"error":100016,/);
});

it('runs the web flow: the authorize page redirects with code and state; the code is good once', async () => {
  const page = await http.get('/oauth2.0/authorize', {
    response_type: 'code',
    client_id: APP.appId,
    redirect_uri: REDIRECT,
    state: 'st-1',
    scope: 'get_user_info',
    person: 'dan',
  });
  expect(page.status).toBe(302);
  const back = new URL(page.location!);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe('st-1');
  const code = back.searchParams.get('code')!;
  const first = await token(code);
  expect(first.json).toEqual({
    access_token: expect.any(String),
    expires_in: '7776000',
    refresh_token: expect.any(String),
  });
  expect((await me(first.json.access_token as string)).json).toMatchObject({ client_id: APP.appId });
  expect((await token(code)).json).toEqual({ error: 100020, error_description: 'code is reused error' });
});

it('refuses a foreign redirect, a wrong AppKey, a redirect unlike the code’s, and unknown codes', async () => {
  const foreign = await http.get('/oauth2.0/authorize', {
    response_type: 'code',
    client_id: APP.appId,
    redirect_uri: 'https://evil.example/steal',
    state: 's',
  });
  expect(foreign.status).toBe(200);
  expect(foreign.location).toBeNull();
  expect(foreign.text).toContain('100010');
  const { code } = await signIn({ person: 'eve', state: 's', redirectUri: REDIRECT });
  expect((await token(code as string, { client_secret: 'wrong' })).json).toMatchObject({ error: 100009 });
  expect((await token(code as string, { redirect_uri: 'https://evil.example/x' })).json).toMatchObject({
    error: 100010,
  });
  expect((await token(code as string, { redirect_uri: 'https://localhost/elsewhere' })).json).toMatchObject({
    error: 100019,
  });
  expect((await token('NOT-A-CODE')).json).toMatchObject({ error: 100019 });
  expect((await http.post('/authorize', { state: 's', redirectUri: 'https://evil.example/' })).status).toBe(400);
});

it('answers the token as a query string and errors as JSONP without fmt=json', async () => {
  const { code } = await signIn({ person: 'fay', state: 's' });
  const plain = await token(code as string, { fmt: '' });
  const form = new URLSearchParams(plain.text);
  expect(form.get('access_token')).toMatch(/^[0-9A-F]{32}$/);
  expect(form.get('expires_in')).toBe('7776000');
  expect((await token(code as string, { fmt: '' })).text).toMatch(/^callback\( \{"error":100020,/);
});

it('expires codes after 10 minutes and access tokens after 90 days on its clock', async () => {
  const { code, accessToken } = await signIn({ person: 'gus', state: 's' });
  await http.post('/clock', { advanceSeconds: 601 });
  expect((await token(code as string)).json).toMatchObject({ error: 100019 });
  expect((await me(accessToken as string)).json).toMatchObject({ client_id: APP.appId });
  await http.post('/clock', { advanceSeconds: 7_776_000 });
  expect((await me(accessToken as string)).json).toMatchObject({ error: 100016 });
  const info = await http.get('/user/get_user_info', {
    access_token: accessToken as string,
    oauth_consumer_key: APP.appId,
    openid: 'X',
  });
  expect(info.json).toMatchObject({ ret: 100016 });
});

it('injects faults per endpoint, validates them, and a lost token answer spends the code', async () => {
  const { accessToken, code } = await signIn({ person: 'hal', state: 's' });
  expect((await http.post('/faults', { endpoint: 'nope', httpStatus: 503 })).status).toBe(400);
  expect((await http.post('/faults', { endpoint: 'me', httpStatus: 503, malformed: true })).status).toBe(400);
  await http.post('/faults', { endpoint: 'me', httpStatus: 503, times: 1 });
  await http.post('/faults', { endpoint: 'me', error: '100016', times: 1 });
  await http.post('/faults', { endpoint: 'me', malformed: true, times: 1 });
  await http.post('/faults', { endpoint: 'me', delayMs: 20, times: 1 });
  expect((await me(accessToken as string)).status).toBe(503);
  expect((await me(accessToken as string)).json).toEqual({
    error: 100016,
    error_description: 'access token check failed',
  });
  const garbled = (await me(accessToken as string)).text;
  expect(() => JSON.parse(garbled)).toThrow();
  expect((await me(accessToken as string)).json).toMatchObject({ client_id: APP.appId }); // delayed, then true
  expect((await me(accessToken as string)).json).toMatchObject({ client_id: APP.appId });
  await http.post('/faults', { endpoint: 'userinfo', error: '100030', times: 1 });
  const info = await http.get('/user/get_user_info', { access_token: accessToken as string });
  expect(info.json).toMatchObject({ ret: 100030 });
  await http.post('/faults', { endpoint: 'token', drop: true, times: 1 });
  await expect(token(code as string)).rejects.toThrow();
  expect((await token(code as string)).json).toMatchObject({ error: 100020 });
  expect((await http.post('/faults', undefined, {}, 'DELETE')).json).toEqual({ faults: [] });
});

it('keeps a call log without tokens, filtered by path', async () => {
  const { accessToken } = await signIn({ person: 'ivy' });
  await me(accessToken as string);
  await me(accessToken as string);
  await http.get('/user/get_user_info', { access_token: accessToken as string });
  const calls = await http.get('/calls', { path: '/oauth2.0/me' });
  expect(calls.json.calls).toEqual([
    { path: '/oauth2.0/me', at: expect.any(String) },
    { path: '/oauth2.0/me', at: expect.any(String) },
  ]);
  expect((await http.get('/calls')).text).not.toContain(accessToken);
});
