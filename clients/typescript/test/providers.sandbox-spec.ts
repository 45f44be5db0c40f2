import {
  LoginClient,
  MemoryStorage,
  QqLoginDocument,
  StartProviderLoginDocument,
  isErrorCode,
} from '@wechat-login/client';
import {
  alipayAuthorize,
  appleAuthorize,
  carrierToken,
  expectDeviceIdEverywhere,
  freshPhone,
  graphqlUrl,
  huaweiAuthorize,
  outboxCode,
  recordingFetch,
} from './sandbox';

// Sign in with Apple, Huawei ID and carrier one-tap through the SDK, against the sandbox's fakes
// (the same flows as the service's test/e2e/provider-logins.e2e-spec.ts).
function client(platform: 'IOS' | 'ANDROID' | 'HARMONYOS', deviceId: string) {
  const rec = recordingFetch();
  const c = new LoginClient({ url: graphqlUrl(), fetch: rec.fetch, storage: new MemoryStorage(), deviceId, platform });
  return { c, rec };
}

describe('Sign in with Apple through the SDK', () => {
  it('first login binds a phone by SMS, the next one is signed in as the same user', async () => {
    const { c, rec } = client('IOS', 'dev-apple-1');
    const person = `sdk-apple-${Date.now()}`;
    const first = await c.appleLogin({ ...(await appleAuthorize(person)), fullName: 'Li Lei' });
    if (first.isBind) throw new Error('a new Apple ID must be asked for a phone');
    const expiresAt: string | null = first.bindTicketExpiresAt; // typed: ISO 8601, not unknown
    expect(Date.parse(expiresAt!)).toBeGreaterThan(Date.now());

    const phone = freshPhone();
    const sent = await c.sendBindCode(phone, first.bindTicket);
    expect(Date.parse(sent.resendAfter)).toBeGreaterThan(0);
    const user = await c.bindPhone(first.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'));
    expect(user.phone).toBe(phone);
    expect((await c.me()).identities).toEqual([expect.objectContaining({ provider: 'APPLE' })]);

    await c.logout();
    const again = await c.appleLogin(await appleAuthorize(person));
    expect(again).toEqual({ isBind: true, user: expect.objectContaining({ id: user.id, phone }) });
    expect(await c.isSignedIn()).toBe(true);
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-apple-1')).toEqual([
      'AppleLogin',
      'SendSmsCode',
      'BindPhone',
      'AppleLogin',
    ]);
  });

  it('a code sent again by its device gets the same answer; from another device it is PROVIDER_TOKEN_INVALID, not retried', async () => {
    const { c } = client('IOS', 'dev-apple-2');
    const authorized = await appleAuthorize(`sdk-apple-replay-${Date.now()}`);
    const first = await c.appleLogin(authorized);
    // A retry after a lost answer: the same outcome (a new person: a bind ticket again), nothing new at Apple.
    const again = await c.appleLogin(authorized);
    expect(again.isBind).toBe(first.isBind);
    expect(again.isBind ? null : again.bindTicket).toEqual(first.isBind ? null : expect.any(String));
    const thief = client('IOS', 'dev-apple-thief');
    const error = await thief.c.appleLogin(authorized).catch((e: unknown) => e);
    expect(isErrorCode(error, 'PROVIDER_TOKEN_INVALID')).toBe(true);
    expect(thief.rec.count('AppleLogin')).toBe(1);
  });
});

describe('Huawei ID through the SDK', () => {
  it('with the phone scope granted: signed in at once, with that phone', async () => {
    const { c, rec } = client('HARMONYOS', 'dev-huawei-1');
    const phone = freshPhone();
    const outcome = await c.huaweiLogin(await huaweiAuthorize(`sdk-huawei-${Date.now()}`, phone));
    expect(outcome).toEqual({ isBind: true, user: expect.objectContaining({ phone }) });
    expect((await c.me()).identities).toEqual([expect.objectContaining({ provider: 'HUAWEI' })]);
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-huawei-1')).toEqual(['HuaweiLogin']);
  });

  it('without the phone: a bind ticket, bound by carrier one-tap; next time signed in directly', async () => {
    const { c, rec } = client('HARMONYOS', 'dev-huawei-2');
    const person = `sdk-huawei-nophone-${Date.now()}`;
    const first = await c.huaweiLogin(await huaweiAuthorize(person));
    if (first.isBind) throw new Error('no phone: a bind ticket expected');
    const phone = freshPhone();
    const user = await c.carrierBindPhone(first.bindTicket, await carrierToken(phone));
    expect(user.phone).toBe(phone);
    await c.logout();
    const again = await c.huaweiLogin(await huaweiAuthorize(person));
    expect(again).toEqual({ isBind: true, user: expect.objectContaining({ id: user.id }) });
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-huawei-2')).toEqual([
      'HuaweiLogin',
      'CarrierBindPhone',
      'HuaweiLogin',
    ]);
  });
});

describe('carrier one-tap through the SDK', () => {
  it('logs in with the SIM number; a bad token is CARRIER_TOKEN_INVALID and SMS takes over', async () => {
    const { c, rec } = client('ANDROID', 'dev-carrier-1');
    const phone = freshPhone();
    const user = await c.carrierLogin(await carrierToken(phone));
    expect(user.phone).toBe(phone);
    await c.logout();

    const error = await c.carrierLogin('not-a-carrier-token').catch((e: unknown) => e);
    expect(isErrorCode(error, 'CARRIER_TOKEN_INVALID')).toBe(true);
    // The fallback of docs/mobile.md: an SMS login of the same phone, the same user.
    await c.sendLoginCode(phone);
    expect((await c.loginWithPhone(phone, await outboxCode(phone))).id).toBe(user.id);
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-carrier-1')).toEqual([
      'CarrierLogin',
      'CarrierLogin',
      'SendSmsCode',
      'LoginWithPhone',
    ]);
  });
});

describe('Alipay through the SDK', () => {
  it('first login binds a phone; a retry of the same code from this device gets the same answer; linking', async () => {
    const { c, rec } = client('ANDROID', 'dev-alipay-1');
    const person = `sdk-alipay-${Date.now()}`;
    const authCode = await alipayAuthorize(person);
    const first = await c.alipayLogin(authCode);
    if (first.isBind) throw new Error('a new Alipay user must be asked for a phone');
    const again = await c.alipayLogin(authCode);
    if (again.isBind) throw new Error('the retry must answer as the first call did');
    const phone = freshPhone();
    await c.sendBindCode(phone, again.bindTicket);
    const user = await c.bindPhone(again.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'));
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-alipay-1')).toEqual([
      'AlipayLogin',
      'AlipayLogin',
      'SendSmsCode',
      'BindPhone',
    ]);
    expect((await c.me()).identities).toEqual([expect.objectContaining({ provider: 'ALIPAY' })]);

    // Another device with the same code: refused.
    const thief = client('ANDROID', 'dev-alipay-thief').c;
    const stolen = await thief.alipayLogin(authCode).catch((e: unknown) => e);
    expect(isErrorCode(stolen, 'PROVIDER_TOKEN_INVALID')).toBe(true);

    // A phone user adds Alipay.
    const other = client('ANDROID', 'dev-alipay-2').c;
    const otherPhone = freshPhone();
    await other.sendLoginCode(otherPhone);
    const phoneUser = await other.loginWithPhone(otherPhone, await outboxCode(otherPhone, 'LOGIN'));
    const linked = await other.linkAlipay(await alipayAuthorize(`${person}-linker`));
    expect(linked.id).toBe(phoneUser.id);
    expect(linked.id).not.toBe(user.id);
    expect((await other.me()).identities).toEqual([expect.objectContaining({ provider: 'ALIPAY' })]);
  });
});

describe('QQ through the SDK (generated documents)', () => {
  it('the QQ SDK token: a bind ticket first; the web flow starts with startProviderLogin', async () => {
    const { c } = client('ANDROID', 'dev-qq-1');
    const res = await fetch(graphqlUrl().replace(/\/graphql$/, '/sandbox/qq/authorize'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ person: `sdk-qq-${Date.now()}` }),
    });
    const { accessToken } = (await res.json()) as { accessToken: string };
    const { qqLogin } = await c.request(QqLoginDocument, { input: { accessToken, deviceId: 'dev-qq-1' } });
    expect(qqLogin).toMatchObject({ isBind: false, session: null, bindTicket: expect.any(String) });
    const { startProviderLogin } = await c.request(StartProviderLoginDocument, {
      provider: 'QQ',
      redirectUri: 'http://localhost:8080/qq',
      deviceId: 'dev-qq-1',
    });
    expect(startProviderLogin).toMatchObject({ provider: 'QQ', state: expect.any(String) });
    expect(new URL(startProviderLogin.authorizeUrl).searchParams.get('redirect_uri')).toBe('http://localhost:8080/qq');
  });
});
