// The WeChat token refresh job against a backlog: how long one instance with the defaults takes to
// clear N due grants, what the documented high-throughput settings reach per refresh-worker (one and
// two workers), and what the job costs returning WeChat logins (p99 with the job idle vs running).
//   npm run build && npm run bench:refresh-job -- [--grants 20000] [--seconds 15] [--concurrency 32]
// Needs MariaDB at 127.0.0.1:3306 (root, no password) and openssl. Creates a database
// bench_refresh_job_* and drops it at the end. Starts, each in its own process group, the standalone
// fake WeChat, an HTTPS front for it (production mode accepts only https), the service in production
// mode and refresh workers; stops only those groups, at the end, on error and on Ctrl-C. Every phase is
// bounded in time. Figures are indicative: client, service, fake and database share the machine.
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const PROJECT = resolve(new URL('..', import.meta.url).pathname);
const { values: a } = parseArgs({
  options: {
    grants: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '32' },
    'clear-limit-seconds': { type: 'string', default: '900' },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const GRANTS = Number(a.grants);
const SECONDS = Number(a.seconds);
const C = Number(a.concurrency);
const CLEAR_LIMIT_MS = Number(a['clear-limit-seconds']) * 1000;
// The documented high-throughput settings of a refresh-worker (docs/decisions.md, .env.example).
const WORKER_ENV = {
  TOKEN_REFRESH_CONCURRENCY: '64',
  TOKEN_REFRESH_BATCH: '1000',
  TOKEN_REFRESH_PER_MINUTE: '50000',
  TOKEN_REFRESH_MAX_LAG_MS: '0',
};

const T0 = Date.now();
const log = (...m) => console.error(`[${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s]`, ...m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), 'bench-refresh-job-'));
const DB = `bench_refresh_job_${process.pid}_${Date.now().toString(36)}`;

// ---- processes, each in its own group, stopped through that group only ---------------------------
const children = new Set();
let cleaning = null;
let interrupted = false;
function startGroup(name, args, env) {
  if (cleaning) throw new Error('stopping: nothing more is started');
  const fd = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, args, { cwd: PROJECT, env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.label = name;
  child.ended = false;
  children.add(child);
  child.once('close', () => {
    child.ended = true;
    children.delete(child);
  });
  return child;
}
async function stopGroup(child, ms = 10_000) {
  if (!child || child.ended) return;
  const gone = new Promise((r) => child.once('close', r));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }, ms);
  await gone;
  clearTimeout(t);
}
const tail = (name) => {
  try {
    return readFileSync(join(work, `${name}.log`), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
};
const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
async function waitHttp(url, child, timeoutMs = 60_000) {
  const t0 = Date.now();
  for (;;) {
    if (child.ended) throw new Error(`${child.label} exited (${child.exitCode}):\n${tail(child.label)}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return Date.now() - t0;
    } catch {}
    if (Date.now() - t0 > timeoutMs) throw new Error(`${child.label} not ready at ${url}:\n${tail(child.label)}`);
    await sleep(100);
  }
}
async function waitTcp(port, child, timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    if (child.ended) throw new Error(`${child.label} exited:\n${tail(child.label)}`);
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${child.label} not listening on ${port}`);
    await sleep(100);
  }
}
function runToEnd(name, args, env, timeoutMs = 120_000) {
  const child = startGroup(name, args, env);
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      void stopGroup(child);
      rej(new Error(`${name} did not finish`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(t);
      if (code === 0) res();
      else rej(new Error(`${name} failed (${code}):\n${tail(name)}`));
    });
  });
}

let root;
const stack = {};
async function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stopGroup(c)));
    if (root) {
      await root.query(`DROP DATABASE IF EXISTS \`${DB}\``).catch(() => {});
      await root.end().catch(() => {});
    }
    if (!a['keep-logs']) rmSync(work, { recursive: true, force: true });
    else log(`logs kept in ${work}`);
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted = true;
    log(`${sig}: stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---- HTTP client (keep-alive, 127.0.0.1 only) ------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function request(base, method, path, body, headers = {}) {
  const url = new URL(path, base);
  if (url.hostname !== '127.0.0.1') throw new Error('127.0.0.1 only');
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolveReq, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: url.port,
        method,
        path: url.pathname + url.search,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length, ...headers } : headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolveReq({ status: res.statusCode, body: JSON.parse(text) });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 120)}`));
          }
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data ?? undefined);
  });
}
async function pool(n, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

// ---- seeding: grants WeChat (the fake) knows, stored the way the service stores them -----------------
function seal(aesKey, plaintext, context) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}
async function seedGrants(db, fakeUrl, app, aesKey) {
  const rows = [];
  await pool(GRANTS, 32, async (i) => {
    const person = `refresh-bench-${i}`;
    const { body: auth } = await request(fakeUrl, 'POST', '/authorize', { appid: app.id, state: `s${i}`, person });
    if (!auth?.code) throw new Error(`authorize: ${JSON.stringify(auth).slice(0, 120)}`);
    const { body: t } = await request(
      fakeUrl,
      'GET',
      `/sns/oauth2/access_token?appid=${app.id}&secret=${app.secret}&code=${auth.code}&grant_type=authorization_code`,
    );
    if (!t?.refresh_token) throw new Error(`access_token: ${JSON.stringify(t).slice(0, 120)}`);
    rows.push({ person, t });
  });
  const now = new Date();
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    const identities = [];
    const grants = [];
    for (const { person, t } of part) {
      const identityId = randomUUID();
      const grantId = randomUUID();
      identities.push([identityId, 'wechat', app.id, t.openid, t.unionid ?? null, 'app', null, person, null, now, now]);
      grants.push([
        grantId,
        identityId,
        seal(aesKey, t.access_token, `${grantId}:access`),
        seal(aesKey, t.refresh_token, `${grantId}:refresh`),
        'k1',
        'snsapi_userinfo',
        now,
        new Date(now.getTime() + 30 * 86_400_000),
        'active',
        'auto',
        0,
        SEEDED_AT,
        now,
      ]);
    }
    await db.query(
      'INSERT INTO identities (id, provider, app_id, subject, unionid, channel, user_id, nickname, avatar_url, created_at, updated_at) VALUES ?',
      [identities],
    );
    await db.query(
      'INSERT INTO wechat_grants (id, identity_id, access_token_enc, refresh_token_enc, key_id, scope, access_expires_at,' +
        ' refresh_expires_at, status, refresh_mode, failure_count, created_at, updated_at) VALUES ?',
      [grants],
    );
  }
}

// Every seeded grant due again (its access token expires in a minute), counters of earlier phases gone.
async function makeDue(db) {
  await db.query(
    `UPDATE wechat_grants SET access_expires_at = ?, last_refreshed_at = NULL, failure_count = 0, next_attempt_at = NULL WHERE ${SEEDED}`,
    [new Date(Date.now() + 60_000)],
  );
  await db.query("DELETE FROM rate_limits WHERE bucket LIKE 'wechat:refresh-budget%'");
}
// Seeded grants carry this created_at, so that the logins' own grants stay out of the figures.
const SEEDED_AT = new Date('2001-01-01T00:00:00Z');
const SEEDED = "created_at < '2002-01-01'";
const DUE_SQL =
  `SELECT COUNT(*) AS n FROM wechat_grants WHERE status = 'active' AND access_expires_at <= ? AND refresh_mode = 'auto' AND ${SEEDED}`;
async function dueCount(db) {
  const [[r]] = await db.query(DUE_SQL, [new Date(Date.now() + 1800_000)]);
  return Number(r.n);
}
async function refreshedStats(db) {
  const [[r]] = await db.query(
    `SELECT COUNT(*) AS n, MIN(last_refreshed_at) AS first, MAX(last_refreshed_at) AS last FROM wechat_grants WHERE last_refreshed_at IS NOT NULL AND ${SEEDED}`,
  );
  return { n: Number(r.n), first: r.first ? new Date(r.first) : null, last: r.last ? new Date(r.last) : null };
}
// CPU time of a process (utime + stime, ms), to see which process limits the rate.
const HZ = 100;
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
  } catch {
    return NaN;
  }
}
const mariadbPid = () => {
  try {
    return Number(execFileSync('pidof', ['mariadbd'], { encoding: 'utf8' }).trim().split(/\s+/)[0]) || null;
  } catch {
    return null;
  }
};
// Waits until nothing is due (bounded); the rate from the grants' own last_refreshed_at.
async function clearBacklog(db, label, refreshers) {
  const watched = { refresher: refreshers.map((c) => c.pid), fake: [stack.fake.pid], tlsFront: [stack.front.pid], mariadb: [mariadbPid()].filter(Boolean) };
  const cpu0 = Object.fromEntries(Object.entries(watched).map(([k, pids]) => [k, pids.reduce((n, pid) => n + cpuMs(pid), 0)]));
  const t0 = Date.now();
  let due = await dueCount(db);
  while (due > 0 && Date.now() - t0 < CLEAR_LIMIT_MS && !cleaning) {
    await sleep(1000);
    due = await dueCount(db);
  }
  const s = await refreshedStats(db);
  const spanS = s.first && s.last ? (s.last - s.first) / 1000 : NaN;
  const result = {
    step: 'clear',
    label,
    grants: GRANTS,
    refreshed: s.n,
    leftDue: due,
    seconds: +spanS.toFixed(1),
    grantsPerSecond: +(s.n / spanS).toFixed(1),
    wallSeconds: +((Date.now() - t0) / 1000).toFixed(1),
    // CPU ms per grant refreshed, per process (the shared server's other clients count in mariadb).
    cpuMsPerGrant: Object.fromEntries(
      Object.entries(watched).map(([k, pids]) => [k, +((pids.reduce((n, pid) => n + cpuMs(pid), 0) - cpu0[k]) / s.n).toFixed(2)]),
    ),
  };
  console.log(JSON.stringify(result));
  return result;
}

// ---- login load: returning WeChat logins (start + authorize at the fake + wechatLogin) --------------
const START = 'mutation StartWechatLogin($deviceId: String) { startWechatLogin(deviceId: $deviceId) { appId state } }';
const LOGIN =
  'mutation WechatLogin($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind session { accessToken } } }';
async function gql(target, operationName, query, variables) {
  const { body } = await request(target, 'POST', '/graphql', { operationName, query, variables });
  if (body.errors?.length) throw new Error(`${operationName}: ${body.errors[0].extensions?.code ?? ''} ${body.errors[0].message}`);
  return body.data;
}
async function wechatLogin(target, fakeUrl, i) {
  const device = `bench-device-${i % 300}`;
  const s = (await gql(target, 'StartWechatLogin', START, { deviceId: device })).startWechatLogin;
  const { body: auth } = await request(fakeUrl, 'POST', '/authorize', { appid: s.appId, state: s.state, person: `login-${i % 300}` });
  const l = (await gql(target, 'WechatLogin', LOGIN, { input: { code: auth.code, state: s.state, deviceId: device } })).wechatLogin;
  if (!l.session?.accessToken) throw new Error('wechatLogin without a session');
}
async function loginLoad(target, fakeUrl, seconds) {
  const latencies = [];
  let failures = 0;
  let firstError = null;
  let i = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          await wechatLogin(target, fakeUrl, i++);
          latencies.push(performance.now() - t0);
        } catch (e) {
          failures++;
          firstError ??= e.message;
        }
      }
    }),
  );
  latencies.sort((x, y) => x - y);
  const q = (p) => (latencies.length ? +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1) : NaN);
  return { logins: latencies.length, rps: +(latencies.length / seconds).toFixed(1), p50: q(0.5), p99: q(0.99), failures, firstError };
}
async function measureLogins(db, target, fakeUrl, label) {
  await loginLoad(target, fakeUrl, 3); // warm-up
  const before = await refreshedStats(db);
  const r = await loginLoad(target, fakeUrl, SECONDS);
  const after = await refreshedStats(db);
  const result = { step: 'logins', label, ...r, grantsRefreshedMeanwhile: after.n - before.n };
  console.log(JSON.stringify(result));
  return result;
}

// ---- main -------------------------------------------------------------------------------------------
async function main() {
  const mysql = createRequire(join(PROJECT, 'package.json'))('mysql2/promise');
  root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', timezone: 'Z' });
  await root.query(`CREATE DATABASE \`${DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const db = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: DB, timezone: 'Z' });

  const app = { id: `wxbench${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  const aesKey = randomBytes(32);
  const signKey = Buffer.from(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  ).toString('base64');
  const [fakePort, tlsPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);

  const fake = startGroup('fake-wechat', ['dist/src/sandbox/fake-wechat/main.js', '--port', String(fakePort), '--app', `${app.id}:${app.secret}`], process.env);
  const fakeUrl = `http://127.0.0.1:${fakePort}`;
  await waitHttp(`${fakeUrl}/settings`, fake);
  const cert = join(work, 'wechat-front.pem');
  const front = startGroup('tls-front', ['bench/support/tls-front.mjs', '--port', String(tlsPort), '--upstream', fakeUrl, '--cert-out', cert], process.env);
  await waitTcp(tlsPort, front);
  stack.fake = fake;
  stack.front = front;

  const env = (extra = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `mariadb://root@127.0.0.1:3306/${DB}`,
    WECHAT_APPS: `${app.id}:${app.secret}`,
    WECHAT_API_BASE: `https://127.0.0.1:${tlsPort}`,
    NODE_EXTRA_CA_CERTS: cert,
    TOKEN_ENCRYPTION_KEYS: `k1:${aesKey.toString('base64')}`,
    SESSION_SIGNING_KEY: signKey,
    // Never called here (phone logins are not part of this bench).
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
    SMS_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    // WeChat logins give a session at once; one address drives all the load.
    REQUIRE_PHONE: 'false',
    THROTTLE_PUBLIC_PER_MINUTE: '1000000',
    ...extra,
  });
  const api = { url: `http://127.0.0.1:${apiPort}` };
  const startApi = async (extra) => {
    api.child = startGroup(`api-${Object.keys(extra).length ? 'custom' : 'defaults'}-${Date.now()}`, ['dist/src/main.js'], env(extra));
    await waitHttp(`${api.url}/health/ready`, api.child);
  };
  const startWorker = (n) => startGroup(`worker-${n}-${Date.now()}`, ['dist/src/main.js', 'refresh-worker'], env(WORKER_ENV));

  await runToEnd('migrate', ['dist/src/main.js', 'migrate'], env());
  log(`seeding ${GRANTS} grants (through the fake's authorize + code exchange, stored encrypted)`);
  await seedGrants(db, fakeUrl, app, aesKey);
  await makeDue(db);
  log(`seeded; ${await dueCount(db)} due`);

  const results = {};
  // 1. One API instance, every TOKEN_REFRESH_* at its default; the job starts at boot.
  const t0 = Date.now();
  await startApi({});
  log('phase 1: one instance, defaults');
  results.defaults = await clearBacklog(db, 'one API instance, defaults', [api.child]);
  results.defaults.sinceStartSeconds = +((Date.now() - t0) / 1000).toFixed(1);

  // Every login person exists before any measurement (a first login creates the user: slower).
  await pool(300, 16, (i) => wechatLogin(api.url, fakeUrl, i));
  // 2. Login p99 on that instance: job idle, then job running in-process (with and without its gate).
  results.loginsIdle = await measureLogins(db, api.url, fakeUrl, 'API instance, job idle (nothing due)');
  // Restarted after making the backlog due: an idle job looks again only after its interval (60 s).
  await stopGroup(api.child);
  await makeDue(db);
  await startApi({});
  results.loginsInProcess = await measureLogins(db, api.url, fakeUrl, 'API instance, job running in-process (defaults, gate on)');
  await stopGroup(api.child);
  await startApi({ TOKEN_REFRESH_MAX_LAG_MS: '0' });
  await makeDue(db);
  results.loginsNoGate = await measureLogins(db, api.url, fakeUrl, 'API instance, job running in-process, gate off (MAX_LAG_MS=0)');
  await stopGroup(api.child);

  // 3. API without the job + one refresh-worker (documented high-throughput settings).
  await startApi({ TOKEN_REFRESH_ENABLED: 'false' });
  results.loginsIdle2 = await measureLogins(db, api.url, fakeUrl, 'API instance (job off), no worker');
  await makeDue(db);
  let w1 = startWorker(1);
  results.loginsWorker = await measureLogins(db, api.url, fakeUrl, 'API instance (job off) + 1 refresh-worker running');
  await stopGroup(w1);
  await stopGroup(api.child);

  // 4. Throughput of the worker settings alone: one worker, then two.
  await makeDue(db);
  w1 = startWorker(1);
  log('phase 4: one refresh-worker');
  results.worker1 = await clearBacklog(db, '1 refresh-worker (CONCURRENCY 64, BATCH 1000, PER_MINUTE 50000, MAX_LAG_MS 0)', [w1]);
  await stopGroup(w1);
  await makeDue(db);
  const ws = [startWorker(1), startWorker(2)];
  log('phase 4: two refresh-workers');
  results.worker2 = await clearBacklog(db, '2 refresh-workers (same settings)', ws);
  await Promise.all(ws.map((w) => stopGroup(w)));
  const [[leftLeases]] = await db.query('SELECT COUNT(*) AS n FROM wechat_grants WHERE lease_owner IS NOT NULL');
  await db.end();

  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  console.log('');
  console.log('| run | grants | seconds | grants/s | CPU ms per grant: refresher / fake / TLS front / mariadb |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of [results.defaults, results.worker1, results.worker2]) {
    const c = r.cpuMsPerGrant;
    console.log(
      `| ${r.label} | ${r.refreshed} (${r.leftDue} left due) | ${f(r.seconds)} | ${f(r.grantsPerSecond)} | ` +
        `${f(c.refresher, 2)} / ${f(c.fake, 2)} / ${f(c.tlsFront, 2)} / ${f(c.mariadb, 2)} |`,
    );
  }
  console.log('');
  console.log(`| returning WeChat logins, ${C} connections, ${SECONDS} s | logins/s | p50 ms | p99 ms | grants refreshed meanwhile | failures |`);
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of [results.loginsIdle, results.loginsInProcess, results.loginsNoGate, results.loginsIdle2, results.loginsWorker]) {
    console.log(`| ${r.label} | ${f(r.rps)} | ${f(r.p50)} | ${f(r.p99)} | ${r.grantsRefreshedMeanwhile} | ${r.failures} |`);
  }
  console.log('');
  console.log(
    `p99 ratio running/idle: in-process ${f(results.loginsInProcess.p99 / results.loginsIdle.p99, 2)}, ` +
      `in-process gate off ${f(results.loginsNoGate.p99 / results.loginsIdle.p99, 2)}, ` +
      `separate worker ${f(results.loginsWorker.p99 / results.loginsIdle2.p99, 2)}; leases left ${leftLeases.n}; ` +
      `${((Date.now() - T0) / 60000).toFixed(1)} min`,
  );
}

main()
  .catch((e) => {
    if (!interrupted) console.error(`refresh-job bench: ${e?.stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(() => cleanup().finally(() => process.exit(interrupted ? 130 : process.exitCode ?? 0)));
