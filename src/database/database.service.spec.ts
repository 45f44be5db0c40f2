import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.service';
import type { AppConfigValues } from '../config/app-config';
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
