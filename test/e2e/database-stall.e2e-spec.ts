import type SqliteDatabase from 'better-sqlite3';
import { loadSqliteDriver } from '../../src/database/sqlite-driver';
import { Database } from '../../src/database/database.service';
import type { DatabaseSettings } from '../../src/config/app-config';
import { errorCode, sendCode, nextPhone } from '../support/flows';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

// Short bounds, so that a test which would hang on an unbounded service fails on Jest's timeout.
const BOUNDS = { DATABASE_QUERY_TIMEOUT_MS: '800', DATABASE_ACQUIRE_TIMEOUT_MS: '800', SMS_CONSOLE_LOG_CODES: 'false' };

async function eventually(check: () => Promise<void>, attempts = 100): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await check();
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function expectUnavailable(res: { body: { errors?: { extensions?: Record<string, unknown> }[] } }): void {
  expect(res.body.errors?.[0]?.extensions).toEqual(
    expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
  );
}

describe('a stalled database', () => {
  it('answers SERVICE_UNAVAILABLE instead of hanging, and recovers when the database does', async () => {
    const probe = await createTestDatabase();
    if (probe.dialect === 'sqlite') {
      await probe.drop();
      // SQLite: another process holds the write lock.
      const t = await startTestApp({ env: BOUNDS });
      const path = (t.config.database as Extract<DatabaseSettings, { type: 'sqlite' }>).path;
      // The driver this Node can load (better-sqlite3 13, or its Node 20 build).
      const Sqlite = loadSqliteDriver() as typeof SqliteDatabase;
      const other = new Sqlite(path);
      try {
        other.exec('BEGIN IMMEDIATE');
        expectUnavailable(await sendCode(t, nextPhone('135')));
        other.exec('ROLLBACK');
        expect((await sendCode(t, nextPhone('135'))).body.errors).toBeUndefined();
      } finally {
        other.close();
        await t.close();
      }
      return;
    }

    // MySQL: the app reaches the database through a proxy that the test freezes (TCP up, silence).
    const url = new URL(probe.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    url.host = `127.0.0.1:${await proxy.start()}`;
    let t: TestApp | undefined;
    try {
      t = await startTestApp({
        env: BOUNDS,
        override: (config) => ({
          ...config,
          database: {
            ...(config.database as Extract<DatabaseSettings, { type: 'mysql' }>),
            url: url.toString(),
            poolSize: 2,
          },
        }),
      });
      const app = t;
      expect((await sendCode(app, nextPhone('135'))).body.errors).toBeUndefined();
      proxy.freeze();
      // More requests than connections: some wait on a query, the others on a checkout.
      const stalled = await Promise.all(Array.from({ length: 6 }, () => sendCode(app, nextPhone('135'))));
      for (const res of stalled) expectUnavailable(res);
      expect((await app.http().get('/health/ready')).status).toBe(503);
      // Requests that need no database are not held up.
      const options = await app.gql('{ loginOptions(platform: ANDROID, wechatInstalled: true) { showWechatButton } }');
      expect(options.body.data).toEqual({ loginOptions: { showWechatButton: true } });
      proxy.thaw();
      await eventually(async () => expect((await sendCode(app, nextPhone('135'))).body.errors).toBeUndefined());
    } finally {
      await t?.close();
      await proxy.stop();
    }
  });
});

describe('a stalled database, with the default bounds', () => {
  it("answers SERVICE_UNAVAILABLE within the request's database budget (2.5 s), not after timeouts and retries add up", async () => {
    const probe = await createTestDatabase();
    if (probe.dialect === 'sqlite') {
      // The stall is simulated on MySQL only (a proxy that stops forwarding); the defaults are the same.
      await probe.drop();
      const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
      expect(t.config.database.requestBudgetMs).toBe(2500);
      await t.close();
      return;
    }
    const url = new URL(probe.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 3306));
    url.host = `127.0.0.1:${await proxy.start()}`;
    let t: TestApp | undefined;
    try {
      t = await startTestApp({
        env: { SMS_CONSOLE_LOG_CODES: 'false' },
        override: (config) => ({
          ...config,
          database: { ...(config.database as Extract<DatabaseSettings, { type: 'mysql' }>), url: url.toString() },
        }),
      });
      const app = t;
      // The defaults: each query and checkout alone may take 5 s; the request's total is 2.5 s.
      expect(app.config.database).toMatchObject({
        queryTimeoutMs: 5000,
        acquireTimeoutMs: 5000,
        requestBudgetMs: 2500,
      });
      expect((await sendCode(app, nextPhone('135'))).body.errors).toBeUndefined();
      proxy.freeze();
      const stalled = await Promise.all(Array.from({ length: 4 }, () => sendCode(app, nextPhone('135'))));
      for (const res of stalled) expectUnavailable(res);
      proxy.thaw();
      await eventually(async () => expect((await sendCode(app, nextPhone('135'))).body.errors).toBeUndefined());
    } finally {
      await t?.close();
      await proxy.stop();
    }
  });
});

describe('every connection busy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...BOUNDS, DATABASE_POOL_SIZE: '2' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('a request that gets no connection within DATABASE_ACQUIRE_TIMEOUT_MS answers SERVICE_UNAVAILABLE', async () => {
    const database = t.app.get(Database);
    // Transactions that hold every connection (MySQL's pool of 2; SQLite's one, through its queue),
    // as transactions waiting on something slow would.
    const holders = t.database.dialect === 'mysql' ? 2 : 1;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const held = Array.from({ length: holders }, () =>
      database.transaction(async (manager) => {
        await manager.query('SELECT 1');
        started += 1;
        await gate;
      }),
    );
    await eventually(async () => expect(started).toBe(holders));
    expectUnavailable(await sendCode(t, nextPhone('135')));
    release();
    await Promise.all(held);
    expect(errorCode(await sendCode(t, nextPhone('135')))).toBeUndefined();
  });
});
