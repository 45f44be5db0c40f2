import { MIGRATIONS } from '../../src/database/migrations';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { TokenRefreshService } from '../../src/wechat/token-refresh.service';
import {
  ClusterDatabase,
  compareNodes,
  eventually,
  freshDatabase,
  Instance,
  LOAD_ENV,
  nodeUrls,
  queryNode,
  sleep,
  startFakeWechat,
  startInstance,
} from './cluster';
import { makeGrants, phoneLogin, qrLoginAcross, refreshSession, Tally, wechatFirstLogin } from './flows';

// Cross-node checks: two service instances, each on its own node of a multi-primary cluster.
// Run by `npm run test:galera` on the project's own 3-node cluster, or against any cluster with
// scripts/galera-checks.sh URL1 URL2 [URL3] (see docs/galera.md).

const LOAD_SECONDS = Number(process.env.GALERA_LOAD_SECONDS ?? 20);

describe('two instances booting at once on a fresh database', () => {
  it('record each migration once (3 trials)', async () => {
    for (let trial = 1; trial <= 3; trial++) {
      const db = await freshDatabase();
      const booted = await Promise.allSettled([startInstance(db, 0), startInstance(db, 1)]);
      try {
        expect(booted.map((b) => b.status)).toEqual(['fulfilled', 'fulfilled']);
        for (const node of [0, 1]) {
          const rows = await queryNode<{ name: string; n: number }>(
            db,
            node,
            'SELECT name, COUNT(*) AS n FROM migrations GROUP BY name',
          );
          expect(rows.map((r) => [r.name, Number(r.n)]).sort()).toEqual(MIGRATIONS.map((m) => [m.name, 1]).sort());
          // The lock row is gone: nothing holds the next boot back.
          expect(await queryNode(db, node, 'SELECT * FROM migration_lock')).toEqual([]);
        }
        for (const b of booted) {
          if (b.status === 'fulfilled') expect((await b.value.http().get('/health/ready')).status).toBe(200);
        }
      } finally {
        await Promise.all(booted.map((b) => (b.status === 'fulfilled' ? b.value.close() : undefined)));
        await db.drop();
      }
    }
  });
});

describe('the refresh job on two nodes', () => {
  it('refreshes 1,000 due grants exactly once, with no pass failing and no lease left', async () => {
    const db = await freshDatabase();
    const { fake, env } = await startFakeWechat();
    const settings = {
      ...env,
      TOKEN_REFRESH_PER_MINUTE: '50000',
      TOKEN_REFRESH_BATCH: '150',
      TOKEN_REFRESH_CONCURRENCY: '8',
    };
    const a = await startInstance(db, 0, settings);
    const b = await startInstance(db, 1, settings);
    try {
      await makeGrants(fake, a, 1000);
      for (const instance of [a, b]) instance.app.get(Clock).advance(7201);
      fake.advanceClock(7201);
      fake.clearCalls();
      const jobs = [a, b].map((i) => i.app.get(TokenRefreshService));
      let refreshed = 0;
      let failed = 0;
      let rejected = 0;
      for (let round = 0; round < 30; round++) {
        const reports = await Promise.allSettled(jobs.map((job) => job.runOnce()));
        for (const r of reports) {
          if (r.status === 'rejected') {
            rejected += 1;
            console.log(`refresh pass rejected: ${String(r.reason)}`);
          }
        }
        const values = reports.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        refreshed += values.reduce((sum, r) => sum + r.refreshed, 0);
        failed += values.reduce((sum, r) => sum + r.failed + r.reauthRequired, 0);
        if (values.length === 2 && values.every((r) => r.claimed === 0)) break;
      }
      const stats = [a, b].map((i) => i.app.get(Database).stats);
      console.log(
        `refresh on two nodes: ${refreshed} refreshed, ${failed} failed, ${rejected} passes rejected; ` +
          `transaction retries ${JSON.stringify(stats)}`,
      );
      if (failed > 0) {
        const errors = await queryNode(
          db,
          0,
          'SELECT last_error, COUNT(*) AS n FROM wechat_grants GROUP BY last_error',
        );
        console.log(`grant errors: ${JSON.stringify(errors)}`);
      }
      expect({ refreshed, failed, rejected }).toEqual({ refreshed: 1000, failed: 0, rejected: 0 });
      // Exactly once: 1,000 refresh calls reached WeChat and every grant was refreshed (none twice).
      expect(fake.calls('refresh_token')).toHaveLength(1000);
      for (const node of [0, 1]) {
        const [row] = await queryNode<{ leased: number; stale: number }>(
          db,
          node,
          `SELECT SUM(lease_owner IS NOT NULL) AS leased, SUM(last_refreshed_at IS NULL) AS stale FROM wechat_grants`,
        );
        expect({ leased: Number(row.leased), stale: Number(row.stale) }).toEqual({ leased: 0, stale: 0 });
      }
      await eventually(
        async () =>
          expect(
            await compareNodes(
              db,
              nodeUrls().map((_, i) => i),
            ),
          ).toEqual([]),
        10_000,
        500,
      );
    } finally {
      await a.close();
      await b.close();
      await fake.close();
      await db.drop();
    }
  });
});

describe(`two instances on two nodes under ${LOAD_SECONDS} s of mixed load`, () => {
  let db: ClusterDatabase;
  let instances: Instance[] = [];
  let stopFake: () => Promise<void>;

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await stopFake?.();
    await db?.drop();
  });

  it('answer no INTERNAL: phone logins, WeChat first logins, session and token refresh', async () => {
    db = await freshDatabase();
    const { fake, env } = await startFakeWechat();
    stopFake = () => fake.close();
    // Access tokens live 10 minutes, so every grant is due for the refresh job at once, all the time.
    fake.configure({ accessTokenTtlSeconds: 600 });
    const settings = { ...env, ...LOAD_ENV, TOKEN_REFRESH_WINDOW_SECONDS: '7000', TOKEN_REFRESH_CONCURRENCY: '4' };
    instances = [await startInstance(db, 0, settings), await startInstance(db, 1, settings)];
    const [a, b] = instances;
    const tally = new Tally();
    const deadline = Date.now() + LOAD_SECONDS * 1000;
    const exceptions: string[] = [];
    const virtualUser = async (n: number): Promise<void> => {
      const [x, y] = n % 2 === 0 ? [a, b] : [b, a];
      while (Date.now() < deadline) {
        try {
          switch (n % 3) {
            case 0: {
              const session = await phoneLogin(tally, x, y);
              // QR login: the page on one node, the app's scan and confirm on the other.
              if (session) await qrLoginAcross(tally, x, y, session.accessToken);
              if (session) await refreshSession(tally, x, session.refreshToken);
              break;
            }
            case 1:
              await wechatFirstLogin(tally, fake, x, y);
              break;
            default: {
              const session = await phoneLogin(tally, y, x);
              let token = session?.refreshToken ?? null;
              for (let i = 0; i < 3 && token; i++) token = await refreshSession(tally, i % 2 ? x : y, token);
            }
          }
        } catch (error) {
          exceptions.push(String(error));
        }
      }
    };
    const refreshLoop = async (instance: Instance): Promise<void> => {
      const job = instance.app.get(TokenRefreshService);
      while (Date.now() < deadline) {
        try {
          const report = await job.runOnce();
          tally.add('refreshPass', 'ok');
          refreshedGrants += report.refreshed;
          failedGrants += report.failed;
        } catch (error) {
          tally.add('refreshPass', 'rejected');
          exceptions.push(`refresh pass: ${String(error)}`);
        }
        await sleep(300);
      }
    };
    let refreshedGrants = 0;
    let failedGrants = 0;
    const started = Date.now();
    await Promise.all([...Array.from({ length: 8 }, (_, n) => virtualUser(n)), refreshLoop(a), refreshLoop(b)]);
    const seconds = (Date.now() - started) / 1000;
    const requests = tally.count((op) => !op.startsWith('refreshPass') && !op.startsWith('grant'));
    const stats = instances.map((i) => i.app.get(Database).stats);
    console.log(
      `mixed load on two nodes, ${seconds.toFixed(1)} s: ${requests} GraphQL requests ` +
        `(${(requests / seconds).toFixed(1)}/s), ${refreshedGrants} grants refreshed (${failedGrants} failed)\n` +
        `${tally.toString()}\ntransaction retries per instance: ${JSON.stringify(stats)}` +
        (exceptions.length ? `\nexceptions: ${exceptions.slice(0, 5).join('\n')}` : ''),
    );
    expect(tally.count((_, result) => result === 'INTERNAL')).toBe(0);
    expect(exceptions).toEqual([]);
    expect(tally.count((op, result) => op === 'loginWithPhone' && result === 'ok')).toBeGreaterThan(0);
    expect(tally.count((op, result) => op === 'bindPhone' && result === 'ok')).toBeGreaterThan(0);
    expect(tally.count((op, result) => op === 'refreshSession' && result === 'ok')).toBeGreaterThan(0);
    expect(tally.count((op, result) => op === 'qrLoginStatus' && result === 'ok')).toBeGreaterThan(0);
    expect(tally.count((op, result) => /qrlogin/i.test(op) && result !== 'ok')).toBe(0);
    expect(refreshedGrants).toBeGreaterThan(0);
    expect(tally.count((op, result) => op === 'refreshPass' && result === 'rejected')).toBe(0);
    // And the nodes agree on every row once the load is over (appliers may still be catching up).
    await eventually(
      async () =>
        expect(
          await compareNodes(
            db,
            nodeUrls().map((_, i) => i),
          ),
        ).toEqual([]),
      10_000,
      500,
    );
  });
});
