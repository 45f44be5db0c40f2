import {
  LoginClient,
  LoginServiceError,
  MemoryStorage,
  MySessionsDocument,
  RefreshSessionDocument,
  isErrorCode,
} from '@wechat-login/client';
import {
  advanceServerClock,
  appleAuthorize,
  expectDeviceIdEverywhere,
  freshPhone,
  graphqlUrl,
  huaweiAuthorize,
  outboxCode,
  recordingFetch,
  wechatAuthorize,
} from './sandbox';

async function phoneUser(client: LoginClient) {
  const phone = freshPhone();
  await client.sendLoginCode(phone);
  return { phone, user: await client.loginWithPhone(phone, await outboxCode(phone)) };
}

describe('loginOptions through the SDK', () => {
  it('answers per platform, with the client platform as default', async () => {
    const ios = new LoginClient({ url: graphqlUrl(), platform: 'IOS' });
    const noWechat = await ios.loginOptions({ wechatInstalled: false });
    expect(noWechat.methods).toEqual(['APPLE', 'QQ', 'ALIPAY', 'PHONE']);
    expect((await ios.loginOptions({ wechatInstalled: true })).methods).toEqual([
      'WECHAT',
      'APPLE',
      'QQ',
      'ALIPAY',
      'PHONE',
    ]);
    const harmony = await ios.loginOptions({ platform: 'HARMONYOS', wechatInstalled: true, carrierAvailable: true });
    expect(harmony.methods).toEqual(['WECHAT', 'HUAWEI', 'CARRIER', 'QQ', 'PHONE']);
    const mini = await ios.loginOptions({ platform: 'MINI_PROGRAM' });
    expect(mini).toMatchObject({ methods: ['WECHAT'], wechatChannel: 'MINI_PROGRAM' });
    const web = new LoginClient({ url: graphqlUrl(), platform: 'WEB' });
    expect((await web.loginOptions({ inWechatBrowser: true })).wechatChannel).toBe('OFFICIAL_ACCOUNT');
    expect((await web.loginOptions()).wechatChannel).toBe('WEBSITE');
  });
});

describe('the device id', () => {
  it('is made once per storage, kept there, and sent on every call that takes one', async () => {
    const storage = new MemoryStorage();
    const rec = recordingFetch();
    const client = new LoginClient({ url: graphqlUrl(), storage, fetch: rec.fetch, platform: 'ANDROID' });
    const id = await client.deviceId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await storage.get('wechat-login.session.device-id')).toBe(id);
    // Another client on the same storage (the app restarted) sends the same one.
    const later = new LoginClient({ url: graphqlUrl(), storage, fetch: rec.fetch, platform: 'ANDROID' });
    await phoneUser(later);
    const { mySessions } = await later.request(MySessionsDocument, {}, 'required');
    expect(mySessions).toEqual([expect.objectContaining({ deviceId: id, platform: 'ANDROID', current: true })]);
    expect(expectDeviceIdEverywhere(rec.requests, id)).toEqual(['SendSmsCode', 'LoginWithPhone']);
    expect(await new LoginClient({ url: graphqlUrl() }).deviceId()).not.toBe(id);
  });
});

describe('linking and unlinking through the SDK', () => {
  it('a phone user links WeChat, Apple and Huawei ID, then removes them; the stored user follows', async () => {
    const rec = recordingFetch();
    const client = new LoginClient({ url: graphqlUrl(), fetch: rec.fetch, deviceId: 'dev-link-1', platform: 'IOS' });
    const { user } = await phoneUser(client);

    const start = await client.startWechatLogin({ link: true });
    const stamp = Date.now();
    const linked = await client.linkWechat(await wechatAuthorize(`sdk-link-${stamp}`, start.state), start.state);
    expect(linked).toMatchObject({ id: user.id, wechatLinked: true });
    expect((await client.currentSession())?.user.wechatLinked).toBe(true);
    await client.linkApple(await appleAuthorize(`sdk-link-apple-${stamp}`));
    await client.linkHuawei(await huaweiAuthorize(`sdk-link-huawei-${stamp}`));
    const providers = async () => (await client.me()).identities.map((i) => i.provider).sort();
    expect(await providers()).toEqual(['APPLE', 'HUAWEI', 'WECHAT']);

    await client.unlinkIdentity('APPLE');
    expect(await providers()).toEqual(['HUAWEI', 'WECHAT']);
    expect(await client.unlinkWechat()).toMatchObject({ wechatLinked: false });
    expect((await client.currentSession())?.user.wechatLinked).toBe(false);
    await client.unlinkIdentity('HUAWEI');
    expect(await providers()).toEqual([]);
    expect(expectDeviceIdEverywhere(rec.requests, 'dev-link-1')).toEqual([
      'SendSmsCode',
      'LoginWithPhone',
      'StartWechatLogin',
      'LinkWechat',
      'LinkApple',
      'LinkHuawei',
    ]);
  });

  it('an Apple ID of another user is refused: WECHAT_ALREADY_BOUND', async () => {
    const apple = `sdk-taken-${Date.now()}`;
    const owner = new LoginClient({ url: graphqlUrl() });
    await phoneUser(owner);
    await owner.linkApple(await appleAuthorize(apple));
    const other = new LoginClient({ url: graphqlUrl() });
    await phoneUser(other);
    const error = await other.linkApple(await appleAuthorize(apple)).catch((e: unknown) => e);
    expect(isErrorCode(error, 'WECHAT_ALREADY_BOUND')).toBe(true);
  });
});

describe('deleting the account through the SDK', () => {
  it('right after binding the code waits out retryAfterSeconds, as a person would; then the account is gone', async () => {
    const client = new LoginClient({ url: graphqlUrl(), deviceId: 'dev-delete-1', platform: 'IOS' });
    const person = `sdk-delete-${Date.now()}`;
    const first = await client.appleLogin(await appleAuthorize(person));
    if (first.isBind) throw new Error('a new Apple ID must be asked for a phone');
    const phone = freshPhone();
    await client.sendBindCode(phone, first.bindTicket);
    await client.bindPhone(first.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'));
    const refreshToken = (await client.currentSession())!.refreshToken;

    // One code a minute per phone, whatever its purpose: the SDK says how long, and does not spin.
    const early = await client.sendDeleteAccountCode().catch((e: unknown) => e);
    expect(isErrorCode(early, 'SMS_RATE_LIMITED')).toBe(true);
    const wait = (early as LoginServiceError).retryAfterSeconds!;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect((early as LoginServiceError).retryAt!.getTime()).toBeGreaterThan(Date.now());

    await advanceServerClock(wait); // the person waits for the countdown
    const sent = await client.sendDeleteAccountCode();
    expect(Date.parse(sent.resendAfter)).toBeGreaterThan(0);
    await client.deleteMyAccount(await outboxCode(phone, 'DELETE_ACCOUNT'));
    expect(await client.isSignedIn()).toBe(false);

    // Every session ended; the same Apple ID is a new person now.
    const dead = await client.transport.request(RefreshSessionDocument, { refreshToken }).catch((e: unknown) => e);
    expect(isErrorCode(dead, 'UNAUTHENTICATED')).toBe(true);
    expect((await client.appleLogin(await appleAuthorize(person))).isBind).toBe(false);
  });
});

describe('deleting with a provider proof, and the personal data, through the SDK', () => {
  it('lists what is held and who got it, then deletes with a fresh Apple sign-in instead of a code', async () => {
    const client = new LoginClient({ url: graphqlUrl(), storage: new MemoryStorage(), platform: 'IOS' });
    const { phone } = await phoneUser(client);
    const person = `sdk-reauth-${Date.now()}`;
    await client.linkApple(await appleAuthorize(person));

    const data = await client.myPersonalData();
    expect(data.items).toContainEqual({ category: 'phone', value: phone, sharedWith: ['SMS vendor'] });
    expect(data.items.filter((i) => i.category === 'identity' && i.sharedWith.includes('Apple'))).not.toHaveLength(0);

    // Someone else's proof: refused, nothing deleted.
    const other = await appleAuthorize(`${person}-other`);
    const refused = await client.deleteMyAccount({ reauth: { provider: 'APPLE', ...other } }).catch((e: unknown) => e);
    expect(isErrorCode(refused, 'REAUTH_PROOF_INVALID')).toBe(true);
    expect(await client.isSignedIn()).toBe(true);

    await client.deleteMyAccount({ reauth: { provider: 'APPLE', ...(await appleAuthorize(person)) } });
    expect(await client.isSignedIn()).toBe(false);
    // The same Apple ID is a new person now (a bind ticket: the sandbox asks new people for a phone).
    expect((await client.appleLogin(await appleAuthorize(person))).isBind).toBe(false);
  });
});
