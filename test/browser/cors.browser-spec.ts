import { Browser, chromium, Page } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/test-app';
import { CHROMIUM, CHROMIUM_ARGS, startWebPageServer, WebPageServer } from '../support/web-page-server';

// A web page on another origin calling the service's GraphQL with fetch, in a real headless Chromium:
// the browser, not our test client, decides from the CORS answers. Run by `npm run test:browser`.
const QUERY = '{ loginOptions(platform: WEB, wechatInstalled: false) { methods } }';

type Outcome = { ok: true; status: number; body: unknown } | { ok: false; error: string };

async function callFrom(page: Page, graphql: string): Promise<Outcome> {
  return page.evaluate(
    async ({ url, query }) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        return { ok: true as const, status: res.status, body: await res.json() };
      } catch (error) {
        return { ok: false as const, error: String(error) };
      }
    },
    { url: graphql, query: QUERY },
  );
}

describe('a page on another origin calling the service (headless Chromium)', () => {
  let t: TestApp;
  let site: WebPageServer;
  let browser: Browser;
  let graphql: string;

  beforeAll(async () => {
    site = await startWebPageServer();
    t = await startTestApp({ env: { CORS_ORIGINS: `http://h5.example.test:${site.port}` } });
    await t.app.listen(0, '127.0.0.1');
    graphql = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/graphql`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await site?.close();
  });

  it.each([
    ['localhost on another port (the sandbox allows it)', 'localhost'],
    ['an origin on CORS_ORIGINS', 'h5.example.test'],
  ])('works from %s', async (_name, host) => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${host}:${site.port}/`);
      const outcome = await callFrom(page, graphql);
      expect(outcome).toEqual({
        ok: true,
        status: 200,
        body: { data: { loginOptions: { methods: ['WECHAT', 'QQ', 'PHONE'] } } },
      });
    } finally {
      await page.close();
    }
  });

  it('is refused by the browser for an origin not on the list', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://evil.example.test:${site.port}/`);
      // Chromium says why on the console: the service is up, the browser refused the answer.
      const why = page.waitForEvent('console', { predicate: (m) => m.text().includes('CORS policy'), timeout: 15000 });
      const outcome = await callFrom(page, graphql);
      expect(outcome).toEqual({ ok: false, error: 'TypeError: Failed to fetch' });
      expect((await why).text()).toContain(
        `from origin 'http://evil.example.test:${site.port}' has been blocked by CORS policy`,
      );
    } finally {
      await page.close();
    }
  });
});
