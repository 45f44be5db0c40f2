import { EVENT_ENV, query } from '../support/account-events';
import { startTestApp, TestApp } from '../support/test-app';

// The Apple and Huawei receivers count deliveries per IP (PROVIDER_EVENTS_PER_IP_PER_MINUTE) before any
// signature is checked: over the limit, 429 with Retry-After and nothing stored. Each provider has its
// own count.

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { ...EVENT_ENV, PROVIDER_EVENTS_PER_IP_PER_MINUTE: '2' } });
});

afterAll(async () => {
  await t.close();
});

const rows = async (provider: string): Promise<number> =>
  (await query<{ id: string }>(t, 'SELECT id FROM provider_events WHERE provider = ?', [provider])).length;

it('Apple: the third delivery in a minute from one IP is 429 with Retry-After, and is not stored', async () => {
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (const person of ['lim-a1', 'lim-a2', 'lim-a3']) {
    const made = await t.http().post('/sandbox/apple/notification').send({ person, type: 'email-disabled' });
    const res = await t.http().post('/providers/apple/notifications').send({ payload: made.body.payload });
    statuses.push(res.status);
    retryAfter = res.headers['retry-after'] as string | undefined;
  }
  expect(statuses).toEqual([200, 200, 429]);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(await rows('apple')).toBe(2);
});

it('Huawei: counted apart from Apple, and refused the same way over its limit', async () => {
  const statuses: number[] = [];
  for (const person of ['lim-h1', 'lim-h2', 'lim-h3']) {
    const made = await t.http().post('/sandbox/huawei/event').send({ person, type: 'authorization-cancelled' });
    const request = made.body as { path: string; headers: Record<string, string>; body: string };
    statuses.push((await t.http().post(request.path).set(request.headers).send(request.body)).status);
  }
  expect(statuses).toEqual([200, 200, 429]);
  expect(await rows('huawei')).toBe(2);
});
