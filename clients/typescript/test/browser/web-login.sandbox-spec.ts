import { chromium, type Browser, type Page } from 'playwright-core';
import { expectDeviceIdEverywhere, freshPhone, graphqlUrl, outboxCode, serviceUrl, type SentRequest } from '../sandbox';
import { startPageServer } from './page-server';

// A real headless Chromium (Debian's; .ci/run installs it) on an app's login page served from
// another origin (http://localhost:<port>), calling the service (http://127.0.0.1:<port>) directly
// through the SDK's ESM build: start, leave for WeChat's page, come back, bind a phone.
// Needs the service's CORS allow-list (the sandbox allows loopback origins on any port).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
jest.setTimeout(90000);

let browser: Browser;
let pages: Awaited<ReturnType<typeof startPageServer>>;

beforeAll(async () => {
  pages = await startPageServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await pages?.close();
});

const status = (page: Page) => page.locator('#status');

/** At WeChat's page: approve as `person` when the page asks; come back to the app's page. */
async function approveAtWechat(page: Page, person: string): Promise<void> {
  await page.waitForURL((u) => !u.href.startsWith(pages.origin) || u.searchParams.has('state'), { timeout: 15000 });
  if (!page.url().startsWith(pages.origin)) {
    // A page to approve on (consent page, or the website's QR with approve buttons).
    await page.locator('form.other input[name=person]').fill(person);
    await page.locator('form.other button[type=submit]').click();
  }
  await page.waitForURL((u) => u.href.startsWith(pages.origin), { timeout: 15000 });
}

describe.each(['WEBSITE', 'OFFICIAL_ACCOUNT'] as const)(
  '%s login in headless Chromium, page on another origin',
  (channel) => {
    it('logs in through the SDK calling the service directly; code and state leave the address bar', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const sent: SentRequest[] = [];
      page.on('request', (r) => {
        if (r.url() === graphqlUrl() && r.method() === 'POST') sent.push(JSON.parse(r.postData() ?? '{}'));
      });
      await page.goto(`${pages.origin}/login.html?service=${encodeURIComponent(serviceUrl())}`);
      await status(page).getByText('none').waitFor();

      void page.evaluate((c) => (window as any).app.start(c), channel).catch(() => undefined); // navigates away
      // Gone to WeChat's page, or still here with the failure the page caught (without CORS:
      // NetworkError, "the service could not be reached").
      let failure: string | null = null;
      for (let i = 0; i < 150 && page.url().includes('/login.html?service='); i++) {
        failure = await page.evaluate(() => (window as any).app?.error ?? null).catch(() => null);
        if (failure) break;
        await page.waitForTimeout(100);
      }
      if (failure) throw new Error(`startWechatWebLogin failed in the page: ${failure}`);
      await approveAtWechat(page, `sdk-browser-${channel}-${Date.now()}`);
      await status(page)
        .getByText(/bind a phone|error/)
        .waitFor({ timeout: 15000 });
      expect(await page.evaluate(() => (window as any).app.error ?? null)).toBeNull();
      expect(page.url()).toBe(`${pages.origin}/login.html`); // history.replaceState(cleanUrl)

      const phone = freshPhone();
      await page.evaluate(
        async (p) => (window as any).app.client.sendBindCode(p, (window as any).app.result.outcome.bindTicket),
        phone,
      );
      const code = await outboxCode(phone, 'BIND_PHONE');
      const user = await page.evaluate(async ([p, c]) => (window as any).app.bind(p, c), [phone, code]);
      expect(user.phone).toBe(phone);
      await status(page).getByText(`signed in as ${user.id}`).waitFor();

      // The session and the browser's device id are in localStorage; every call carried that id.
      const stored = await page.evaluate(() => ({
        session: localStorage.getItem('wechat-login.session'),
        deviceId: localStorage.getItem('wechat-login.session.device-id'),
      }));
      expect(JSON.parse(stored.session!).user.id).toBe(user.id);
      expect(expectDeviceIdEverywhere(sent, stored.deviceId!)).toEqual([
        'StartWechatLogin',
        'WechatLogin',
        'SendSmsCode',
        'BindPhone',
      ]);
      const me = await page.evaluate(async () => (window as any).app.client.me());
      expect(me.identities).toEqual([expect.objectContaining({ provider: 'WECHAT', channel })]);
      await context.close();
    });
  },
);
