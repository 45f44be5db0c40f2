import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.service';
import type { AppConfigValues } from '../config/app-config';
import { DatabaseBudget } from '../common/database-budget';
import { runWithRequestContext } from '../common/request-context';
import { Database } from './database.service';

type Step = 'ok' | { error: Record<string, unknown>; at: 'work' | 'commit' };

/** A MySQL DataSource whose transactions fail as scripted, one step per try. */
function scripted(steps: Step[]) {
  const log: string[] = [];
  let attempt = 0;
  const dataSource = {
    options: { type: 'mysql' },
    createQueryRunner: () => {
      const step = steps[Math.min(attempt++, steps.length - 1)];
      const runner = {
        isTransactionActive: false,
        manager: {} as EntityManager,
        startTransaction: async () => {
          runner.isTransactionActive = true;
          log.push('begin');
        },
        commitTransaction: async () => {
          if (step !== 'ok' && step.at === 'commit') throw Object.assign(new Error('commit failed'), step.error);
          runner.isTransactionActive = false;
          log.push('commit');
        },
        rollbackTransaction: async () => {
          runner.isTransactionActive = false;
          log.push('rollback');
        },
        release: async () => undefined,
        // The connection the transaction holds (Database shares it with its plain SQL).
        connect: async () => ({ query: () => undefined, release: () => undefined, destroy: () => undefined }),
        query: async () => undefined,
      };
      return runner;
    },
  } as unknown as DataSource;
  const work = async (): Promise<string> => {
    const step = steps[Math.min(attempt - 1, steps.length - 1)];
    log.push('work');
    if (step !== 'ok' && step.at === 'work') throw Object.assign(new Error('work failed'), step.error);
    return 'done';
  };
  return { dataSource, work, log, attempts: () => attempt };
}

const config = (attempts: number) =>
  new AppConfig({ databaseRetry: { attempts, baseMs: 1, maxMs: 2 } } as unknown as AppConfigValues);

const DEADLOCK = { code: 'ER_LOCK_DEADLOCK', errno: 1213 };
const GONE = { code: 'PROTOCOL_CONNECTION_LOST' };

describe('Database.transaction on MySQL', () => {
  it('runs a transaction that lost a certification at commit again, whole', async () => {
    const s = scripted([{ error: DEADLOCK, at: 'commit' }, { error: DEADLOCK, at: 'work' }, 'ok']);
    const database = new Database(s.dataSource, config(5));
    await expect(database.transaction(s.work)).resolves.toBe('done');
    expect(s.log).toEqual(['begin', 'work', 'rollback', 'begin', 'work', 'rollback', 'begin', 'work', 'commit']);
    expect(database.stats).toEqual({ conflictRetries: 2, unavailableRetries: 0, exhausted: 0 });
  });

  it('gives up after DATABASE_RETRY_ATTEMPTS tries and throws the conflict', async () => {
    const s = scripted([{ error: DEADLOCK, at: 'commit' }]);
    const database = new Database(s.dataSource, config(4));
    await expect(database.transaction(s.work)).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(s.attempts()).toBe(4);
    expect(database.stats.exhausted).toBe(1);
  });

  it('tries a connection lost before COMMIT again, but never one lost during COMMIT', async () => {
    const before = scripted([{ error: GONE, at: 'work' }, 'ok']);
    await expect(new Database(before.dataSource, config(5)).transaction(before.work)).resolves.toBe('done');
    expect(before.attempts()).toBe(2);

    const during = scripted([{ error: GONE, at: 'commit' }, 'ok']);
    await expect(new Database(during.dataSource, config(5)).transaction(during.work)).rejects.toMatchObject({
      code: 'PROTOCOL_CONNECTION_LOST',
    });
    expect(during.attempts()).toBe(1);
  });

  it('never retries other errors', async () => {
    const s = scripted([{ error: { code: 'ER_DUP_ENTRY', errno: 1062 }, at: 'work' }, 'ok']);
    await expect(new Database(s.dataSource, config(5)).transaction(s.work)).rejects.toMatchObject({
      code: 'ER_DUP_ENTRY',
    });
    expect(s.attempts()).toBe(1);
  });

  it('waits a jittered, exponentially growing, capped backoff', () => {
    const database = new Database(
      scripted(['ok']).dataSource,
      new AppConfig({
        databaseRetry: { attempts: 10, baseMs: 10, maxMs: 500 },
      } as unknown as AppConfigValues),
    );
    for (let i = 0; i < 50; i++) {
      expect(database.backoffMs(1)).toBeLessThanOrEqual(10);
      expect(database.backoffMs(4)).toBeLessThanOrEqual(80);
      expect(database.backoffMs(12)).toBeLessThanOrEqual(500);
    }
  });
});

describe("Database.transaction within a request's database budget", () => {
  /** The scripted DataSource, each try taking `tryMs` on a clock the test owns. */
  function timed(steps: Step[], tryMs: number) {
    const s = scripted(steps);
    let nowMs = 0;
    const work = async (): Promise<string> => {
      nowMs += tryMs;
      return s.work();
    };
    return { ...s, work, clock: () => nowMs };
  }
  const inRequest = <T>(budget: DatabaseBudget, fn: () => Promise<T>): Promise<T> =>
    runWithRequestContext({ requestId: 'budget-spec', databaseBudget: budget }, fn);

  it('stops retrying conflicts once the deadline passes, though attempts remain', async () => {
    const s = timed([{ error: DEADLOCK, at: 'work' }], 1000);
    const budget = new DatabaseBudget(2500, s.clock);
    const database = new Database(s.dataSource, config(10));
    await expect(inRequest(budget, () => database.transaction(s.work))).rejects.toMatchObject({
      code: 'ER_LOCK_DEADLOCK',
    });
    // 1000 ms a try: after the third, the budget of 2500 ms is spent.
    expect(s.attempts()).toBe(3);
    expect(budget.remainingMs()).toBeLessThanOrEqual(0);
  });

  it('does not retry a lost connection when the budget has no room left', async () => {
    const s = timed([{ error: GONE, at: 'work' }, 'ok'], 2600);
    const budget = new DatabaseBudget(2500, s.clock);
    await expect(
      inRequest(budget, () => new Database(s.dataSource, config(10)).transaction(s.work)),
    ).rejects.toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    expect(s.attempts()).toBe(1);
  });

  it('refuses to start once the budget is spent: database unavailable, nothing run', async () => {
    const s = timed(['ok'], 0);
    const database = new Database(s.dataSource, config(10));
    const spent = new DatabaseBudget(0, s.clock);
    await expect(inRequest(spent, () => database.transaction(s.work))).rejects.toMatchObject({
      code: 'DATABASE_TIMEOUT',
    });
    expect(s.attempts()).toBe(0);
  });

  it('retries as before while the budget has room', async () => {
    const s = timed([{ error: DEADLOCK, at: 'work' }, { error: DEADLOCK, at: 'work' }, 'ok'], 100);
    const budget = new DatabaseBudget(2500, s.clock);
    await expect(inRequest(budget, () => new Database(s.dataSource, config(10)).transaction(s.work))).resolves.toBe(
      'done',
    );
    expect(s.attempts()).toBe(3);
    expect(budget.remainingMs()).toBe(2200);
  });
});

describe('DatabaseBudget', () => {
  it('charges overlapping waits once, and only while one runs', () => {
    let nowMs = 0;
    const budget = new DatabaseBudget(1000, () => nowMs);
    const a = budget.begin();
    nowMs += 100;
    const b = budget.begin();
    nowMs += 100;
    a();
    nowMs += 100;
    b();
    b();
    nowMs += 500; // not waiting on the database: not charged
    expect(budget.remainingMs()).toBe(700);
  });
});
