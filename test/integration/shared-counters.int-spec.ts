import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database.service';
import { DatabaseHitCounter } from '../../src/rate-limits/database-hit-counter';
import { CounterRule } from '../../src/rate-limits/hit-counter';
import { StatementCounter } from '../support/statement-counter';
import { openMigratedDatabase } from '../support/migrated-database';
import { TestDatabase } from '../support/test-database';

// The database counters as two instances see them (two counters on one database: each has its own
// instance id, memory and row cache). SQLite here, MariaDB under npm run test:mysql.
describe('counters shared by instances through the database', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let database: Database;
  let now = Date.UTC(2031, 0, 1);
  const clock = () => now;
  const open: DatabaseHitCounter[] = [];
  const instance = () => {
    const counter = new DatabaseHitCounter(database, clock);
    open.push(counter);
    return counter;
  };
  const count = async (sql: string): Promise<number> => {
    const [row] = (await ds.query(sql)) as { n: number | string }[];
    return Number(row.n);
  };

  beforeAll(async () => {
    ({ db, ds, database } = await openMigratedDatabase());
  });

  afterAll(async () => {
    for (const counter of open) await counter.close();
    await ds.destroy();
    await db.drop();
  });

  beforeEach(() => {
    now += 10 * 86400_000;
  });

  it('a busy budget is one budget once the instances have shared a round, and costs no statement per take', async () => {
    const a = instance();
    const b = instance();
    const ip: CounterRule = { bucket: 'sms:ip:198.51.100.7', limit: 5, windowSeconds: 3600 };
    const statements = new StatementCounter().install();
    try {
      for (let i = 0; i < 3; i++) expect((await a.take([ip], now)).taken).toBe(true);
      expect(statements.statementsOf('')).toEqual([]);
    } finally {
      statements.uninstall();
    }
    // Before a round, b knows nothing of a's hits: the approximation (one sync interval).
    expect((await b.peek([ip], now))[0].hits).toBe(0);
    await a.sync();
    await b.sync();
    expect((await b.peek([ip], now))[0].hits).toBe(3);
    expect((await b.take([ip], now)).taken).toBe(true);
    expect((await b.take([ip], now)).taken).toBe(true);
    const refused = await b.take([ip], now);
    expect(refused.taken).toBe(false);
    expect(refused.states[0]).toEqual(expect.objectContaining({ full: true, hits: 5 }));
    // a learns b's two at its next round.
    await b.sync();
    await a.sync();
    expect((await a.take([ip], now)).taken).toBe(false);
    // An hour later (plus one slot: a slot counts while any of it is inside) it has room again.
    now += 3600_000 + 60_000;
    expect((await a.take([ip], now)).taken).toBe(true);
  });

  it('a full budget tells when it reopens, and a minute rule reopens after its minute', async () => {
    const a = instance();
    const rule: CounterRule = { bucket: 'throttle:public:198.51.100.8', limit: 2, windowSeconds: 60 };
    expect((await a.take([rule], now)).taken).toBe(true);
    now += 10_000;
    expect((await a.take([rule], now)).taken).toBe(true);
    const refused = await a.take([rule], now);
    expect(refused.taken).toBe(false);
    // The first hit leaves the window 60 s after its slot: 50 s from now (slots of one second).
    expect(refused.states[0].retryAfterSeconds).toBe(51);
    now += 51_000;
    expect((await a.take([rule], now)).taken).toBe(true);
  });

  it('a phone row is exact across instances: a stale copy is corrected by its version', async () => {
    const a = instance();
    const b = instance();
    const cooldown: CounterRule = { bucket: 'sms:phone:test-1', limit: 1, windowSeconds: 60, exact: true };
    const daily: CounterRule = { bucket: 'sms:phone:test-1', limit: 3, windowSeconds: 86400, exact: true };
    expect((await a.take([cooldown, daily], now)).taken).toBe(true);
    // b never saw the row: its INSERT collides, it reads the row and refuses.
    expect((await b.take([cooldown, daily], now)).taken).toBe(false);
    now += 61_000;
    expect((await b.take([cooldown, daily], now)).taken).toBe(true);
    now += 61_000;
    // a's copy is one version behind: its write misses, it reads again and counts b's send.
    const third = await a.take([cooldown, daily], now);
    expect(third.taken).toBe(true);
    expect(third.states[1].hits).toBe(3);
    now += 61_000;
    const fourth = await b.take([cooldown, daily], now);
    expect(fourth.taken).toBe(false);
    expect(fourth.states[1]).toEqual(expect.objectContaining({ full: true }));
    expect(await count('SELECT COUNT(*) AS n FROM rate_limit_rows')).toBeGreaterThan(0);
  });

  it('twenty racing takes of one phone on two instances: exactly one passes', async () => {
    const a = instance();
    const b = instance();
    const cooldown: CounterRule = { bucket: 'sms:phone:test-race', limit: 1, windowSeconds: 60, exact: true };
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).take([cooldown], now + i).then((r) => r.taken)),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it('a take refused by a busy budget records nothing in the phone row', async () => {
    const a = instance();
    const phone: CounterRule = { bucket: 'sms:phone:test-2', limit: 1, windowSeconds: 60, exact: true };
    const global: CounterRule = { bucket: 'sms:global:test-2', limit: 1, windowSeconds: 3600 };
    expect((await a.take([phone, global], now)).taken).toBe(true);
    now += 61_000;
    const refused = await a.take([phone, global], now);
    expect(refused.taken).toBe(false);
    expect(refused.states.map((s) => s.full)).toEqual([false, true]);
    const other = { ...phone, bucket: 'sms:phone:test-3' };
    expect((await a.take([other, global], now)).taken).toBe(false);
    // Nothing was written for the refused phone.
    expect((await instance().peek([other], now))[0].hits).toBe(0);
  });

  it('expired rows are swept: the phone rows by their last hit, the shared slots by their window', async () => {
    const a = instance();
    await a.take([{ bucket: 'sms:phone:test-4', limit: 1, windowSeconds: 60, exact: true }], now);
    await a.take([{ bucket: 'sms:ip:198.51.100.9', limit: 10, windowSeconds: 60 }], now);
    await a.sync();
    const slots = await count('SELECT COUNT(*) AS n FROM rate_limit_slots');
    expect(slots).toBeGreaterThan(0);
    now += 2 * 86400_000;
    expect(await a.sweep()).toBeGreaterThan(0);
    for (let i = 0; i < 60; i++) await a.sync(); // a sweep of the slots every 60 rounds
    expect(await count('SELECT COUNT(*) AS n FROM rate_limit_slots')).toBe(0);
  });
});
