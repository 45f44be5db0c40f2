import {
  LoginClient,
  isErrorCode,
  miniProgramFetch,
  miniProgramLoginCode,
  miniProgramStorage,
} from '@wechat-login/client';
import { freshPhone, miniProgramPhoneCode, outboxCode, serviceUrl } from './sandbox';
import { startSandbox, type RunningSandbox } from './sandbox-setup';
import { fakeWx, type FakeWx } from './wx-harness';

// A mini program's login page, run against a `wx` stand-in (test/wx-harness.ts): transport over
// wx.request, storage over wx.setStorageSync, wx.login's code, the phone button, the SMS fallback.
function miniProgramClient(wx: FakeWx, base: string): LoginClient {
  return new LoginClient({
    url: `${base}/graphql`,
    fetch: miniProgramFetch(wx),
    storage: miniProgramStorage(wx),
    platform: 'MINI_PROGRAM',
  });
}

describe('mini program through the SDK (a wx stand-in)', () => {
  it('first launch binds the phone with the phone button; the next launch is signed in from wx.login alone', async () => {
    const person = `sdk-mini-${Date.now()}`;
    const wx = fakeWx(person, serviceUrl());
    const client = miniProgramClient(wx, serviceUrl());
    expect((await client.loginOptions()).wechatChannel).toBe('MINI_PROGRAM');

    const first = await client.wechatMiniProgramLogin(await miniProgramLoginCode(wx));
    if (first.isBind) throw new Error('a new person must bind a phone');
    expect(first.profile.unionid).toEqual(expect.any(String));
    const phone = freshPhone();
    // <button open-type="getPhoneNumber">: e.detail.code from WeChat
    const detail = { code: await miniProgramPhoneCode(person, phone), errMsg: 'getPhoneNumber:ok' };
    const bound = await client.wechatMiniProgramBindPhone(first.bindTicket, detail);
    if (!bound.isBound) throw new Error(`phone button refused: ${bound.reason}`);
    expect(bound.user.phone).toBe(phone);

    // Kept in wx storage: the session and the device id made for this install.
    const session = JSON.parse(wx.storage.get('wechat-login.session')!);
    expect(session.user.id).toBe(bound.user.id);
    const deviceId = wx.storage.get('wechat-login.session.device-id');
    expect(deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.me()).identities).toEqual([
      expect.objectContaining({ provider: 'WECHAT', channel: 'MINI_PROGRAM', appId: 'wxsandboxmini0001' }),
    ]);

    // Next launch: a new client over the same wx storage.
    const relaunched = miniProgramClient(wx, serviceUrl());
    expect(await relaunched.isSignedIn()).toBe(true);
    await relaunched.logout();
    const again = await relaunched.wechatMiniProgramLogin(await miniProgramLoginCode(wx));
    expect(again).toMatchObject({ isBind: true, user: { id: bound.user.id, phone } });
    expect(await relaunched.deviceId()).toBe(deviceId);
    expect(wx.requests.map((r) => r.operationName)).toEqual([
      'LoginOptions',
      'WechatMiniProgramLogin',
      'WechatMiniProgramBindPhone',
      'Me',
      'Logout',
      'WechatMiniProgramLogin',
    ]);
  });

  it('a refused phone button and a used js code: SMS with the same ticket; WECHAT_CODE_INVALID', async () => {
    const person = `sdk-mini-refuse-${Date.now()}`;
    const wx = fakeWx(person, serviceUrl());
    const client = miniProgramClient(wx, serviceUrl());
    const code = await miniProgramLoginCode(wx);
    const first = await client.wechatMiniProgramLogin(code);
    if (first.isBind) throw new Error('a new person must bind a phone');
    const refused = await client.wechatMiniProgramBindPhone(first.bindTicket, {
      errMsg: 'getPhoneNumber:fail user deny',
    });
    expect(refused).toEqual({ isBound: false, reason: 'REFUSED', bindTicket: first.bindTicket });
    const phone = freshPhone();
    await client.sendBindCode(phone, first.bindTicket);
    expect((await client.bindPhone(first.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'))).phone).toBe(phone);

    const replay = await client.wechatMiniProgramLogin(code).catch((e: unknown) => e);
    expect(isErrorCode(replay, 'WECHAT_CODE_INVALID')).toBe(true);
  });
});

describe('mini program over the daily phone-button cap (WECHAT_PHONE_DAILY_CAP=0)', () => {
  let capped: RunningSandbox;
  beforeAll(async () => {
    capped = await startSandbox({ WECHAT_PHONE_DAILY_CAP: '0' });
  }, 60000);
  afterAll(async () => {
    await capped?.stop();
  });

  it('PHONE_QUOTA_EXCEEDED: the SDK says bind by SMS, and the same ticket binds by SMS', async () => {
    const person = `sdk-mini-quota-${Date.now()}`;
    const wx = fakeWx(person, capped.url);
    const client = miniProgramClient(wx, capped.url);
    const first = await client.wechatMiniProgramLogin(await miniProgramLoginCode(wx));
    if (first.isBind) throw new Error('a new person must bind a phone');
    const phone = freshPhone();
    const button = await client.wechatMiniProgramBindPhone(first.bindTicket, {
      code: await miniProgramPhoneCode(person, phone, capped.url),
    });
    expect(button).toEqual({ isBound: false, reason: 'PHONE_QUOTA_EXCEEDED', bindTicket: first.bindTicket });
    expect(await client.isSignedIn()).toBe(false);

    await client.sendBindCode(phone, first.bindTicket);
    const user = await client.bindPhone(first.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE', capped.url));
    expect(user.phone).toBe(phone);
    expect(await client.isSignedIn()).toBe(true);
  });
});
