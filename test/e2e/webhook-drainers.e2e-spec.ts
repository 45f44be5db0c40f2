import { Clock } from '../../src/common/clock';
import { AppConfig } from '../../src/config/app-config.service';
import { newWebhookSecret } from '../../src/config/areas/webhooks.config';
import { Database } from '../../src/database/database.service';
import { DrainReport, OutboxDrainer } from '../../src/outbox/outbox-drainer.service';
import { OutboxHandlers } from '../../src/outbox/outbox-handlers';
import { OutboxRepository } from '../../src/outbox/outbox.repository';
import { WebhookEvents } from '../../src/webhooks/webhook-events';
import { startTestApp, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const EVENTS = 300;
const USERS = 100;

// Two instances drain one outbox: every delivery reaches the receiver exactly once. On MySQL/MariaDB
// (npm run test:mysql) the second instance is a second app with its own connection pool on the same
// database; an embedded SQLite file serves one process, so there it is a second drainer over one app.
describe('two drainers on one outbox', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let second: TestApp | null = null;

  beforeAll(async () => {
    const url = await receiver.listen();
    t = await startTestApp({
      env: {
        SMS_CONSOLE_LOG_CODES: 'false',
        WEBHOOK_URL: url,
        WEBHOOK_SECRET: newWebhookSecret(),
        // Small batches: many claims, so that the two instances meet on the same rows.
        OUTBOX_BATCH: '20',
      },
    });
  });

  afterAll(async () => {
    await second?.close();
    await t.close();
    await receiver.close();
  });

  it(`${EVENTS} pending deliveries, both instances passing side by side: each webhook-id received exactly once`, async () => {
    // Retries aside: the receiver takes everything.
    receiver.answer = () => 200;
    const events = t.app.get(WebhookEvents);
    const database = t.app.get(Database);
    // Three events for each of 100 users (one user's events go in order), 30 to a transaction.
    for (let from = 0; from < EVENTS; from += 30) {
      await database.transaction(async (manager) => {
        for (let i = from; i < from + 30; i++) {
          await events.emit(manager, 'sessions.revoked', { userId: `drain-user-${i % USERS}`, sessionIds: [`s-${i}`] });
        }
      });
    }
    const written = (await database.dataSource.query("SELECT id FROM outbox WHERE status = 'pending'")) as {
      id: string;
    }[];
    expect(written).toHaveLength(EVENTS);

    second =
      t.database.dialect === 'mysql'
        ? await startTestApp({ override: (c) => ({ ...t.config, dataDir: c.dataDir }) })
        : null;
    const a = t.app.get(OutboxDrainer);
    const b = second
      ? second.app.get(OutboxDrainer)
      : new OutboxDrainer(
          database,
          t.app.get(OutboxRepository),
          t.app.get(OutboxHandlers),
          t.app.get(Clock),
          t.app.get(AppConfig),
        );
    const totals = { a: zero(), b: zero() };
    // Whole passes side by side until a round where neither claims anything.
    for (let round = 0; round < 200; round++) {
      const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
      add(totals.a, ra);
      add(totals.b, rb);
      if (ra.claimed === 0 && rb.claimed === 0) break;
    }

    const perId = new Map<string, number>();
    for (const receipt of receiver.receipts) perId.set(receipt.id, (perId.get(receipt.id) ?? 0) + 1);
    expect([...perId.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...perId.keys()].sort()).toEqual(written.map((r) => r.id).sort());
    expect(receiver.receipts).toHaveLength(EVENTS);
    expect(totals.a.delivered + totals.b.delivered).toBe(EVENTS);
    expect(totals.a.retried + totals.b.retried + totals.a.failed + totals.b.failed).toBe(0);
    const left = (await database.dataSource.query(
      "SELECT COUNT(*) AS n FROM outbox WHERE status <> 'delivered' OR lease_owner IS NOT NULL",
    )) as { n: unknown }[];
    expect(Number(left[0].n)).toBe(0);
    // One user's events arrived in the order they were written.
    const order = new Map<string, number[]>();
    for (const { data } of receiver.accepted()) {
      const seq = Number(String((data.sessionIds as string[])[0]).slice(2));
      order.set(String(data.userId), [...(order.get(String(data.userId)) ?? []), seq]);
    }
    for (const seqs of order.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  }, 300_000); // 300 deliveries on a shared 2-core machine: a bound, not a timing assertion
});

function zero(): DrainReport {
  return { claimed: 0, delivered: 0, retried: 0, failed: 0 };
}

function add(total: DrainReport, report: DrainReport): void {
  total.claimed += report.claimed;
  total.delivered += report.delivered;
  total.retried += report.retried;
  total.failed += report.failed;
}
