import { createHash, generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { bearer, errorCode, latestCode, loginWithPhone, nextPhone, sendCode } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// Sign in with Apple, Huawei ID and carrier one-tap through GraphQL, against the zero-config
// sandbox's in-process fakes (real HTTP on the service's own port, real signatures, one clock).

const SESSION = 'accessToken refreshToken user { id phone identities { provider appId } }';
const RESULT = `isBind bindTicket session { ${SESSION} }`;
const APPLE_LOGIN = `mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { ${RESULT} } }`;
const HUAWEI_LOGIN = `mutation H($input: HuaweiLoginInput!) { huaweiLogin(input: $input) { ${RESULT} } }`;
const CARRIER_LOGIN = `mutation C($input: CarrierLoginInput!) { carrierLogin(input: $input) { ${SESSION} } }`;
const CARRIER_BIND = `mutation CB($input: CarrierBindPhoneInput!) { carrierBindPhone(input: $input) { ${SESSION} } }`;
const BIND = `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { ${SESSION} } }`;

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

let t: TestApp;
let base: string;

async function post<T = Record<string, string>>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

async function get<T>(path: string): Promise<T> {
  return (await (await fetch(`${base}${path}`)).json()) as T;
}

// Revocations at Apple go through the outbox: what a pass of the drainer sends.
async function drainOutbox(): Promise<void> {
  const drainer = t.app.get(OutboxDrainer);
  while ((await drainer.runOnce()).claimed > 0);
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

async function appleAuthorize(
  person: string,
  rawNonce = `nonce-${person}`,
  extra: Record<string, unknown> = {},
): Promise<{ identityToken: string; authorizationCode: string; sub: string; rawNonce: string }> {
  const approved = await post<{ identityToken: string; authorizationCode: string; sub: string }>(
    '/sandbox/apple/authorize',
    {
      person,
      nonce: sha256(rawNonce),
      ...extra,
    },
  );
  return { ...approved, rawNonce };
}

async function appleLogin(person: string): Promise<Result> {
  const a = await appleAuthorize(person);
  const res = await t.gql<{ appleLogin: Result }>(APPLE_LOGIN, {
    input: {
      identityToken: a.identityToken,
      authorizationCode: a.authorizationCode,
      nonce: a.rawNonce,
      fullName: person,
    },
  });
  if (!res.body.data) throw new Error(`appleLogin: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.appleLogin;
}

async function huaweiLogin(person: string, phone?: string): Promise<Result> {
  const { authorizationCode } = await post('/sandbox/huawei/authorize', { person, ...(phone ? { phone } : {}) });
  const res = await t.gql<{ huaweiLogin: Result }>(HUAWEI_LOGIN, { input: { authorizationCode } });
  if (!res.body.data) throw new Error(`huaweiLogin: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.huaweiLogin;
}

async function carrierToken(phone: string): Promise<string> {
  return (await post('/sandbox/carrier/token', { phone: phone.replace(/^\+86/, '') })).token;
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

async function query(sql: string, params: unknown[]): Promise<unknown[]> {
  return (await t.app.get(Database).dataSource.query(sql, params)) as unknown[];
}

async function rows(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'identities', 'sessions', 'bind_tickets']) {
    const [row] = (await t.app.get(Database).dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
    out[table] = Number(row.n);
  }
  return out;
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

describe('Sign in with Apple', () => {
  it('first login asks for a phone, the next one logs in; linking and unlinking down to the last method', async () => {
    const first = await appleLogin('apple-ann');
    expect(first).toMatchObject({ isBind: false, session: null, bindTicket: expect.any(String) });
    const phone = nextPhone('135');
    const bound = await bindBySms(first.bindTicket!, phone);
    expect(bound.user).toMatchObject({ phone, identities: [{ provider: 'APPLE', appId: 'com.example.sandbox' }] });
    const again = await appleLogin('apple-ann');
    expect(again).toMatchObject({ isBind: true, session: { user: { id: bound.user.id } } });

    // A phone user adds Apple, and may remove it again; the phone stays.
    const phoneUser = await loginWithPhone(t, nextPhone('136'));
    const a = await appleAuthorize('apple-linker');
    const linked = await t.gql<{ linkApple: { identities: { provider: string }[] } }>(
      `mutation L($input: AppleLoginInput!) { linkApple(input: $input) { identities { provider } } }`,
      { input: { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce: a.rawNonce } },
      bearer(phoneUser.accessToken),
    );
    expect(linked.body.data!.linkApple.identities).toEqual([{ provider: 'APPLE' }]);
    const viaApple = await appleLogin('apple-linker');
    expect(viaApple.session!.user.id).toBe(phoneUser.userId);
    const unlinked = await t.gql<{ unlinkIdentity: { identities: unknown[] } }>(
      'mutation { unlinkIdentity(provider: APPLE) { identities { provider } } }',
      undefined,
      bearer(phoneUser.accessToken),
    );
    expect(unlinked.body.data!.unlinkIdentity.identities).toEqual([]);
    // Unlinking revokes Apple's refresh token, as account deletion does (through the outbox).
    await drainOutbox();
    const revoked = await get<{ revocations: { sub: string }[] }>('/sandbox/apple/revocations');
    expect(revoked.revocations.map((r) => r.sub)).toContain(a.sub);
  });

  it('refuses the last way to log in: a user with only Apple cannot unlink it', async () => {
    const res = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', REQUIRE_PHONE: 'false' } });
    try {
      await res.app.listen(0, '127.0.0.1');
      const own = `http://127.0.0.1:${(res.app.getHttpServer().address() as AddressInfo).port}`;
      const approved = (await (
        await fetch(`${own}/sandbox/apple/authorize`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ person: 'only-apple', nonce: sha256('n') }),
        })
      ).json()) as Record<string, string>;
      const login = await res.gql<{ appleLogin: Result }>(APPLE_LOGIN, {
        input: { identityToken: approved.identityToken, authorizationCode: approved.authorizationCode, nonce: 'n' },
      });
      // REQUIRE_PHONE=false: the session comes at once, with no phone.
      expect(login.body.data!.appleLogin).toMatchObject({ isBind: true, session: { user: { phone: null } } });
      const refused = await res.gql(
        'mutation { unlinkIdentity(provider: APPLE) { id } }',
        undefined,
        bearer(login.body.data!.appleLogin.session!.accessToken),
      );
      expect(errorCode(refused)).toBe('LAST_LOGIN_METHOD');
    } finally {
      await res.close();
    }
  });

  it('refuses a forged or misused identity token and a replayed code, and writes nothing', async () => {
    const before = await rows();
    const attempt = async (input: Record<string, unknown>) => errorCode(await t.gql(APPLE_LOGIN, { input }));

    // Signed by another key, with every claim right.
    const good = await appleAuthorize('apple-forged');
    const claims = JSON.parse(Buffer.from(good.identityToken.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const header = JSON.parse(Buffer.from(good.identityToken.split('.')[0], 'base64url').toString()) as { kid: string };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(privateKey);
    expect(
      await attempt({ identityToken: forged, authorizationCode: good.authorizationCode, nonce: good.rawNonce }),
    ).toBe('PROVIDER_TOKEN_INVALID');
    // Another app's audience.
    const other = await appleAuthorize('apple-other-aud', 'n2', { bundleId: 'com.example.other' });
    expect(
      await attempt({ identityToken: other.identityToken, authorizationCode: other.authorizationCode, nonce: 'n2' }),
    ).toBe('PROVIDER_TOKEN_INVALID');
    // The wrong nonce, and no nonce for a token that carries one.
    expect(
      await attempt({ identityToken: good.identityToken, authorizationCode: good.authorizationCode, nonce: 'not-it' }),
    ).toBe('PROVIDER_TOKEN_INVALID');
    expect(await attempt({ identityToken: good.identityToken, authorizationCode: good.authorizationCode })).toBe(
      'PROVIDER_TOKEN_INVALID',
    );
    expect(await rows()).toEqual(before);

    // A replayed code: the first use succeeds, the second is refused.
    const used = await appleAuthorize('apple-replay');
    const input = {
      identityToken: used.identityToken,
      authorizationCode: used.authorizationCode,
      nonce: used.rawNonce,
    };
    expect(await attempt(input)).toBeUndefined();
    const afterFirst = await rows();
    expect(await attempt(input)).toBe('PROVIDER_TOKEN_INVALID');
    expect(await rows()).toEqual(afterFirst);

    // Expired: the sandbox clock moves the service and the fakes together.
    const late = await appleAuthorize('apple-late');
    await post('/sandbox/clock', { advanceSeconds: 3600 });
    expect(
      await attempt({
        identityToken: late.identityToken,
        authorizationCode: late.authorizationCode,
        nonce: late.rawNonce,
      }),
    ).toBe('PROVIDER_TOKEN_INVALID');
    expect(await rows()).toEqual(afterFirst);
  });

  it('deleting the account revokes its Apple token at Apple', async () => {
    const first = await appleLogin('apple-leaver');
    const phone = nextPhone('137');
    const session = await bindBySms(first.bindTicket!, phone);
    const sub = (await appleAuthorize('apple-leaver')).sub;
    // One SMS a minute per phone: the binding code was just sent.
    await post('/sandbox/clock', { advanceSeconds: 61 });
    await sendCode(t, phone, 'DELETE_ACCOUNT', bearer(session.accessToken));
    const deleted = await t.gql(
      'mutation D($c: String!) { deleteMyAccount(smsCode: $c) }',
      { c: latestCode(t, phone) },
      bearer(session.accessToken),
    );
    expect(deleted.body.data).toEqual({ deleteMyAccount: true });
    await drainOutbox();
    const revoked = await get<{ revocations: { sub: string }[] }>('/sandbox/apple/revocations');
    expect(revoked.revocations.map((r) => r.sub)).toContain(sub);
    expect(
      await t.app.get(Database).dataSource.query('SELECT id FROM identities WHERE user_id = ?', [session.user.id]),
    ).toEqual([]);
  });

  it('Apple not answering reaches the client as PROVIDER_UNAVAILABLE, retryable', async () => {
    const a = await appleAuthorize('apple-down');
    await post('/sandbox/apple/faults', { endpoint: 'token', httpStatus: 503, times: 1 });
    const res = await t.gql(APPLE_LOGIN, {
      input: { identityToken: a.identityToken, authorizationCode: a.authorizationCode, nonce: a.rawNonce },
    });
    expect(res.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
  });
});

describe('Huawei ID', () => {
  it('first login binds a phone, then logs in; the same person with a phone from Huawei needs no bind step', async () => {
    const first = await huaweiLogin('hw-han');
    expect(first.isBind).toBe(false);
    const bound = await bindBySms(first.bindTicket!, nextPhone('138'));
    const again = await huaweiLogin('hw-han');
    expect(again.session!.user.id).toBe(bound.user.id);

    const withPhone = await huaweiLogin('hw-hui', '13600136001');
    expect(withPhone).toMatchObject({ isBind: true, session: { user: { phone: '+8613600136001' } } });

    // Link to a phone user, then unlink.
    const phoneUser = await loginWithPhone(t, nextPhone('139'));
    const { authorizationCode } = await post('/sandbox/huawei/authorize', { person: 'hw-linker' });
    const linked = await t.gql<{ linkHuawei: { identities: { provider: string }[] } }>(
      'mutation L($input: HuaweiLoginInput!) { linkHuawei(input: $input) { identities { provider } } }',
      { input: { authorizationCode } },
      bearer(phoneUser.accessToken),
    );
    expect(linked.body.data!.linkHuawei.identities).toEqual([{ provider: 'HUAWEI' }]);
    expect((await huaweiLogin('hw-linker')).session!.user.id).toBe(phoneUser.userId);
  });

  it('a Huawei person whose phone belongs to another user gets a bind ticket, not that user’s session', async () => {
    // The number was verified by Huawei up to 90 days ago and has since been recycled to someone here.
    const owner = await loginWithPhone(t, nextPhone('135'));
    const sessionsBefore = await query('SELECT id FROM sessions WHERE user_id = ?', [owner.userId]);
    const recycled = await huaweiLogin('hw-recycled', owner.phone.replace(/^\+86/, ''));
    expect(recycled).toMatchObject({ isBind: false, bindTicket: expect.any(String), session: null });
    expect(await query('SELECT id FROM sessions WHERE user_id = ?', [owner.userId])).toEqual(sessionsBefore);
    expect(
      await query("SELECT user_id FROM identities WHERE provider = 'huawei' AND user_id = ?", [owner.userId]),
    ).toEqual([]);
    // The number's owner proves it now (an SMS code, a minute after the login's) and the Huawei ID joins them.
    t.app.get(Clock).advance(61);
    const proven = await bindBySms(recycled.bindTicket!, owner.phone);
    expect(proven.user.id).toBe(owner.userId);
    expect((await huaweiLogin('hw-recycled')).session!.user.id).toBe(owner.userId);
  });

  it('a replayed code and an unreachable Huawei answer their codes and write nothing', async () => {
    const { authorizationCode } = await post('/sandbox/huawei/authorize', { person: 'hw-replay' });
    expect(errorCode(await t.gql(HUAWEI_LOGIN, { input: { authorizationCode } }))).toBeUndefined();
    const before = await rows();
    expect(errorCode(await t.gql(HUAWEI_LOGIN, { input: { authorizationCode } }))).toBe('PROVIDER_TOKEN_INVALID');
    const fresh = await post('/sandbox/huawei/authorize', { person: 'hw-down' });
    await post('/sandbox/huawei/faults', { endpoint: 'token', httpStatus: 502, times: 1 });
    const down = await t.gql(HUAWEI_LOGIN, { input: { authorizationCode: fresh.authorizationCode } });
    expect(down.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
    expect(await rows()).toEqual(before);
  });
});

describe('carrier one-tap', () => {
  it('logs a phone that already has a user into that user, and signs a new one up', async () => {
    const existing = await loginWithPhone(t, nextPhone('186'));
    const res = await t.gql<{ carrierLogin: SessionData }>(CARRIER_LOGIN, {
      input: { token: await carrierToken(existing.phone), deviceId: 'carrier-dev-1', platform: 'ANDROID' },
    });
    expect(res.body.data!.carrierLogin.user).toMatchObject({ id: existing.userId, phone: existing.phone });
    const fresh = nextPhone('187');
    const created = await t.gql<{ carrierLogin: SessionData }>(CARRIER_LOGIN, {
      input: { token: await carrierToken(fresh) },
    });
    expect(created.body.data!.carrierLogin.user.phone).toBe(fresh);
  });

  it('a used or bad token answers CARRIER_TOKEN_INVALID so the app falls back to SMS; an outage PROVIDER_UNAVAILABLE', async () => {
    const token = await carrierToken(nextPhone('188'));
    expect(errorCode(await t.gql(CARRIER_LOGIN, { input: { token } }))).toBeUndefined();
    expect(errorCode(await t.gql(CARRIER_LOGIN, { input: { token } }))).toBe('CARRIER_TOKEN_INVALID');
    expect(errorCode(await t.gql(CARRIER_LOGIN, { input: { token: 'made-up' } }))).toBe('CARRIER_TOKEN_INVALID');
    await post('/sandbox/carrier/faults', { endpoint: 'getmobile', httpStatus: 503, times: 1 });
    const down = await t.gql(CARRIER_LOGIN, { input: { token: await carrierToken(nextPhone('188')) } });
    expect(down.body.errors![0].extensions).toEqual(
      expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', retryable: true }),
    );
  });

  it('binds the phone of any provider’s first login (here Apple) with no SMS', async () => {
    const first = await appleLogin('apple-carrier');
    const phone = nextPhone('189');
    const res = await t.gql<{ carrierBindPhone: SessionData }>(CARRIER_BIND, {
      input: { bindTicket: first.bindTicket, token: await carrierToken(phone) },
    });
    expect(res.body.data!.carrierBindPhone.user).toMatchObject({ phone, identities: [{ provider: 'APPLE' }] });
  });

  it('has its own per-device limit', async () => {
    const device = 'carrier-greedy-device';
    const codes: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      codes.push(errorCode(await t.gql(CARRIER_LOGIN, { input: { token: 'made-up', deviceId: device } })));
    }
    expect(codes.slice(0, 10).every((c) => c === 'CARRIER_TOKEN_INVALID')).toBe(true);
    expect(codes[10]).toBe('TOO_MANY_REQUESTS');
  });
});

describe('login options in the zero-config sandbox', () => {
  it('offers every provider the sandbox configures, per platform', async () => {
    const options = async (args: string) =>
      (
        await t.gql<{ loginOptions: { methods: string[]; wechatChannel: string | null } }>(
          `{ loginOptions(${args}) { methods wechatChannel } }`,
        )
      ).body.data!.loginOptions;
    expect(await options('platform: IOS, wechatInstalled: false')).toEqual({
      methods: ['APPLE', 'QQ', 'ALIPAY', 'PHONE'],
      wechatChannel: null,
    });
    expect(await options('platform: HARMONYOS, wechatInstalled: true')).toEqual({
      methods: ['WECHAT', 'HUAWEI', 'QQ', 'PHONE'],
      wechatChannel: 'APP',
    });
    expect(await options('platform: ANDROID, wechatInstalled: true, carrierAvailable: true')).toEqual({
      methods: ['CARRIER', 'WECHAT', 'QQ', 'ALIPAY', 'PHONE'],
      wechatChannel: 'APP',
    });
    expect(await options('platform: WEB, wechatInstalled: false, inWechatBrowser: true')).toEqual({
      methods: ['WECHAT', 'QQ', 'PHONE'],
      wechatChannel: 'OFFICIAL_ACCOUNT',
    });
  });
});
