import { Browser, chromium, Page } from 'playwright-core';
import { SmsOutbox } from '../../src/sandbox/sms-outbox';
import { startTestApp, TestApp } from '../support/test-app';
import { CHROMIUM, CHROMIUM_ARGS, freePort, startWebPageServer, WebPageServer } from '../support/web-page-server';

// The sandbox walked through as an H5 / website team would, in headless Chromium: a page on
// http://localhost:<its own port> calls the service directly (CORS), leaves for the fake WeChat's
// page (the website's QR page, the official account's consent page), approves as a person and comes
// back to its redirect URI with code and state, then finishes the login: the website flow binds a
// phone by SMS, and the same person through the official account is then the same user at once.
// The zero-configuration sandbox: no CORS_ORIGINS, no WECHAT_* variables.

const START = `mutation Start($channel: WechatChannel, $redirectUri: String, $deviceId: String) {
  startWechatLogin(channel: $channel, redirectUri: $redirectUri, deviceId: $deviceId) { state authorizeUrl }
}`;
// A web page keeps one device id (localStorage) and sends it with the state and with the code.
const DEVICE = 'browser-device-1';
const LOGIN = `mutation L($input: WechatLoginInput!) {
  wechatLogin(input: $input) { isBind bindTicket session { accessToken user { id phone } } }
}`;
const SEND = `mutation S($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }`;
const BIND = `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { accessToken user { id phone } } }`;
const PHONE = '+8613800138001';

interface Answer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

// fetch from inside the page: the browser applies CORS to every call.
async function gql<T>(page: Page, url: string, query: string, variables: object, token?: string): Promise<T> {
  const answer = await page.evaluate(
    async ({ url, query, variables, token }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as unknown;
    },
    { url, query, variables, token },
  );
  const { data, errors } = answer as Answer<T>;
  if (!data) throw new Error(`GraphQL error: ${JSON.stringify(errors)}`);
  return data;
}

describe('the sandbox web logins in a browser, from a page on another origin', () => {
  let t: TestApp;
  let site: WebPageServer;
  let browser: Browser;
  let graphql: string;
  let app: string;

  beforeAll(async () => {
    site = await startWebPageServer();
    app = `http://localhost:${site.port}`;
    // The authorize URLs name the sandbox's own port (its default WECHAT_OPEN_BASE).
    const port = await freePort();
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', PORT: String(port) } });
    await t.app.listen(port, '127.0.0.1');
    graphql = `http://127.0.0.1:${port}/graphql`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await site?.close();
  });

  /** startWechatLogin from the page, then the browser goes to WeChat's page. */
  async function leaveForWechat(page: Page, channel: 'WEBSITE' | 'OFFICIAL_ACCOUNT'): Promise<string> {
    await page.goto(`${app}/`);
    const { startWechatLogin } = await gql<{ startWechatLogin: { state: string; authorizeUrl: string } }>(
      page,
      graphql,
      START,
      { channel, redirectUri: `${app}/cb`, deviceId: DEVICE },
    );
    const response = await page.goto(startWechatLogin.authorizeUrl);
    expect(response?.status()).toBe(200);
    return startWechatLogin.state;
  }

  /** Back on the app's redirect URI: its code and state. */
  async function backOnTheApp(page: Page, state: string): Promise<{ code: string; state: string }> {
    await page.waitForURL((url) => url.origin === app && url.pathname === '/cb');
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe(state);
    return { code: back.searchParams.get('code')!, state };
  }

  it('website: shows the QR code and the approve button, comes back, binds a phone', async () => {
    const page = await browser.newPage();
    try {
      const state = await leaveForWechat(page, 'WEBSITE');
      const qr = page.locator('img.qrcode');
      await qr.waitFor();
      // A drawn QR code, not a broken image.
      expect(
        await qr.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth),
      ).toBeGreaterThan(0);
      await page.getByRole('button', { name: 'Approve as zhang' }).click();
      const returned = await backOnTheApp(page, state);

      const { wechatLogin } = await gql<{ wechatLogin: { isBind: boolean; bindTicket: string } }>(
        page,
        graphql,
        LOGIN,
        {
          input: { ...returned, platform: 'WEB', deviceId: DEVICE },
        },
      );
      expect(wechatLogin.isBind).toBe(false);
      await gql(page, graphql, SEND, {
        input: { phone: PHONE, purpose: 'BIND_PHONE', bindTicket: wechatLogin.bindTicket },
      });
      const smsCode = t.app.get(SmsOutbox).latestCode(PHONE)!;
      const { bindPhone } = await gql<{ bindPhone: { accessToken: string; user: { phone: string } } }>(
        page,
        graphql,
        BIND,
        { input: { bindTicket: wechatLogin.bindTicket, phone: PHONE, smsCode, platform: 'WEB' } },
      );
      expect(bindPhone.user.phone).toBe(PHONE);
      // The bearer token from the page (an Authorization header: preflighted, allowed).
      const me = await gql<{ me: { phone: string } }>(page, graphql, '{ me { phone } }', {}, bindPhone.accessToken);
      expect(me.me.phone).toBe(PHONE);
    } finally {
      await page.close();
    }
  });

  it('official account: asks who approves, and the same person is the same user at once', async () => {
    const page = await browser.newPage();
    try {
      const state = await leaveForWechat(page, 'OFFICIAL_ACCOUNT');
      await page.locator('select[name=person]').selectOption('zhang');
      await page.getByRole('button', { name: '允许 Allow' }).click();
      const returned = await backOnTheApp(page, state);
      const { wechatLogin } = await gql<{
        wechatLogin: { isBind: boolean; session: { user: { phone: string } } };
      }>(page, graphql, LOGIN, { input: { ...returned, platform: 'WEB', deviceId: DEVICE } });
      expect(wechatLogin.isBind).toBe(true);
      expect(wechatLogin.session.user.phone).toBe(PHONE);
    } finally {
      await page.close();
    }
  });
});
