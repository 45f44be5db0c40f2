import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database.service';
import { CountersRepository } from '../../src/rate-limits/counters.repository';
import { FleetCounter } from '../../src/rate-limits/fleet-counter';
import { RefreshBudget } from '../../src/wechat/token-refresh/refresh-budget';
import { StatementCounter } from '../support/statement-counter';
import { openMigratedDatabase } from '../support/migrated-database';
import { TestDatabase } from '../support/test-database';

// The WeChat refresh budget (TOKEN_REFRESH_PER_MINUTE) on the fleet counters, as instances see it:
// each instance is its own FleetCounter (own instance id and memory) with its own RefreshBudget, all
// on one database. SQLite here, MariaDB under npm run test:mysql. The documented bound
// (refresh-budget.ts): a minute's draws stay within the budget + one draw of each other instance
// (what may be in flight when an instance reads), and within the budget when draws do not overlap.
describe('the refresh budget shared by instances', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let database: Database;
  // Installed before the pool opens: on MySQL each pooled connection keeps the query method it had
  // when first checked out (query-bounds.ts), so a counter installed later sees nothing there.
  let statements: StatementCounter;
  let now = Date.UTC(2031, 0, 1);
  const PER_MINUTE = 100;

  const instance = () => {
    const fleet = new FleetCounter(new CountersRepository(database), () => now);
    return { fleet, budget: new RefreshBudget(fleet, PER_MINUTE) };
  };
  const draw = (budget: RefreshBudget, want: number) => budget.take(want, new Date(now));

  beforeAll(async () => {
    statements = new StatementCounter().install();
    ({ db, ds, database } = await openMigratedDatabase());
  });

  afterAll(async () => {
    statements.uninstall();
    await ds.destroy();
    await db.drop();
  });

  beforeEach(async () => {
    now += 86400_000;
    // Each test's instances start on an empty table (the budget's bucket is the same in every test).
    await ds.query('DELETE FROM rate_limit_slots');
  });

  it('draws one after another on two instances: exactly the budget, then nothing until the minute slides', async () => {
    const a = instance();
    const b = instance();
    await a.fleet.sync();
    await b.fleet.sync();
    expect(await draw(a.budget, 60)).toBe(60);
    expect(await draw(b.budget, 60)).toBe(40);
    expect(await draw(a.budget, 10)).toBe(0);
    expect(await draw(b.budget, 1)).toBe(0);
    // A third instance that never shared a round sees the whole minute at its first draw.
    expect(await draw(instance().budget, 5)).toBe(0);
    now += 30_000;
    expect(await draw(a.budget, 10)).toBe(0);
    // A minute and a slot (1 s) later, the budget is whole again, and it is one budget.
    now += 31_000;
    expect(await draw(b.budget, 150)).toBe(100);
    expect(await draw(a.budget, 1)).toBe(0);
  });

  it('a draw costs two statements: the read of the others and the write of its count', async () => {
    const a = instance();
    await a.fleet.sync();
    const before = statements.statementsOf('').length;
    expect(await draw(a.budget, 10)).toBe(10);
    const sent = statements.statementsOf('').slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^SELECT .* FROM rate_limit_slots/);
    expect(sent[1]).toMatch(/^INSERT INTO rate_limit_slots/);
  });

  it('overlapping draws: over by at most the other instance’s draw in flight, then nothing for both', async () => {
    const a = instance();
    const b = instance();
    await a.fleet.sync();
    await b.fleet.sync();
    expect(await draw(a.budget, 50)).toBe(50);
    // Both read before either wrote: each misses the other's draw.
    const [x, y] = await Promise.all([draw(a.budget, 40), draw(b.budget, 40)]);
    const total = 50 + x + y;
    expect(x).toBeGreaterThan(0);
    expect(y).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(PER_MINUTE);
    expect(total).toBeLessThanOrEqual(PER_MINUTE + 40);
    // Their counts are written: neither draws again this minute.
    expect(await draw(a.budget, 1)).toBe(0);
    expect(await draw(b.budget, 1)).toBe(0);
  });

  it('two instances drawing passes side by side for a minute stay within the budget plus one pass', async () => {
    const BATCH = 15;
    const a = instance();
    const b = instance();
    await a.fleet.sync();
    await b.fleet.sync();
    const start = now;
    const drawn = { a: 0, b: 0 };
    // Each instance draws one pass at a time (as TokenRefreshService does), the two concurrently;
    // the minute ends when neither gets anything.
    const run = async (name: 'a' | 'b', budget: RefreshBudget): Promise<void> => {
      for (let pass = 0; pass < 100; pass++) {
        const got = await draw(budget, 1 + ((pass * 7) % BATCH));
        if (got === 0) return;
        drawn[name] += got;
      }
    };
    await Promise.all([run('a', a.budget), run('b', b.budget)]);
    expect(now).toBe(start);
    expect(drawn.a).toBeGreaterThan(0);
    expect(drawn.b).toBeGreaterThan(0);
    expect(drawn.a + drawn.b).toBeGreaterThanOrEqual(PER_MINUTE);
    expect(drawn.a + drawn.b).toBeLessThanOrEqual(PER_MINUTE + BATCH);
  });

  it('draws nothing when its round with the others fails', async () => {
    const counters = new CountersRepository(database);
    jest.spyOn(counters, 'findOthersSlots').mockRejectedValueOnce(new Error('connection lost'));
    const fleet = new FleetCounter(counters, () => now);
    const budget = new RefreshBudget(fleet, PER_MINUTE);
    expect(await draw(budget, 10)).toBe(0);
    expect(await draw(budget, 10)).toBe(10);
  });
});
