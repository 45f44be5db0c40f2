import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { PROVIDER_FAKES, SANDBOX_TOOLS, WECHAT_FAKE } from '../../src/sandbox/pages/sandbox-catalog';
import { SANDBOX_PEOPLE } from '../../src/sandbox/sandbox-people';
import { loginWithPhone, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';

// GET /sandbox (the map of the sandbox) and GET /sandbox/wechat (the fake WeChat's index) inside the
// service, and every endpoint the map lists really answering where it says.
const BROWSER = 'text/html,application/xhtml+xml,*/*;q=0.8';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
});

afterAll(async () => {
  await t.close();
});

it('shows a browser every fake with its URL, the people and the admin phone', async () => {
  await t.http().post('/sandbox/wechat/authorize').send({ appid: 'wxsandbox00000001', person: 'mei' });
  const res = await t.http().get('/sandbox').set('accept', BROWSER);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  const host = new URL((res.request as unknown as { url: string }).url).origin;
  for (const fake of [WECHAT_FAKE, ...PROVIDER_FAKES]) {
    expect(res.text).toContain(fake.name);
    expect(res.text).toContain(`${host}${fake.mount}`);
  }
  for (const person of SANDBOX_PEOPLE) expect(res.text).toContain(`<code>${person.label}</code>`);
  expect(res.text).toContain('<code>mei</code>');
  expect(res.text).toContain(t.config.adminPhones[0]);
  expect(res.text).toContain(`${host}/sandbox/sms/outbox`);
  expect(res.text).toContain('wxsandboxweb00001');
});

it('answers a script with the same map as JSON', async () => {
  const res = await t.http().get('/sandbox');
  expect(res.status).toBe(200);
  expect((res.body.fakes as { mount: string }[]).map((f) => f.mount)).toEqual([
    '/sandbox/wechat',
    '/sandbox/apple',
    '/sandbox/huawei',
    '/sandbox/carrier',
    '/sandbox/qq',
    '/sandbox/alipay',
  ]);
  expect(res.body.people).toEqual(SANDBOX_PEOPLE);
  expect(res.body.adminPhones).toEqual(t.config.adminPhones);
});

it('has an index at /sandbox/wechat (a browser no longer gets 404)', async () => {
  for (const path of ['/sandbox/wechat', '/sandbox/wechat/']) {
    const page = await t.http().get(path).set('accept', BROWSER);
    expect({ path, status: page.status }).toEqual({ path, status: 200 });
    expect(page.text).toContain('Fake WeChat');
    // Links are under the mount path.
    expect(page.text).toContain('/sandbox/wechat/apps');
  }
  const json = await t.http().get('/sandbox/wechat');
  expect(json.body.apps).toEqual(expect.arrayContaining([expect.objectContaining({ appId: 'wxsandbox00000001' })]));
});

// The map must not drift from the fakes: every listed endpoint of the sandbox's side answers (an
// empty POST gets 400 for its missing fields, never 404).
const listed = [
  ...[WECHAT_FAKE, ...PROVIDER_FAKES].flatMap((fake) =>
    fake.sandbox.filter((e) => e.path !== '/reset').map((e) => ({ ...e, url: `${fake.mount}${e.path}` })),
  ),
  ...SANDBOX_TOOLS.map((e) => ({ ...e, url: e.path })),
];

it.each(listed)('$method $url answers', async ({ method, url }) => {
  const http = t.http();
  const res = await (method === 'GET' ? http.get(url) : method === 'POST' ? http.post(url).send({}) : http.delete(url));
  expect(res.status).not.toBe(404);
  expect(res.status).toBeLessThan(500);
});

it('shows the webhooks its own receiver got (WEBHOOK_URL unset), newest first, in the page and the JSON', async () => {
  const hooked = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false', WEBHOOK_SANDBOX_RECEIVER: 'true' } });
  try {
    // The receiver is this very app: the sender reaches it on its listening port.
    await hooked.app.listen(0, '127.0.0.1');
    const empty = await hooked.http().get('/sandbox').set('accept', BROWSER);
    expect(empty.text).toContain('Webhooks received');
    expect(empty.text).toContain('None yet');
    const user = await loginWithPhone(hooked, nextPhone('137'));
    const drainer = hooked.app.get(OutboxDrainer);
    while ((await drainer.runOnce()).claimed > 0);
    const page = await hooked.http().get('/sandbox').set('accept', BROWSER);
    expect(page.text).not.toContain('None yet');
    expect(page.text).toContain('<code>user.created</code>');
    expect(page.text).toContain(`{&#34;userId&#34;:&#34;${user.userId}&#34;}`);
    const json = await hooked.http().get('/sandbox');
    expect(json.body.webhooks).toEqual([
      {
        id: expect.any(String),
        type: 'user.created',
        data: { userId: user.userId },
        verified: true,
        at: expect.any(String),
      },
    ]);
  } finally {
    await hooked.close();
  }
});
