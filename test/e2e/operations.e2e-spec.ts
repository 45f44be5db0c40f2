import { DatabaseHitCounter } from '../../src/rate-limits/database-hit-counter';
import { HitCounter } from '../../src/rate-limits/hit-counter';
import { Clock } from '../../src/common/clock';
import { Database } from '../../src/database/database.service';
import { HousekeepingService } from '../../src/database/housekeeping.service';
import { bearer, errorCode, loginWithPhone, ME, nextPhone } from '../support/flows';
import { startTestApp, TestApp } from '../support/test-app';
import { authorizeOnPhone, startWechatWorld, wechatLogin, WechatWorld } from '../support/wechat';

describe('metrics', () => {
  let w: WechatWorld;

  beforeAll(async () => {
    w = await startWechatWorld();
  });

  afterAll(async () => {
    await w.close();
  });

  it('exposes logins, WeChat calls with latency, SMS sends, refresh outcomes and circuit state', async () => {
    await loginWithPhone(w.t, nextPhone('139'));
    const auth = await authorizeOnPhone(w, { person: 'measured' });
    await wechatLogin(w, { code: auth.code, state: auth.state });
    const failed = await authorizeOnPhone(w, { person: 'measured-fail' });
    w.fake.addFault({ endpoint: 'access_token', errcode: 45011, times: 1 });
    await wechatLogin(w, { code: failed.code, state: failed.state });

    const res = await w.t.http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.text;
    expect(text).toMatch(/wechat_login_logins_total\{method="PHONE",outcome="success"\} 1/);
    expect(text).toMatch(/wechat_login_logins_total\{method="WECHAT",outcome="WECHAT_RATE_LIMITED"\} 1/);
    expect(text).toMatch(/wechat_login_wechat_calls_total\{endpoint="access_token",outcome="ok"\} 1/);
    expect(text).toMatch(/wechat_login_wechat_calls_total\{endpoint="access_token",outcome="errcode_45011"\} 1/);
    expect(text).toMatch(/wechat_login_wechat_call_duration_seconds_count\{endpoint="userinfo"\} 1/);
    expect(text).toMatch(/wechat_login_sms_sends_total\{purpose="LOGIN",outcome="sent"\} 1/);
    expect(text).toMatch(/wechat_login_wechat_circuit_open\{app_id="wxsandbox00000001"\} 0/);
    expect(text).toContain('wechat_login_token_refresh_total');
    expect(text).toContain('wechat_login_process_cpu_seconds_total');
  });

  it('logs the GraphQL operation name of each request, never its variables', () => {
    const line = w.t.logs.find((l) => l.includes('"operation":"Login"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('smsCode');
  });

  it('can require a token', async () => {
    const t = await startTestApp({ env: { METRICS_TOKEN: 'scrape-secret-123' } });
    try {
      expect((await t.http().get('/metrics')).status).toBe(401);
      expect((await t.http().get('/metrics').set('authorization', 'Bearer wrong-secret-12')).status).toBe(401);
      expect((await t.http().get('/metrics').set('authorization', 'Bearer scrape-secret-123')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('sandbox clock', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('moves the service clock and the fake WeChat clock together', async () => {
    const user = await loginWithPhone(t, nextPhone('139'));
    const before = t.app.get(Clock).nowMs();
    const res = await t.http().post('/sandbox/clock').send({ advanceSeconds: 3600 });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.now) - before).toBeGreaterThanOrEqual(3600 * 1000);
    expect(Math.abs(Date.parse(res.body.wechatNow) - Date.parse(res.body.now))).toBeLessThan(5000);
    // Access tokens (15 minutes) have expired on the service's clock.
    expect(errorCode(await t.gql(ME, undefined, bearer(user.accessToken)))).toBe('UNAUTHENTICATED');
    expect((await t.http().post('/sandbox/clock').send({ advanceSeconds: -1 })).status).toBe(400);
  });

  it('does not exist in production', async () => {
    const prod = await startTestApp({ override: (c) => ({ ...c, mode: 'production' }) });
    try {
      expect((await prod.http().post('/sandbox/clock').send({ advanceSeconds: 1 })).status).toBe(404);
      expect((await prod.http().get('/sandbox/sms/outbox')).status).toBe(404);
      expect((await prod.http().get('/sandbox')).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

describe('playground page', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves GraphiQL and its assets from this server, for browsers only', async () => {
    const page = await t.http().get('/graphql').set('accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="graphiql">');
    expect(page.text).not.toMatch(/https?:\/\//);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css', 'playground.js']) {
      const res = await t.http().get(`/playground/${asset}`);
      expect({ asset, status: res.status, length: (res.text ?? '').length > 100 }).toEqual({
        asset,
        status: 200,
        length: true,
      });
    }
    expect((await t.http().get('/playground/unknown.js')).status).toBe(404);
    // A GraphQL GET without the browser's Accept still meets Apollo (and its CSRF prevention).
    expect((await t.http().get('/graphql').set('accept', 'application/json')).status).toBe(400);
  });

  it('pre-fills the sandbox admin phone for the sign-in, and no phone in production', async () => {
    const page = await t.http().get('/graphql').set('accept', 'text/html');
    expect(page.text).toContain('<meta name="wechat-login-mode" content="sandbox">');
    expect(page.text).toContain('<meta name="wechat-login-admin-phone" content="+8613800000000">');
    const prod = await startTestApp({
      env: { ADMIN_PHONES: '+8613900139000' },
      override: (config) => ({ ...config, mode: 'production' }),
    });
    try {
      const prodPage = await prod.http().get('/graphql').set('accept', 'text/html');
      expect(prodPage.text).toContain('<meta name="wechat-login-mode" content="production">');
      expect(prodPage.text).toContain('<meta name="wechat-login-admin-phone" content="">');
      expect(prodPage.text).not.toContain('+8613900139000');
    } finally {
      await prod.close();
    }
  });
});

describe('housekeeping', () => {
  it('deletes expired states, codes, tickets and closed limit windows, and keeps live ones', async () => {
    const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    try {
      const old = nextPhone('139');
      await loginWithPhone(t, old);
      await t.gql('mutation { startWechatLogin(deviceId: "d") { state } }');
      const ds = t.app.get(Database).dataSource;
      // A refresh-budget row an instance of the previous release wrote (this release draws the budget
      // from the fleet counters).
      const clock = t.app.get(Clock);
      await t.app
        .get(Database)
        .sql.run('INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, ?)', [
          'wechat:refresh-budget:3',
          clock.now(),
          12,
        ]);
      clock.advance(3 * 24 * 3600);
      const fresh = nextPhone('139');
      await loginWithPhone(t, fresh);
      const deleted = await t.app.get(HousekeepingService).sweep();
      expect(deleted).toEqual(expect.objectContaining({ login_states: 1, sms_codes: 1, rate_limits: 1 }));
      expect(Object.keys(deleted)).not.toContain('rate_limit_hits');
      // The counters sweep their own rows: the old phone's is gone, the fresh one's kept.
      expect(await (t.app.get(HitCounter) as DatabaseHitCounter).sweep()).toBe(1);
      const rows = (await ds.query('SELECT expires_ms FROM rate_limit_rows')) as { expires_ms: string }[];
      expect(rows).toHaveLength(1);
      expect(Number(rows[0].expires_ms)).toBeGreaterThan(clock.nowMs());
      const phones = (await ds.query('SELECT phone FROM sms_codes')) as { phone: string }[];
      expect(phones.map((p) => p.phone)).toEqual([fresh]);
      // Users and sessions are not housekeeping's business.
      expect(Number(((await ds.query('SELECT COUNT(*) AS n FROM users')) as { n: number }[])[0].n)).toBe(2);
      expect(Number(((await ds.query('SELECT COUNT(*) AS n FROM sessions')) as { n: number }[])[0].n)).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('goes on past a table that fails (one a newer release dropped during a rolling upgrade)', async () => {
    const t = await startTestApp({ env: { SMS_CONSOLE_LOG_CODES: 'false' } });
    try {
      await loginWithPhone(t, nextPhone('139'));
      const ds = t.app.get(Database).dataSource;
      await ds.query('DROP TABLE rate_limits');
      t.app.get(Clock).advance(3 * 24 * 3600);
      const deleted = await t.app.get(HousekeepingService).sweep();
      // Swept before the missing table and after it (qr_logins and outbox come later).
      expect(deleted).toEqual(expect.objectContaining({ login_states: 0, sms_codes: 1, qr_logins: 0, outbox: 0 }));
      expect(Object.keys(deleted)).not.toContain('rate_limits');
      expect(t.logs.filter((line) => line.includes('housekeeping of rate_limits failed'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
