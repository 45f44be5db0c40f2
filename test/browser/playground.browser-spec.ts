import { chromium, Browser } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/test-app';

// The playground in a real headless Chromium (Debian's), with every request that would leave this
// machine blocked: the page must work from our own server alone. Run by `npm run test:browser`.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('GraphQL playground (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
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
    await t?.close();
  });

  it('loads from our server only, runs loginOptions and shows the answer', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const query = '{ loginOptions(platform: IOS, wechatInstalled: false) { showWechatButton methods } }';
    const response = await page.goto(`${base}/graphql?query=${encodeURIComponent(query)}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    await result.getByText('"PHONE"').waitFor({ timeout: 15000 });
    const text = await result.innerText();
    expect(text).toContain('"showWechatButton": false');
    expect(text).toContain('"PHONE"');
    expect(outside).toEqual([]);
    // The header editor is there for the admin's Authorization header.
    expect(await page.getByText('Headers').count()).toBeGreaterThan(0);
  });

  it('serves JSON, not the page, to GraphQL clients', async () => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ loginOptions(platform: ANDROID, wechatInstalled: true) { methods } }' }),
    });
    expect(await res.json()).toEqual({ data: { loginOptions: { methods: ['WECHAT', 'QQ', 'ALIPAY', 'PHONE'] } } });
  });
});
