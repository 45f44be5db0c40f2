import { Clock } from '../../src/common/clock';
import { SANDBOX_WECHAT_APP, loadAppConfig } from '../../src/config/app-config';
import { Database } from '../../src/database/database.service';
import { IdentitiesService } from '../../src/identities/identities.service';
import { TokenCipher } from '../../src/common/token-cipher';
import { WechatGrantsService } from '../../src/wechat/wechat-grants.service';
import { TokenRefreshService } from '../../src/wechat/token-refresh.service';
import { RequestLoad } from '../../src/health/request-load';
import { WechatGrantsRepository } from '../../src/wechat/wechat-grants.repository';
import { WechatApiClient } from '../../src/wechat/wechat-api.client';
import { FleetCounter } from '../../src/rate-limits/fleet-counter';
import { AppConfig } from '../../src/config/app-config.service';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { startRefreshWorker } from '../../src/refresh-worker';
import { startTestApp, TestApp } from '../support/test-app';
import { startWechatWorld, WechatWorld } from '../support/wechat';

interface GrantRow {
  id: string;
  status: string;
  key_id: string;
  access_token_enc: string;
  failure_count: number;
  lease_owner: string | null;
}

/** A real grant: the person approves, the code is exchanged at the fake, the tokens are stored. */
async function makeGrants(w: WechatWorld, app: TestApp, people: string[]): Promise<void> {
  const base = w.fakeBase;
  const identities = app.app.get(IdentitiesService);
  for (const person of people) {
    const { code } = w.fake.authorize({ appid: SANDBOX_WECHAT_APP.appId, person });
    const res = await fetch(
      `${base}/sns/oauth2/access_token?appid=${SANDBOX_WECHAT_APP.appId}&secret=${SANDBOX_WECHAT_APP.secret}&code=${code}&grant_type=authorization_code`,
    );
    const body = (await res.json()) as {
      access_token: string;
      refresh_token: string;
      openid: string;
      unionid: string;
      expires_in: number;
    };
    const tokens = {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      openid: body.openid,
      unionid: body.unionid,
      expiresIn: body.expires_in,
      scope: 'snsapi_userinfo',
    };
    await app.app.get(Database).transaction(async (m) => {
      const identity = await identities.upsert(m, {
        provider: 'wechat',
        appId: SANDBOX_WECHAT_APP.appId,
        subject: body.openid,
        unionid: body.unionid,
        channel: 'app',
        profile: { nickname: person, language: 'zh_CN' },
      });
      await app.app.get(WechatGrantsService).storeGrant(m, identity.id, tokens, true);
    });
  }
}

describe('token refresh job', () => {
  let w: WechatWorld;
  let clock: Clock;
  const grants = async (app: TestApp = w.t): Promise<GrantRow[]> =>
    (await app.app.get(Database).dataSource.query('SELECT * FROM wechat_grants ORDER BY id')) as GrantRow[];
  // Both clocks move: ours decides what is due, WeChat's whether the access token expired.
  const advance = (seconds: number): void => {
    clock.advance(seconds);
    w.fake.advanceClock(seconds);
  };

  beforeEach(async () => {
    w = await startWechatWorld();
    clock = w.t.app.get(Clock);
  });

  afterEach(async () => {
    await w.close();
  });

  it('refreshes due grants: their tokens change and the profile is refreshed', async () => {
    await makeGrants(w, w.t, ['due-1', 'due-2']);
    const before = await grants();
    const job = w.t.app.get(TokenRefreshService);
    expect((await job.runOnce()).claimed).toBe(0);
    advance(7201);
    w.fake.updateProfile('due-1', { nickname: '新昵称🎉' });
    const report = await job.runOnce();
    expect(report).toEqual(expect.objectContaining({ claimed: 2, refreshed: 2, failed: 0, reauthRequired: 0 }));
    const after = await grants();
    const cipher = w.t.app.get(TokenCipher);
    for (const [i, row] of after.entries()) {
      expect(row.access_token_enc).not.toBe(before[i].access_token_enc);
      expect(cipher.decrypt(row.access_token_enc, row.key_id, `${row.id}:access`)).not.toBe(
        cipher.decrypt(before[i].access_token_enc, before[i].key_id, `${before[i].id}:access`),
      );
      expect(row.lease_owner).toBeNull();
    }
    const [identity] = (await w.t.app
      .get(Database)
      .dataSource.query("SELECT nickname FROM identities WHERE nickname = '新昵称🎉'")) as unknown[];
    expect(identity).toBeDefined();
    expect(w.fake.calls('refresh_token')).toHaveLength(2);
    expect((await job.status()).lastRunRefreshed).toBe(2);
  });

  it('marks a grant whose refresh token WeChat refuses as REAUTH_REQUIRED', async () => {
    await makeGrants(w, w.t, ['refused']);
    w.fake.resetCredentials('refused');
    advance(7201);
    const report = await w.t.app.get(TokenRefreshService).runOnce();
    expect(report.reauthRequired).toBe(1);
    expect((await grants())[0].status).toBe('reauth_required');
    expect((await w.t.app.get(TokenRefreshService).status()).reauthRequired).toBe(1);
  });

  it('retries a -1 on a later pass, after its backoff', async () => {
    await makeGrants(w, w.t, ['flaky']);
    advance(7201);
    w.fake.addFault({ endpoint: 'refresh_token', errcode: -1, times: 3 });
    const job = w.t.app.get(TokenRefreshService);
    const first = await job.runOnce();
    expect(first.failed).toBe(1);
    expect((await grants())[0]).toEqual(expect.objectContaining({ status: 'active', failure_count: 1 }));
    // Not again before the backoff ends.
    expect((await job.runOnce()).claimed).toBe(0);
    w.fake.clearFaults();
    advance(61);
    expect((await job.runOnce()).refreshed).toBe(1);
    expect((await grants())[0].failure_count).toBe(0);
  });

  it('keeps to the per-minute budget', async () => {
    await w.close();
    w = await startWechatWorld({ TOKEN_REFRESH_PER_MINUTE: '3' });
    clock = w.t.app.get(Clock);
    await makeGrants(w, w.t, ['b1', 'b2', 'b3', 'b4', 'b5']);
    advance(7201);
    const job = w.t.app.get(TokenRefreshService);
    expect((await job.runOnce()).refreshed).toBe(3);
    expect((await job.runOnce()).refreshed).toBe(0);
    expect(w.fake.calls('refresh_token')).toHaveLength(3);
    advance(61);
    expect((await job.runOnce()).refreshed).toBe(2);
    expect(w.fake.calls('refresh_token')).toHaveLength(5);
  });

  it('takes over a lease left by a killed instance once it expires', async () => {
    await makeGrants(w, w.t, ['orphan']);
    advance(7201);
    const lease = new Date(clock.nowMs() + 120_000);
    await w.t.app
      .get(Database)
      .dataSource.query("UPDATE wechat_grants SET lease_owner = 'killed-instance:x', lease_expires_at = ?", [
        lease.toISOString().replace('T', ' ').replace('Z', ''),
      ]);
    const job = w.t.app.get(TokenRefreshService);
    expect((await job.runOnce()).claimed).toBe(0);
    advance(121);
    expect((await job.runOnce()).refreshed).toBe(1);
  });

  it('two instances on one database refresh 1,000 due grants exactly once each', async () => {
    await w.close();
    w = await startWechatWorld({
      TOKEN_REFRESH_PER_MINUTE: '50000',
      TOKEN_REFRESH_BATCH: '150',
      TOKEN_REFRESH_CONCURRENCY: '8',
      // What is under test is the sharing of work, not WeChat's latency: on a loaded machine the
      // world's 400 ms timeout failed calls, a few failures opened the circuit breaker, and the rest
      // of the grants went into backoff (20 refreshed of 1,000). No call may time out here.
      WECHAT_TIMEOUT_MS: '30000',
      WECHAT_BUDGET_MS: '120000',
    });
    clock = w.t.app.get(Clock);
    await makeGrants(
      w,
      w.t,
      Array.from({ length: 1000 }, (_, i) => `many-${i}`),
    );
    // On MySQL the second instance is a second app with its own connection pool; an embedded SQLite
    // file serves one process, so there the second instance shares the first one's connection.
    const second =
      w.t.database.dialect === 'mysql'
        ? await startTestApp({ override: (c) => ({ ...w.t.config, dataDir: c.dataDir }) })
        : null;
    const a = w.t.app.get(TokenRefreshService);
    const b = second
      ? second.app.get(TokenRefreshService)
      : new TokenRefreshService(
          w.t.app.get(Database),
          w.t.app.get(WechatGrantsRepository),
          w.t.app.get(WechatApiClient),
          w.t.app.get(TokenCipher),
          w.t.app.get(FleetCounter),
          clock,
          w.t.app.get(AppConfig),
          w.t.app.get(RequestLoad),
        );
    try {
      advance(7201);
      if (second) second.app.get(Clock).advance(7201);
      w.fake.clearCalls();
      // Both instances run whole passes side by side until nothing is due; each pass claims at most a
      // batch, so at least 1000 / 150 rounds. A round where neither claims anything ends it.
      const totals = { claimed: 0, refreshed: 0, failed: 0, reauthRequired: 0 };
      for (let round = 0; round < 100; round++) {
        const reports = await Promise.all([a.runOnce(), b.runOnce()]);
        for (const report of reports) {
          totals.claimed += report.claimed;
          totals.refreshed += report.refreshed;
          totals.failed += report.failed;
          totals.reauthRequired += report.reauthRequired;
        }
        if (reports.every((report) => report.claimed === 0)) break;
      }
      expect(totals).toEqual({ claimed: 1000, refreshed: 1000, failed: 0, reauthRequired: 0 });
      const calls = w.fake.calls('refresh_token');
      expect(calls).toHaveLength(1000);
      expect(calls.filter((call) => call.result !== 'ok')).toEqual([]);
      const rows = await grants();
      expect(rows.filter((r) => r.lease_owner !== null)).toEqual([]);
      expect((await a.status()).dueWithinWindow).toBe(0);
    } finally {
      await second?.close();
    }
  }, 600_000); // 1,000 logins and refreshes on a shared 2-core machine: a bound, not a timing assertion
});

describe('token refresh job at shutdown', () => {
  it('stops claiming and leaves no lease behind', async () => {
    const w = await startWechatWorld({ TOKEN_REFRESH_CONCURRENCY: '1' });
    const clock = w.t.app.get(Clock);
    await makeGrants(w, w.t, ['s1', 's2', 's3']);
    clock.advance(7201);
    w.fake.advanceClock(7201);
    // Long enough that, however slow the machine, the first refresh is still in flight at shutdown.
    w.fake.addFault({ endpoint: 'refresh_token', delayMs: 3000, times: 3 });
    const job = w.t.app.get(TokenRefreshService);
    const leased = async () =>
      Number(
        (
          (await w.t.app
            .get(Database)
            .dataSource.query('SELECT COUNT(*) AS n FROM wechat_grants WHERE lease_owner IS NOT NULL')) as {
            n: number;
          }[]
        )[0].n,
      );
    const pass = job.runOnce();
    for (let i = 0; i < 1000 && (await leased()) < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await leased()).toBe(3);
    await job.beforeApplicationShutdown();
    const report = await pass;
    // At most the grant in flight finished; the ones still queued were given back, not refreshed.
    expect(report.claimed).toBe(3);
    expect(report.refreshed + report.failed).toBeLessThanOrEqual(1);
    const rows = (await w.t.app.get(Database).dataSource.query('SELECT lease_owner FROM wechat_grants')) as {
      lease_owner: string | null;
    }[];
    expect(rows.map((r) => r.lease_owner)).toEqual([null, null, null]);
    expect((await job.runOnce()).claimed).toBe(0);
    await w.close();
  });
});

describe('the refresh-worker process mode', () => {
  it('runs the job with no HTTP API: due grants are refreshed without anyone asking, and it stops cleanly', async () => {
    // The API instance runs without the job (TOKEN_REFRESH_ENABLED=false, as test apps do).
    const w = await startWechatWorld();
    const { config, database, dataDir } = w.t;
    let worker: Awaited<ReturnType<typeof startRefreshWorker>> | null = null;
    try {
      await makeGrants(w, w.t, ['worker-1', 'worker-2', 'worker-3']);
      // Due for real: the worker runs on the system clock, and WeChat's tokens are still valid
      // (a refresh then returns the same access token with its expiry reset).
      await w.t.app
        .get(Database)
        .sql.run('UPDATE wechat_grants SET access_expires_at = ?', [new Date(Date.now() + 60_000)]);
      await w.t.close(true);
      w.fake.clearCalls();

      worker = await startRefreshWorker(config, { logDestination: new Writable({ write: (_c, _e, done) => done() }) });
      expect((worker.getHttpServer() as Server).listening).toBe(false);
      const sql = worker.get(Database).sql;
      const stillDue = async (): Promise<number> =>
        Number(
          (
            await sql.rows<{ n: number | string }>(
              'SELECT COUNT(*) AS n FROM wechat_grants WHERE access_expires_at < ?',
              [new Date(Date.now() + 3600_000)],
            )
          )[0].n,
        );
      // Nobody calls runOnce: the worker's own loop must get there (bounded wait, not a timing check).
      for (let i = 0; i < 300 && (await stillDue()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await stillDue()).toBe(0);
      expect(w.fake.calls('refresh_token')).toHaveLength(3);
      // Idle now (nothing due). A grant that falls due is picked up within seconds, not after the
      // whole TOKEN_REFRESH_INTERVAL_SECONDS (60): bounded wait of 10 s.
      await sql.run('UPDATE wechat_grants SET access_expires_at = ? WHERE id = (SELECT MIN(id) FROM wechat_grants)', [
        new Date(Date.now() + 60_000),
      ]);
      expect(await stillDue()).toBe(1);
      for (let i = 0; i < 100 && (await stillDue()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await stillDue()).toBe(0);
      expect(w.fake.calls('refresh_token')).toHaveLength(4);
      await worker.close();
      worker = null;
      const after = await startTestApp({ reuse: { database, dataDir } });
      const owners = await after.app
        .get(Database)
        .sql.rows<{ lease_owner: string | null }>('SELECT lease_owner FROM wechat_grants');
      await after.close(true);
      expect(owners.map((r) => r.lease_owner)).toEqual([null, null, null]);
    } finally {
      await worker?.close();
      await w.fake.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses to start without WECHAT_API_BASE (the sandbox fake lives in the API process)', async () => {
    const config = loadAppConfig({ DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' }, '/tmp/wl-unused');
    await expect(startRefreshWorker(config)).rejects.toThrow(/WECHAT_API_BASE/);
  });
});
