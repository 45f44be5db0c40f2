import { chromium, Browser, Page, Request } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/test-app';

// The playground's admin sign-in in headless Chromium: phone + SMS code (read from the sandbox
// outbox), the token put on GraphiQL's requests and refreshed before expiry, the admin tabs, sign-out.
// Every request that would leave this machine is blocked and counted. Run by `npm run test:browser`.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SANDBOX_ADMIN = '+8613800000000';

describe('playground admin sign-in (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp(); // no ADMIN_PHONES: the sandbox default admin
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

  // Each test moves the service's clock past the SMS resend wait; the page's clock follows it.
  let offsetMs = 0;
  async function openPage(): Promise<{ page: Page; outside: string[]; graphql: Request[] }> {
    const res = await fetch(`${base}/sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 120 }),
    });
    offsetMs = Date.parse(((await res.json()) as { now: string }).now) - Date.now();
    const page = await browser.newPage();
    const outside: string[] = [];
    const graphql: Request[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page.on('request', (r) => {
      if (r.url() === `${base}/graphql` && r.method() === 'POST') graphql.push(r);
    });
    await page.clock.install({ time: Date.now() + offsetMs });
    const response = await page.goto(`${base}/graphql`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    return { page, outside, graphql };
  }

  const operationOf = (r: Request): string => {
    const body = JSON.parse(r.postData() ?? '{}');
    return body.operationName ?? /(?:query|mutation)\s+(\w+)/.exec(body.query ?? '')?.[1] ?? '';
  };

  async function signIn(page: Page): Promise<void> {
    const phone = page.getByLabel('Phone');
    await expect(phone.inputValue()).resolves.toBe(SANDBOX_ADMIN);
    const outboxLink = page.getByRole('link', { name: 'SMS outbox' });
    expect(await outboxLink.getAttribute('href')).toBe(
      `/sandbox/sms/outbox?phone=${encodeURIComponent(SANDBOX_ADMIN)}`,
    );
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByText('Code sent to').waitFor();
    const outboxUrl = `${base}/sandbox/sms/outbox?phone=${encodeURIComponent(SANDBOX_ADMIN)}`;
    const outbox = (await (await fetch(outboxUrl)).json()) as { messages: { code: string }[] };
    await page.getByLabel('SMS code').fill(outbox.messages[0].code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('signed-in').waitFor();
  }

  async function runTab(page: Page, title: string, expected: string): Promise<string> {
    await page.locator('.graphiql-tab', { hasText: title }).first().click();
    // The editor must show the tab's operation before it runs: GraphiQL switches tabs asynchronously,
    // and a click that comes first sends the previous tab's operation name.
    await page.locator('.graphiql-query-editor').getByText(title).first().waitFor({ timeout: 15000 });
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    await result.getByText(expected).first().waitFor({ timeout: 15000 });
    return result.innerText();
  }

  it('signs in with the outbox code, runs adminUsers from its tab with the token, and signs out', async () => {
    const { page, outside, graphql } = await openPage();
    for (const tab of ['AdminUsers', 'AdminAuditEvents', 'AdminLoginStats', 'AdminTokenRefreshStatus']) {
      expect(await page.locator('.graphiql-tab', { hasText: tab }).count()).toBeGreaterThan(0);
    }
    await signIn(page);
    expect(await page.getByTestId('signed-in').innerText()).toContain(SANDBOX_ADMIN);

    const text = await runTab(page, 'AdminUsers', '"total": 1');
    expect(text).toContain(`"phone": "${SANDBOX_ADMIN}"`);
    expect(text).toContain('"admin"');
    const call = graphql.filter((r) => operationOf(r) === 'AdminUsers').pop()!;
    expect(call.headers()['authorization']).toMatch(/^Bearer ey/);

    // The page signs out at once and sends logout behind it: wait for that request, not for the form.
    const logout = page.waitForRequest((r) => operationOf(r) === 'PlaygroundLogout', { timeout: 15000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Send code' }).waitFor();
    expect(operationOf(await logout)).toBe('PlaygroundLogout');
    expect((await logout).headers()['authorization']).toMatch(/^Bearer ey/);
    const after = await runTab(page, 'AdminUsers', 'UNAUTHENTICATED');
    expect(after).not.toContain(SANDBOX_ADMIN);
    expect(outside).toEqual([]);
    await page.close();
  }, 120000);

  it('refreshes the access token once before it expires and uses the new one', async () => {
    const { page, outside, graphql } = await openPage();
    await signIn(page);
    await runTab(page, 'AdminTokenRefreshStatus', '"active"');
    const first = graphql
      .filter((r) => operationOf(r) === 'AdminTokenRefreshStatus')
      .pop()!
      .headers()['authorization'];

    const refreshed = page.waitForResponse((r) => (r.request().postData() ?? '').includes('refreshSession'));
    await page.clock.fastForward('14:30'); // the access token lives 15 minutes; refresh a minute ahead
    await refreshed;
    const text = await runTab(page, 'AdminLoginStats', '"newUsers"');
    expect(text).toContain('"phoneLogins"');
    const second = graphql
      .filter((r) => operationOf(r) === 'AdminLoginStats')
      .pop()!
      .headers()['authorization'];
    expect(second).toMatch(/^Bearer ey/);
    expect(second).not.toBe(first);
    expect(graphql.filter((r) => operationOf(r) === 'PlaygroundRefresh')).toHaveLength(1);
    expect(await page.getByTestId('signed-in').innerText()).toContain(SANDBOX_ADMIN);
    expect(outside).toEqual([]);
    await page.close();
  }, 120000);
});
