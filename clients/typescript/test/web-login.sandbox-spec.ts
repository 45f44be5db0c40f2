import { LoginClient, webStorage } from '@wechat-login/client';
import {
  expectDeviceIdEverywhere,
  freshPhone,
  graphqlUrl,
  memoryWebStorage,
  outboxCode,
  recordingFetch,
  wechatWebApprove,
} from './sandbox';

// The H5 (official account) and website (QR) flows as a page runs them, in Node: localStorage and
// sessionStorage are Maps that outlive the "page" (a new client after the round trip to WeChat).
const REDIRECT = 'http://localhost:8080/login/wechat?from=home';

function browser() {
  const local = memoryWebStorage();
  const session = memoryWebStorage();
  const rec = recordingFetch();
  // A fresh page load: a new client over the same browser storages.
  const page = () =>
    new LoginClient({
      url: graphqlUrl(),
      fetch: rec.fetch,
      platform: 'WEB',
      storage: webStorage(local),
      pendingStorage: webStorage(session),
    });
  return { local, session, rec, page };
}

describe.each(['OFFICIAL_ACCOUNT', 'WEBSITE'] as const)('%s login through the SDK', (channel) => {
  it('starts with channel and redirect URI, leaves for WeChat, finishes on return with the same device id', async () => {
    const b = browser();
    const person = `sdk-web-${channel}-${Date.now()}`;
    const { authorizeUrl, state } = await b.page().startWechatWebLogin({ channel, redirectUri: REDIRECT });
    expect(new URL(authorizeUrl).pathname).toBe(
      channel === 'WEBSITE' ? '/sandbox/wechat/connect/qrconnect' : '/sandbox/wechat/connect/oauth2/authorize',
    );
    expect(JSON.parse(b.session.map.get('wechat-login.session.wechat-pending')!)).toMatchObject({ state, channel });
    const deviceId = b.local.map.get('wechat-login.session.device-id')!;
    expect(deviceId).toEqual(expect.any(String));

    const back = await wechatWebApprove(authorizeUrl, person);
    const returned = b.page();
    const done = await returned.completeWechatWebLogin(back);
    if (done.status !== 'completed' || done.outcome.isBind) throw new Error(`unexpected ${JSON.stringify(done)}`);
    expect(done.cleanUrl).toBe(REDIRECT);
    expect(b.session.map.has('wechat-login.session.wechat-pending')).toBe(false);

    const phone = freshPhone();
    await returned.sendBindCode(phone, done.outcome.bindTicket);
    const user = await returned.bindPhone(done.outcome.bindTicket, phone, await outboxCode(phone, 'BIND_PHONE'));
    expect((await returned.me()).identities).toEqual([expect.objectContaining({ provider: 'WECHAT', channel })]);
    expect(JSON.parse(b.local.map.get('wechat-login.session')!).user.id).toBe(user.id);

    // The same return address again (a reload, a shared link): the pending login is spent.
    expect(await b.page().completeWechatWebLogin(back)).toEqual({ status: 'unknown-state', cleanUrl: REDIRECT });
    // Start and finish both carried the browser's device id.
    expect(expectDeviceIdEverywhere(b.rec.requests, deviceId)).toEqual([
      'StartWechatLogin',
      'WechatLogin',
      'SendSmsCode',
      'BindPhone',
    ]);
  });
});

describe('web returns that finish nothing', () => {
  it('no state: none; a declined authorization: declined; another browser’s state: ignored', async () => {
    const a = browser();
    expect(await a.page().completeWechatWebLogin('http://localhost:8080/login/wechat')).toEqual({ status: 'none' });
    const { state } = await a.page().startWechatWebLogin({ channel: 'WEBSITE', redirectUri: REDIRECT });
    const declined = await a.page().completeWechatWebLogin(`http://localhost:8080/login/wechat?state=${state}`);
    expect(declined).toEqual({ status: 'declined', cleanUrl: 'http://localhost:8080/login/wechat' });

    // A return address made for browser A, opened in browser B: B started nothing, sends nothing.
    const started = await a.page().startWechatWebLogin({ channel: 'OFFICIAL_ACCOUNT', redirectUri: REDIRECT });
    const back = await wechatWebApprove(started.authorizeUrl, `sdk-web-stolen-${Date.now()}`);
    const b = browser();
    expect((await b.page().completeWechatWebLogin(back)).status).toBe('unknown-state');
    expect(b.rec.operations).toEqual([]);
  });

  it('started signed in with link: true, the return links WeChat to the user', async () => {
    const b = browser();
    const client = b.page();
    const phone = freshPhone();
    await client.sendLoginCode(phone);
    const user = await client.loginWithPhone(phone, await outboxCode(phone));
    const { authorizeUrl } = await client.startWechatWebLogin({
      channel: 'WEBSITE',
      redirectUri: REDIRECT,
      link: true,
    });
    const back = await wechatWebApprove(authorizeUrl, `sdk-web-link-${Date.now()}`);
    const done = await b.page().completeWechatWebLogin(back);
    expect(done).toMatchObject({ status: 'linked', user: { id: user.id, wechatLinked: true } });
    expect((await b.page().currentSession())?.user.wechatLinked).toBe(true);
  });
});
