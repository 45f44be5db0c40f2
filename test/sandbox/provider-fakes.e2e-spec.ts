import { createLocalJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { SANDBOX_CARRIER, SANDBOX_HUAWEI } from '../../src/config/providers-config';
import { FakeAppleServer } from '../../src/sandbox/apple/fake-apple';
import { FakeCarrierServer, v3Signature } from '../../src/sandbox/carrier/fake-carrier';
import { FakeHuaweiServer } from '../../src/sandbox/huawei/fake-huawei';

// What providers-api.md asks of the Apple, Huawei and carrier fakes, spoken to over real HTTP as a
// client other than ours would (raw fetch), each fake running alone on its own port.

type Answer = { status: number; json: Record<string, unknown>; text: string };

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.status, json, text };
}

const postJson = (url: string, body: unknown): Promise<Answer> =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const postForm = (url: string, form: Record<string, string>): Promise<Answer> =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

describe('fake Apple', () => {
  const team = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const BUNDLE = 'com.example.fake';
  let fake: FakeAppleServer;
  let base: string;

  const secret = (
    overrides: { kid?: string; iss?: string; key?: typeof team.privateKey; offsetSeconds?: number } = {},
  ): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: overrides.kid ?? 'KEY1234567' })
      .setIssuer(overrides.iss ?? 'ABCDE12345')
      .setSubject(BUNDLE)
      .setAudience('https://appleid.apple.com')
      .setIssuedAt(Math.floor(Date.now() / 1000) + (overrides.offsetSeconds ?? 0))
      .setExpirationTime(Math.floor(Date.now() / 1000) + (overrides.offsetSeconds ?? 0) + 300)
      .sign(overrides.key ?? team.privateKey);

  beforeAll(async () => {
    fake = new FakeAppleServer({
      bundleIds: [BUNDLE],
      teamId: 'ABCDE12345',
      keyId: 'KEY1234567',
      teamPublicKey: team.publicKey,
    });
    base = await fake.listen(0);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('issues RS256 identity tokens that verify against /auth/keys, with the nonce and claims of Apple', async () => {
    const nonce = createHash('sha256').update('raw').digest('hex');
    const { json } = await postJson(`${base}/authorize`, { person: 'ann', nonce, email: 'ann@example.com' });
    const keys = await call(`${base}/auth/keys`);
    expect(keys.json.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig' })]);
    const { payload, protectedHeader } = await jwtVerify(
      json.identityToken as string,
      createLocalJWKSet(keys.json as never),
      { issuer: 'https://appleid.apple.com', audience: BUNDLE },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: json.sub, nonce, email: 'ann@example.com', is_private_email: false });
    expect(payload.exp! - payload.iat!).toBe(600);
    // The same person is the same sub.
    expect((await postJson(`${base}/authorize`, { person: 'ann' })).json.sub).toBe(json.sub);
  });

  it('exchanges a code once for tokens; replays, bad secrets and bad requests get Apple 400 errors', async () => {
    const { json } = await postJson(`${base}/authorize`, { person: 'ben' });
    const form = { client_id: BUNDLE, code: json.authorizationCode as string, grant_type: 'authorization_code' };
    expect(
      await postForm(`${base}/auth/token`, { ...form, client_secret: await secret({ iss: 'OTHERTEAM1' }) }),
    ).toMatchObject({
      status: 400,
      json: { error: 'invalid_client' },
    });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    expect(
      (await postForm(`${base}/auth/token`, { ...form, client_secret: await secret({ key: other }) })).json,
    ).toEqual({
      error: 'invalid_client',
    });
    expect(
      (await postForm(`${base}/auth/token`, { ...form, client_secret: await secret({ kid: 'OTHERKEY01' }) })).json,
    ).toEqual({
      error: 'invalid_client',
    });
    const ok = await postForm(`${base}/auth/token`, { ...form, client_secret: await secret() });
    expect(ok).toMatchObject({
      status: 200,
      json: { token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String), id_token: expect.any(String) },
    });
    expect(decodeJwt(ok.json.id_token as string)).toMatchObject({ sub: json.sub, aud: BUNDLE });
    expect(await postForm(`${base}/auth/token`, { ...form, client_secret: await secret() })).toMatchObject({
      status: 400,
      json: { error: 'invalid_grant' },
    });
    expect((await postForm(`${base}/auth/token`, { client_id: BUNDLE })).json).toEqual({ error: 'invalid_request' });
  });

  it('records revocations, without the token, and answers 200 for an unknown token', async () => {
    const { json } = await postJson(`${base}/authorize`, { person: 'cai' });
    const tokens = await postForm(`${base}/auth/token`, {
      client_id: BUNDLE,
      client_secret: await secret(),
      code: json.authorizationCode as string,
      grant_type: 'authorization_code',
    });
    const revoke = (token: string): Promise<Answer> =>
      secret().then((client_secret) =>
        postForm(`${base}/auth/revoke`, { client_id: BUNDLE, client_secret, token, token_type_hint: 'refresh_token' }),
      );
    expect((await revoke(tokens.json.refresh_token as string)).status).toBe(200);
    expect((await revoke('unknown')).status).toBe(200);
    expect((await call(`${base}/revocations`)).json.revocations).toEqual([
      expect.objectContaining({ bundleId: BUNDLE, sub: json.sub }),
    ]);
    const calls = await call(`${base}/calls?path=/auth/revoke`);
    expect((calls.json.calls as unknown[]).length).toBe(2);
    expect(calls.text).not.toContain(tokens.json.refresh_token as string);
  });

  it('expires codes on its clock, and a lost answer spends the code', async () => {
    const late = (await postJson(`${base}/authorize`, { person: 'dee' })).json.authorizationCode as string;
    await postJson(`${base}/clock`, { advanceSeconds: 301 });
    const exchange = async (code: string): Promise<Answer> =>
      postForm(`${base}/auth/token`, {
        client_id: BUNDLE,
        client_secret: await secret(),
        code,
        grant_type: 'authorization_code',
      });
    expect((await exchange(late)).json).toEqual({ error: 'invalid_client' }); // the secret was signed in real time
    fake.reset();
    const code = (await postJson(`${base}/authorize`, { person: 'dee' })).json.authorizationCode as string;
    await postJson(`${base}/faults`, { endpoint: 'token', drop: true, times: 1 });
    await expect(exchange(code)).rejects.toThrow();
    expect((await exchange(code)).json).toEqual({ error: 'invalid_grant' });
  });

  it('validates faults and answers each kind', async () => {
    expect((await postJson(`${base}/faults`, { endpoint: 'keys' })).status).toBe(400);
    expect((await postJson(`${base}/faults`, { endpoint: 'keys', httpStatus: 503, drop: true })).status).toBe(400);
    await postJson(`${base}/faults`, { endpoint: 'keys', httpStatus: 503, times: 1 });
    await postJson(`${base}/faults`, { endpoint: 'keys', malformed: true, times: 1 });
    expect((await call(`${base}/auth/keys`)).status).toBe(503);
    const garbled = await call(`${base}/auth/keys`);
    expect(() => JSON.parse(garbled.text)).toThrow();
    expect((await call(`${base}/auth/keys`)).status).toBe(200);
    await postJson(`${base}/faults`, { endpoint: 'token', error: 'invalid_grant', times: 2 });
    expect((await call(`${base}/faults`, { method: 'DELETE' })).json).toEqual({ faults: [] });
  });
});

describe('fake Huawei ID', () => {
  let fake: FakeHuaweiServer;
  let base: string;
  const exchange = (code: string, secret = SANDBOX_HUAWEI.clientSecret): Promise<Answer> =>
    postForm(`${base}/oauth2/v3/token`, {
      grant_type: 'authorization_code',
      client_id: SANDBOX_HUAWEI.clientId,
      client_secret: secret,
      code,
    });

  beforeAll(async () => {
    fake = new FakeHuaweiServer({ ...SANDBOX_HUAWEI });
    base = await fake.listen(0);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('exchanges a code once for tokens and an id_token signed by /oauth2/v3/certs', async () => {
    const { json } = await postJson(`${base}/authorize`, { person: 'eve', phone: '+8613800138000' });
    const ok = await exchange(json.authorizationCode as string);
    expect(ok.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile phone' });
    const certs = await call(`${base}/oauth2/v3/certs`);
    const { payload } = await jwtVerify(ok.json.id_token as string, createLocalJWKSet(certs.json as never), {
      issuer: 'https://accounts.huawei.com',
      audience: SANDBOX_HUAWEI.clientId,
    });
    expect(payload.sub).toBe(json.openId);
    const info = await postForm(`${base}/rest.php?nsp_svc=GOpen.User.getInfo`, {
      access_token: ok.json.access_token as string,
      getNickName: '0',
    });
    expect(info.json).toMatchObject({ openID: json.openId, unionID: json.unionId, mobileNumber: '+8613800138000' });
    expect(await exchange(json.authorizationCode as string)).toMatchObject({
      status: 400,
      json: { error: 1101, sub_error: 20156 },
    });
  });

  it('answers 1102 for a wrong client secret and 401 for an unknown access token', async () => {
    const { json } = await postJson(`${base}/authorize`, { person: 'fay' });
    expect((await exchange(json.authorizationCode as string, 'wrong')).json).toMatchObject({ error: 1102 });
    expect((await postForm(`${base}/rest.php?nsp_svc=GOpen.User.getInfo`, { access_token: 'nope' })).status).toBe(401);
  });

  it('gives the same UnionID for the same person and no phone without the phone scope', async () => {
    const a = (await postJson(`${base}/authorize`, { person: 'gus' })).json;
    const b = (await postJson(`${base}/authorize`, { person: 'gus' })).json;
    expect(b.unionId).toBe(a.unionId);
    const tokens = await exchange(b.authorizationCode as string);
    const info = await postForm(`${base}/rest.php?nsp_svc=GOpen.User.getInfo`, {
      access_token: tokens.json.access_token as string,
    });
    expect(info.json.mobileNumber).toBeUndefined();
  });
});

describe('fake carrier (Dypnsapi)', () => {
  let fake: FakeCarrierServer;
  let base: string;

  // A GetMobile request signed the way the SDK signs it (V3), with knobs to break it.
  function signed(
    token: string,
    opts: { secret?: string; nonce?: string; date?: string } = {},
  ): RequestInit & { url: string } {
    const host = new URL(base).host;
    const headers: Record<string, string> = {
      host,
      'x-acs-action': 'GetMobile',
      'x-acs-version': '2017-05-25',
      'x-acs-date': opts.date ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-signature-nonce': opts.nonce ?? randomBytes(16).toString('hex'),
      'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
    };
    const signature = v3Signature(
      'POST',
      { AccessToken: token },
      headers,
      headers['x-acs-content-sha256'],
      opts.secret ?? SANDBOX_CARRIER.accessKeySecret,
    );
    const { host: _host, ...sent } = headers;
    return {
      url: `${base}/?AccessToken=${encodeURIComponent(token)}`,
      method: 'POST',
      headers: {
        ...sent,
        authorization: `ACS3-HMAC-SHA256 Credential=${SANDBOX_CARRIER.accessKeyId},SignedHeaders=${Object.keys(headers).sort().join(';')},Signature=${signature}`,
      },
    };
  }
  const send = (request: RequestInit & { url: string }): Promise<Answer> => call(request.url, request);

  beforeAll(async () => {
    fake = new FakeCarrierServer({ ...SANDBOX_CARRIER });
    base = await fake.listen(0);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('answers the phone once for a live token, then isv.TOKEN_INVALID', async () => {
    const { json } = await postJson(`${base}/token`, { phone: '13800138000' });
    expect(json).toMatchObject({ token: expect.any(String), expiresInSeconds: 120 });
    expect((await send(signed(json.token as string))).json).toMatchObject({
      Code: 'OK',
      GetMobileResultDTO: { Mobile: '13800138000' },
      RequestId: expect.any(String),
    });
    expect((await send(signed(json.token as string))).json).toMatchObject({ Code: 'isv.TOKEN_INVALID' });
    const calls = await call(`${base}/calls?path=GetMobile`);
    expect((calls.json.calls as unknown[]).length).toBe(2);
    expect(calls.text).not.toContain(json.token as string);
  });

  it('checks the signature, the AccessKey, the nonce and the date like Alibaba Cloud', async () => {
    const token = (await postJson(`${base}/token`, { phone: '13800138001' })).json.token as string;
    expect(await send(signed(token, { secret: 'wrong' }))).toMatchObject({
      status: 400,
      json: { Code: 'SignatureDoesNotMatch' },
    });
    const unsigned = await call(`${base}/?AccessToken=x`, {
      method: 'POST',
      headers: { 'x-acs-action': 'GetMobile', 'x-acs-version': '2017-05-25' },
    });
    expect(unsigned.json.Code).toBe('SignatureDoesNotMatch');
    const old = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await send(signed(token, { date: old }))).json.Code).toBe('InvalidTimeStamp.Expired');
    const first = signed(token, { nonce: 'same-nonce' });
    expect((await send(first)).json.Code).toBe('OK');
    expect((await send(signed(token, { nonce: 'same-nonce' }))).json.Code).toBe('SignatureNonceUsed');
  });

  it('lets tokens live as long as their carrier says, on its clock', async () => {
    const mobile = (await postJson(`${base}/token`, { phone: '13800138002', carrier: 'CMCC' })).json.token as string;
    const telecom = (await postJson(`${base}/token`, { phone: '13300138003', carrier: 'CTCC' })).json.token as string;
    await postJson(`${base}/clock`, { advanceSeconds: 121 });
    expect((await send(signed(mobile))).json.Code).toBe('isv.TOKEN_INVALID');
    expect((await send(signed(telecom))).json.Code).toBe('OK');
    expect((await postJson(`${base}/token`, { phone: '12345' })).status).toBe(400);
  });

  it('injects Alibaba errors: throttling with 400, business codes with 200', async () => {
    const token = (await postJson(`${base}/token`, { phone: '13800138004' })).json.token as string;
    await postJson(`${base}/faults`, { endpoint: 'getmobile', error: 'Throttling.User', times: 1 });
    await postJson(`${base}/faults`, { endpoint: 'getmobile', error: 'isv.OUT_OF_SERVICE', times: 1 });
    expect(await send(signed(token))).toMatchObject({ status: 400, json: { Code: 'Throttling.User' } });
    expect(await send(signed(token))).toMatchObject({ status: 200, json: { Code: 'isv.OUT_OF_SERVICE' } });
    expect((await send(signed(token))).json.Code).toBe('OK');
  });
});
