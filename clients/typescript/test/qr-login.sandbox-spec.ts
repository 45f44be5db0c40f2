import { LoginClient, LoginServiceError, MemoryStorage, type QrLoginStatus } from '@wechat-login/client';
import { freshPhone, graphqlUrl, outboxCode, serviceUrl } from './sandbox';

// Both sides of QR login against the sandbox: the page (start, wait) and the signed-in app (scan,
// confirm or cancel), each its own client.
async function signedInApp(): Promise<{ app: LoginClient; userId: string }> {
  const app = new LoginClient({ url: graphqlUrl(), deviceId: 'phone-app-1', platform: 'ANDROID' });
  const phone = freshPhone();
  await app.sendLoginCode(phone);
  const user = await app.loginWithPhone(phone, await outboxCode(phone));
  return { app, userId: user.id };
}

describe('QR login against the sandbox', () => {
  it('the page waits, the app scans and confirms, the page is signed in as the app user', async () => {
    const { app, userId } = await signedInApp();
    const storage = new MemoryStorage();
    const page = new LoginClient({ url: graphqlUrl(), storage, platform: 'WEB' });
    const qr = await page.startQrLogin();
    expect(qr.qrContent).toMatch(/^wlqr:/);

    const seen: QrLoginStatus[] = [];
    const waiting = page.waitForQrLogin(qr, {
      intervalMs: 100,
      onStatus: (status) => {
        seen.push(status);
      },
    });
    const requester = await app.scanQrLogin(qr.qrContent);
    expect(requester.createdAt).toEqual(expect.any(String));
    expect(requester.ip).toEqual(expect.any(String));
    await app.confirmQrLogin(qr.qrContent);

    const result = await waiting;
    expect(result).toEqual({ status: 'CONFIRMED', user: expect.objectContaining({ id: userId }) });
    expect(seen[0]).toBe('PENDING');
    expect(seen[seen.length - 1]).toBe('CONFIRMED');
    expect((await page.me()).id).toBe(userId);
    expect(JSON.parse((await storage.get('wechat-login.session'))!).user.id).toBe(userId);
    // Waiting again finds it collected: no second session.
    expect(await page.waitForQrLogin(qr)).toEqual({ status: 'CONFIRMED' });
  });

  it('the app cancels: the page ends with CANCELLED and is not signed in', async () => {
    const { app } = await signedInApp();
    const page = new LoginClient({ url: graphqlUrl(), platform: 'WEB' });
    const qr = await page.startQrLogin();
    await app.scanQrLogin(qr.qrContent);
    await app.cancelQrLogin(qr.qrContent);
    expect(await page.waitForQrLogin(qr, { intervalMs: 100 })).toEqual({ status: 'CANCELLED' });
    expect(await page.isSignedIn()).toBe(false);
    await expect(app.confirmQrLogin(qr.qrContent)).rejects.toMatchObject({ code: 'QR_LOGIN_INVALID' });
  });

  it('a signed-out app cannot scan; a page polling with the QR content gets QR_LOGIN_INVALID', async () => {
    const page = new LoginClient({ url: graphqlUrl(), platform: 'WEB' });
    const qr = await page.startQrLogin();
    const stranger = new LoginClient({ url: graphqlUrl() });
    await expect(stranger.scanQrLogin(qr.qrContent)).rejects.toBeInstanceOf(LoginServiceError);
    await expect(stranger.scanQrLogin(qr.qrContent)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(page.waitForQrLogin({ id: qr.id, pollToken: qr.qrContent })).rejects.toMatchObject({
      code: 'QR_LOGIN_INVALID',
    });
  });

  it("follow login: the page shows WeChat's code, the person scans and follows, the page gets a bind ticket", async () => {
    const page = new LoginClient({ url: graphqlUrl(), platform: 'WEB' });
    const follow = await page.startWechatFollowLogin();
    const ticket = new URL(follow.qrUrl).searchParams.get('ticket')!;
    expect(follow.qrUrl).toMatch(/^https:\/\/mp\.weixin\.qq\.com\/cgi-bin\/showqrcode\?ticket=/);
    // The person's phone (the sandbox's fake WeChat) scans; WeChat pushes the event to the service.
    const scanned = await fetch(`${serviceUrl()}/sandbox/wechat/scan-follow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket, person: `sdk-follower-${Date.now()}` }),
    });
    const push = (await scanned.json()) as { appid: string; query: string; body: string };
    const delivered = await fetch(`${serviceUrl()}/providers/wechat/events/${push.appid}?${push.query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: push.body,
    });
    expect(delivered.status).toBe(200);
    const result = await page.waitForQrLogin(follow, { intervalMs: 100 });
    expect(result).toEqual({ status: 'CONFIRMED', bindTicket: expect.any(String) });
  });
});
