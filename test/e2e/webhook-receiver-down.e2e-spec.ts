import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../../src/common/clock';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { Database } from '../../src/database/database.service';
import { CIRCUIT_HALF_OPEN_AFTER_MS } from '../../src/outbound/outbound-policies';
import { OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { WebhookEvents } from '../../src/webhooks/webhook-events';
import { startTestApp, TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { WebhookReceiver } from '../support/webhook-receiver';

const EVENTS = 24;
const USERS = 6;
const STEP_SECONDS = 60;
// The production schedule, written out: the sandbox's own (2,5,15,60,300 s) gives up after about six
// minutes, so that a newcomer sees a failed delivery soon; production keeps trying for 27.6 hours.
const PRODUCTION_SCHEDULE = '5,300,1800,7200,18000,36000,36000';

// An app backend that is down for an hour, on the injected clock: first answering 503, then not
// accepting connections at all. The drainer makes its passes all along; when the backend is back,
// every event arrives, once each, under the webhook-id it had from the start.
describe('a webhook receiver down for an hour', () => {
  const receiver = new WebhookReceiver();
  let proxy: TcpProxy;
  let t: TestApp;

  const query = <T>(sql: string): Promise<T[]> => t.app.get(Database).dataSource.query(sql) as Promise<T[]>;

  async function pass(): Promise<void> {
    const drainer = t.app.get(OutboxDrainer);
    while ((await drainer.runOnce()).claimed > 0);
  }

  /** The clock moves `seconds` in steps of a minute, the drainer passing after each. */
  async function elapse(seconds: number, until?: () => Promise<boolean>): Promise<void> {
    for (let gone = 0; gone < seconds; gone += STEP_SECONDS) {
      t.app.get(Clock).advance(STEP_SECONDS);
      await pass();
      if (until && (await until())) return;
    }
  }

  beforeAll(async () => {
    const url = new URL(await receiver.listen());
    proxy = new TcpProxy('127.0.0.1', Number(url.port));
    const port = await proxy.start();
    t = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        WEBHOOK_URL: `http://127.0.0.1:${port}${url.pathname}`,
        WEBHOOK_SECRET: newWebhookSecret(),
        OUTBOX_RETRY_SCHEDULE: PRODUCTION_SCHEDULE,
      },
    });
  });

  afterAll(async () => {
    await t.close();
    await proxy.stop();
    await receiver.close();
  });

  it(`${EVENTS} events: none lost, none delivered twice, each user's in order`, async () => {
    const events = t.app.get(WebhookEvents);
    await t.app.get(Database).transaction(async (manager) => {
      for (let i = 0; i < EVENTS; i++) {
        await events.emit(manager, 'sessions.revoked', { userId: `down-user-${i % USERS}`, sessionIds: [`s-${i}`] });
      }
    });
    const written = await query<{ id: string }>("SELECT id FROM outbox WHERE kind = 'webhook'");
    expect(written).toHaveLength(EVENTS);

    // The first half hour: the backend answers 503 to everything.
    receiver.answer = () => 503;
    await pass();
    await elapse(30 * 60);
    const refused = receiver.receipts.length;
    expect(refused).toBeGreaterThan(0);
    expect(receiver.receipts.every((r) => r.status === 503)).toBe(true);

    // The second half hour: nothing listens (every connection dropped).
    proxy.cutOff();
    await elapse(30 * 60);
    expect(receiver.receipts).toHaveLength(refused);

    // An hour on: nothing delivered, nothing given up, every message tried more than once.
    const held = await query<{ status: string; attempts: number }>(
      "SELECT status, attempts FROM outbox WHERE kind = 'webhook'",
    );
    expect(held).toHaveLength(EVENTS);
    expect(held.every((row) => row.status === 'pending')).toBe(true);
    expect(Math.min(...held.map((row) => Number(row.attempts)))).toBeGreaterThan(1);

    // The backend is back; the drainer keeps its schedule (the next try comes up to two hours later).
    proxy.restore();
    receiver.answer = () => 200;
    // The endpoint's breaker (cockatiel, opened by the dropped connections) half-opens on the wall
    // clock, the one part of the path the injected clock does not move: let its 10 s go by for real.
    await sleep(CIRCUIT_HALF_OPEN_AFTER_MS + 500);
    const allDelivered = async () =>
      (await query<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'webhook' AND status <> 'delivered'"))
        .map((row) => Number(row.n))
        .every((n) => n === 0);
    await elapse(4 * 60 * 60, allDelivered);
    expect(await allDelivered()).toBe(true);

    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(EVENTS);
    expect(new Set(accepted.map((e) => e.id)).size).toBe(EVENTS);
    // webhook-id is the outbox message's id: exactly the messages written, each once.
    expect(new Set(accepted.map((e) => e.id))).toEqual(new Set(written.map((row) => row.id)));
    // The webhook-id of each refused try is one that was delivered later: stable across retries.
    const deliveredIds = new Set(accepted.map((e) => e.id));
    expect(receiver.receipts.filter((r) => r.status === 503).every((r) => deliveredIds.has(r.id))).toBe(true);
    // One user's events arrive in the order they were made.
    for (let u = 0; u < USERS; u++) {
      const mine = accepted
        .filter((e) => e.data.userId === `down-user-${u}`)
        .map((e) => (e.data.sessionIds as string[])[0]);
      const made = Array.from({ length: EVENTS / USERS }, (_, k) => `s-${u + k * USERS}`);
      expect(mine).toEqual(made);
    }
  });
});
