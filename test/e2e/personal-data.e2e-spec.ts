import { bearer, errorCode, loginWithPhone, nextPhone } from '../support/flows';
import { approve, postJson } from '../support/provider-proofs';
import { startTestApp, TestApp } from '../support/test-app';

// myPersonalData through GraphQL, for people who signed in several ways against the sandbox's
// in-process fakes: what is held, and which third party received each item.

const PERSONAL_DATA = '{ myPersonalData { generatedAt items { category value sharedWith } } }';
const LINKS: Record<string, string> = {
  APPLE: 'mutation L($input: AppleLoginInput!) { linkApple(input: $input) { id } }',
  HUAWEI: 'mutation L($input: HuaweiLoginInput!) { linkHuawei(input: $input) { id } }',
  QQ: 'mutation L($input: QqLoginInput!) { linkQq(input: $input) { id } }',
};
const CARRIER_LOGIN = 'mutation C($input: CarrierLoginInput!) { carrierLogin(input: $input) { user { id } } }';
const APPLE_LOGIN = 'mutation A($input: AppleLoginInput!) { appleLogin(input: $input) { session { accessToken } } }';

interface Item {
  category: string;
  value: string;
  sharedWith: string[];
}

let t: TestApp;

async function personalData(token: string): Promise<{ generatedAt: string; items: Item[] }> {
  const res = await t.gql<{ myPersonalData: { generatedAt: string; items: Item[] } }>(PERSONAL_DATA, {}, bearer(token));
  if (!res.body.data) throw new Error(`myPersonalData: ${JSON.stringify(res.body.errors)}`);
  return res.body.data.myPersonalData;
}

const of = (items: Item[], category: string): Item[] => items.filter((i) => i.category === category);

beforeAll(async () => {
  t = await startTestApp({
    env: {
      REQUIRE_PHONE: 'false',
      SMS_CONSOLE_LOG_CODES: 'false',
      PROVIDER_TIMEOUT_MS: '15000',
      PROVIDER_BUDGET_MS: '30000',
    },
  });
  await t.app.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await t.close();
});

describe('myPersonalData', () => {
  it('a user of SMS, one-tap, Apple, Huawei and QQ: each item and who received it', async () => {
    const phone = nextPhone('139');
    const user = await loginWithPhone(t, phone, { deviceId: 'pd-phone-1', platform: 'IOS' });
    for (const provider of ['APPLE', 'HUAWEI', 'QQ'] as const) {
      const linked = await t.gql(
        LINKS[provider],
        { input: await approve(t, provider, 'pd-many') },
        bearer(user.accessToken),
      );
      expect(linked.body.errors).toBeUndefined();
    }
    const { token } = await postJson(t, '/sandbox/carrier/token', { phone: phone.replace(/^\+86/, '') });
    const oneTap = await t.gql(CARRIER_LOGIN, { input: { token, deviceId: 'pd-phone-2', platform: 'ANDROID' } });
    expect(oneTap.body.errors).toBeUndefined();

    const data = await personalData(user.accessToken);
    expect(Number.isNaN(Date.parse(data.generatedAt))).toBe(false);
    // The phone, in full (the caller owns it), went to the SMS vendor (codes) and to the carrier (one-tap).
    expect(of(data.items, 'phone')).toEqual([
      { category: 'phone', value: phone, sharedWith: ['SMS vendor', 'carrier'] },
    ]);
    // Each identity: its provider and app, known to that provider and nobody else.
    const identities = of(data.items, 'identity');
    for (const provider of ['Apple', 'Huawei', 'QQ']) {
      const accounts = identities.filter((i) => i.value.startsWith(`${provider} account in app `));
      expect(accounts).toHaveLength(1);
      expect(accounts[0].sharedWith).toEqual([provider]);
    }
    expect(identities.every((i) => i.sharedWith.length === 1)).toBe(true);
    // Apple's refresh token is kept for revocation: a fact the person consents to.
    expect(of(data.items, 'consent')).toContainEqual(expect.objectContaining({ sharedWith: ['Apple'] }));
    // Two sessions (SMS on iOS, one-tap on Android), two devices, two logins: with their IPs, shared with nobody.
    const sessions = of(data.items, 'session');
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s) => s.value).join('\n')).toMatch(/IOS · by PHONE · .* IP 127\.0\.0\.1 · active/);
    expect(sessions.map((s) => s.value).join('\n')).toMatch(/ANDROID · by CARRIER · /);
    expect(
      of(data.items, 'device')
        .map((d) => d.value.split(' · ')[0])
        .sort(),
    ).toEqual(['pd-phone-1', 'pd-phone-2']);
    const logins = of(data.items, 'login').map((l) => l.value.split(' ')[0]);
    expect(logins.sort()).toEqual(['CARRIER', 'PHONE']);
    expect(of(data.items, 'login').every((l) => /from 127\.0\.0\.1$/.test(l.value))).toBe(true);
    for (const category of ['session', 'device', 'login', 'account']) {
      expect(of(data.items, category).every((i) => i.sharedWith.length === 0)).toBe(true);
    }
  });

  it('an Apple-only user: no phone, nothing sent to the SMS vendor or the carrier, and nobody else’s data', async () => {
    const proof = await approve(t, 'APPLE', 'pd-apple-only');
    const res = await t.gql<{ appleLogin: { session: { accessToken: string } } }>(APPLE_LOGIN, { input: proof });
    const token = res.body.data!.appleLogin.session.accessToken;
    const data = await personalData(token);
    expect(of(data.items, 'phone')).toEqual([]);
    const shared = new Set(data.items.flatMap((i) => i.sharedWith));
    expect([...shared]).toEqual(['Apple']);
    expect(of(data.items, 'identity').filter((i) => i.value.includes(' account in app '))).toHaveLength(1);
    expect(of(data.items, 'session')).toHaveLength(1);
    expect(of(data.items, 'login').map((l) => l.value.split(' ')[0])).toEqual(['APPLE']);
  });

  it('needs a signed-in caller', async () => {
    expect(errorCode(await t.gql(PERSONAL_DATA, {}))).toBe('UNAUTHENTICATED');
  });
});
