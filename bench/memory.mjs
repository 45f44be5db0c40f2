// Memory under a bounded mixed load: does the service's RSS level off?
//   npm run build && npm run bench:memory -- [--minutes 10] [--concurrency 8] [--persons 200]
//        [--sample-seconds 30] [--log-level warn] [--node-args "--max-semi-space-size=8"] [--plain]
//        [--env MALLOC_ARENA_MAX=2] [--snapshots] [--dist DIR (another build to compare; default dist)]
// Starts, each in its own process group, on 127.0.0.1 only: the standalone fake WeChat behind an HTTPS
// front (a throw-away certificate given as NODE_EXTRA_CA_CERTS), an SMS webhook receiver (in this
// process), and `node dist/src/main.js` with NODE_ENV=production on a fresh MariaDB database (root at
// 127.0.0.1:3306, dropped at the end). The per-IP, per-device and SMS volume limits are raised (one
// address drives everything). Then `--concurrency` workers in a closed loop run a mix of flows for `--minutes`:
//   40 % returning WeChat login (startWechatLogin -> fake POST /authorize -> wechatLogin; the first
//        login of each of `--persons` persons binds a phone: sendSmsCode(BIND_PHONE) + bindPhone)
//   25 % me, 15 % refreshSession (each worker rotating its own session), 20 % phone login
//        (sendSmsCode(LOGIN) for a random CN mobile -> code from the webhook -> loginWithPhone)
// It samples the service's VmRSS (/proc/<pid>/status) every 5 s and its V8 heap (from /metrics) every
// `--sample-seconds`, and prints a line per sample, then RSS at 1 minute and at the end and their
// ratio (the target: <= 1.2). RSS follows the V8 heap's size, which swings between major collections,
// so it also prints the peak RSS of the first minute and of the last minute, and the lowest heap used
// seen in each, and (the service runs with --trace-gc) the heap left after each major GC, in the
// first and the last 2 minutes: that is what is live; if it grows, objects are retained (a leak).
// Before the clock starts, each of --persons persons logs in once and binds a phone. `--snapshots` starts the service with --heapsnapshot-signal=SIGUSR2 and
// writes a heap snapshot at 1 minute and at the end into a folder it names (kept). Exits 0: it
// measures, it does not judge. The machine's other work makes the figures indicative.
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { productionNodeArgs, Stack, ROOT, baseEnv, freePort, freshKeys, rssBytes, sleep, waitHttp } from './lib/stack.mjs';

const { values: a } = parseArgs({ options: {
  minutes: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '8' },
  persons: { type: 'string', default: '200' }, 'sample-seconds': { type: 'string', default: '30' },
  'log-level': { type: 'string', default: 'warn' }, 'node-args': { type: 'string', default: '' }, plain: { type: 'boolean', default: false },
  env: { type: 'string', multiple: true, default: [] }, dist: { type: 'string', default: 'dist' }, snapshots: { type: 'boolean', default: false },
} });
const MINUTES = Number(a.minutes);
const C = Math.max(1, Number(a.concurrency));
const PERSONS = Math.max(1, Number(a.persons));
const SAMPLE_MS = Number(a['sample-seconds']) * 1000;
const T0 = performance.now();
const log = (...m) => console.error(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)}s]`, ...m);
const MB = (b) => (Number.isFinite(b) ? (b / 1048576).toFixed(1) : 'n/a');

const stack = new Stack('bench-memory');
stack.stopOnSignals(log);
const agent = new http.Agent({ keepAlive: true, maxSockets: C * 2 + 4 });

function request(base, method, path, body, headers = {}) {
  const u = new URL(path, base);
  const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent,
      headers: data ? { 'content-type': 'application/json', 'content-length': data.length, ...headers } : headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data ?? undefined);
  });
}

const SESSION = 'accessToken refreshToken user { id }';
const Q = {
  startWechatLogin: 'mutation S($deviceId: String) { startWechatLogin(deviceId: $deviceId) { appId state } }',
  wechatLogin: `mutation W($input: WechatLoginInput!) { wechatLogin(input: $input) { isBind bindTicket session { ${SESSION} } } }`,
  sendSmsCode: 'mutation C($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone resendAfter } }',
  bindPhone: `mutation B($input: BindPhoneInput!) { bindPhone(input: $input) { ${SESSION} } }`,
  loginWithPhone: `mutation P($input: PhoneLoginInput!) { loginWithPhone(input: $input) { ${SESSION} } }`,
  refreshSession: `mutation R($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ${SESSION} } }`,
  me: 'query M { me { id phone wechatLinked } }',
};
let target;
async function op(name, variables, token) {
  const { status, text } = await request(target, 'POST', '/graphql', { query: Q[name], variables },
    token ? { authorization: `Bearer ${token}` } : {});
  let body;
  try { body = JSON.parse(text); } catch { throw new Error(`${name}: HTTP ${status} ${text.slice(0, 100)}`); }
  if (body.errors?.length) throw new Error(`${name}: ${body.errors[0].extensions?.code ?? ''} ${String(body.errors[0].message).slice(0, 100)}`);
  return body.data[name];
}

const PREFIXES = ['139', '138', '136', '135', '158', '159', '188', '187', '186', '150'];
const randomPhone = () => `+86${PREFIXES[Math.floor(Math.random() * PREFIXES.length)]}${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

async function main() {
  const app = { id: `wxbench${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  const webhookSecret = randomBytes(16).toString('hex');
  const db = await stack.createDatabase('memory_bench');
  const fake = await stack.fakeWechat(app);
  const sms = await stack.smsReceiver(webhookSecret);
  const port = await freePort();
  target = `http://127.0.0.1:${port}`;
  const snapshotDir = join(stack.work, 'snapshots');
  // --trace-gc: every major GC prints the heap used after it, i.e. what is live: the leak detector.
  const nodeArgs = ['--trace-gc', ...(a.plain ? [] : await productionNodeArgs(a.dist)), ...a['node-args'].split(/\s+/).filter(Boolean)];
  if (a.snapshots) {
    mkdirSync(snapshotDir);
    nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`);
  }
  const env = {
    ...baseEnv(), ...freshKeys(),
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: a['log-level'],
    DATABASE_URL: `mariadb://root@127.0.0.1:3306/${db}`, DATABASE_POOL_SIZE: '10',
    WECHAT_APPS: `${app.id}:${app.secret}`, WECHAT_API_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
    SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: webhookSecret,
    THROTTLE_PUBLIC_PER_MINUTE: '1000000', SMS_IP_PER_MINUTE: '1000000', SMS_IP_PER_HOUR: '1000000',
    SMS_GLOBAL_PER_HOUR: '1000000', SMS_COUNTRY_PER_HOUR: '1000000', SMS_PREFIX_PER_HOUR: '1000000',
    SMS_DEVICE_PER_HOUR: '1000000', SMS_DEVICE_PER_DAY: '1000000',
    TOKEN_REFRESH_ENABLED: 'false',
  };
  for (const kv of a.env) { const i = kv.indexOf('='); if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1); }
  const service = stack.start('service', [join(a.dist, 'src/main.js')], { env, nodeArgs });
  let loadStart; // set when the clock starts
  const majorGcs = []; // {t (s since the load started, or negative before), before, after} in MB
  let pending = '';
  service.stdout.on('data', (chunk) => {
    pending += chunk;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      const m = /Mark-Compact(?: \([a-z ]+\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
      if (m) majorGcs.push({ t: loadStart === undefined ? -1 : (performance.now() - loadStart) / 1000, before: Number(m[1]), after: Number(m[2]) });
    }
  });
  await waitHttp(`${target}/health/ready`, service, 120000);
  const idle = rssBytes(service.pid);
  log(`service ready (pid ${service.pid}, RSS ${MB(idle)} MB idle); ${C} workers for ${MINUTES} min; node args: ${nodeArgs.join(' ') || '(none)'}` +
    `${a.env.length ? `; env ${a.env.join(' ')}` : ''}`);

  // ---- the load ----------------------------------------------------------------------------------
  const counts = { wechat: 0, bind: 0, me: 0, refresh: 0, phone: 0, failures: 0 };
  let firstError = null;
  const sessions = Array(C).fill(null);
  const wechat = async (w, index = Math.floor(Math.random() * PERSONS)) => {
    const person = `bench-${index}`;
    const device = `dev-${w}`;
    const s = await op('startWechatLogin', { deviceId: device });
    const { text } = await request(fake.url, 'POST', '/authorize', { appid: s.appId, state: s.state, person });
    const code = JSON.parse(text).code;
    if (!code) throw new Error(`authorize: ${text.slice(0, 100)}`);
    const l = await op('wechatLogin', { input: { code, state: s.state, deviceId: device } });
    if (l.isBind) { counts.wechat++; return l.session; }
    const phone = `+86137${String(Number(person.slice(6))).padStart(8, '0')}`;
    await op('sendSmsCode', { input: { phone, purpose: 'BIND_PHONE', bindTicket: l.bindTicket } });
    const session = await op('bindPhone', { input: { bindTicket: l.bindTicket, phone, smsCode: await sms.take(phone), deviceId: device } });
    counts.bind++;
    return session;
  };
  const flows = [
    [0.4, async (w) => { sessions[w] = await wechat(w); }],
    [0.25, async (w) => { sessions[w] ??= await wechat(w); await op('me', {}, sessions[w].accessToken); counts.me++; }],
    [0.15, async (w) => {
      sessions[w] ??= await wechat(w);
      sessions[w] = await op('refreshSession', { refreshToken: sessions[w].refreshToken });
      counts.refresh++;
    }],
    [0.2, async () => {
      const phone = randomPhone();
      await op('sendSmsCode', { input: { phone, purpose: 'LOGIN' } });
      await op('loginWithPhone', { input: { phone, smsCode: await sms.take(phone) } });
      counts.phone++;
    }],
  ];
  const pick = () => { let r = Math.random(); for (const [p, f] of flows) { if ((r -= p) < 0) return f; } return flows[0][1]; };

  // Every person's first login (and phone binding) once, before the clock: the mix's WeChat logins are
  // then all returning users.
  let nextPerson = 0;
  await Promise.all(Array.from({ length: C }, async (_, w) => {
    while (nextPerson < PERSONS) {
      const p = nextPerson++;
      try { await wechat(w, p); } catch (e) { counts.failures++; firstError ??= `seed: ${e.message}`; }
    }
  }));
  log(`seeded ${counts.bind} persons; the clock starts`);
  const end = performance.now() + MINUTES * 60000;
  loadStart = performance.now();
  let stopping = false;
  const workers = Promise.all(Array.from({ length: C }, async (_, w) => {
    while (!stopping && performance.now() < end) {
      try { await pick()(w); } catch (e) { counts.failures++; firstError ??= e.message; sessions[w] = null; }
    }
  }));

  // ---- sampling --------------------------------------------------------------------------------------
  const heap = async () => {
    try {
      const { text } = await request(target, 'GET', '/metrics');
      const v = (name) => Number(new RegExp(`^wechat_login_${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1]);
      return { used: v('nodejs_heap_size_used_bytes'), total: v('nodejs_heap_size_total_bytes'), external: v('nodejs_external_memory_bytes') };
    } catch { return {}; }
  };
  const samples = [];
  const snapshot = async (label) => {
    if (!a.snapshots) return;
    process.kill(service.pid, 'SIGUSR2');
    log(`heap snapshot (${label}) requested into ${snapshotDir}`);
    await sleep(15000); // writing one blocks the service for a few seconds
  };
  let at1 = null;
  let nextPrint = 0;
  const ops = () => counts.wechat + counts.bind + counts.me + counts.refresh + counts.phone;
  while (performance.now() < end && !service.ended) {
    await sleep(5000);
    const t = (performance.now() - loadStart) / 1000;
    const rss = rssBytes(service.pid);
    samples.push({ t, rss });
    if (at1 === null && t >= 60) {
      at1 = { t, rss, heap: await heap() };
      log(`1 min: RSS ${MB(rss)} MB, heap used ${MB(at1.heap.used)} MB`);
      await snapshot('1 min');
    }
    if (t * 1000 >= nextPrint) {
      nextPrint += SAMPLE_MS;
      const h = await heap();
      samples[samples.length - 1].heapUsed = h.used;
      const line = { t: Math.round(t), rssMB: +MB(rss), heapUsedMB: +MB(h.used), heapTotalMB: +MB(h.total), externalMB: +MB(h.external),
        ops: ops(), failures: counts.failures };
      console.log(JSON.stringify(line));
    }
  }
  stopping = true;
  await workers;
  if (service.ended) throw new Error(`the service exited:\n${service.tail()}`);
  const final = { t: (performance.now() - loadStart) / 1000, rss: rssBytes(service.pid), heap: await heap() };
  await snapshot('end');
  const secs = final.t;
  const window = (from, to) => {
    const w = samples.filter((x) => x.t >= from && x.t <= to);
    const used = w.map((x) => x.heapUsed).filter(Number.isFinite);
    return { rssPeak: Math.max(...w.map((x) => x.rss)), heapUsedLow: used.length ? Math.min(...used) : NaN };
  };
  const first = window(0, 60);
  const live = (from, to) => {
    const g = majorGcs.filter((x) => x.t >= from && x.t <= to).map((x) => x.after);
    return { n: g.length, min: g.length ? Math.min(...g) : NaN, max: g.length ? Math.max(...g) : NaN };
  };
  const liveFirst = live(0, 120);
  const liveLast = live(secs - 120, secs);
  const last = window(secs - 60, secs);
  console.log(JSON.stringify({ step: 'summary', minutes: MINUTES, concurrency: C, ...counts, firstError, opsPerSecond: +(ops() / secs).toFixed(1),
    rssIdleMB: +MB(idle), rss1MinMB: at1 ? +MB(at1.rss) : null, rssEndMB: +MB(final.rss), heapUsed1MinMB: at1 ? +MB(at1.heap.used) : null,
    heapUsedEndMB: +MB(final.heap.used), rssPeakFirstMinMB: +MB(first.rssPeak), rssPeakLastMinMB: +MB(last.rssPeak),
    majorGcs: majorGcs.filter((x) => x.t >= 0).length, liveAfterMajorGcFirst2MinMB: [liveFirst.min, liveFirst.max],
    liveAfterMajorGcLast2MinMB: [liveLast.min, liveLast.max], heapUsedLowFirstMinMB: +MB(first.heapUsedLow), heapUsedLowLastMinMB: +MB(last.heapUsedLow), rssMaxMB: +MB(Math.max(...samples.map((s) => s.rss))), smsReceived: sms.stats.received,
    badSignatures: sms.stats.badSignature }));
  console.log('');
  console.log(`RSS idle ${MB(idle)} MB; after 1 min ${at1 ? MB(at1.rss) : 'n/a'} MB (heap used ${at1 ? MB(at1.heap.used) : 'n/a'} MB); ` +
    `after ${(secs / 60).toFixed(1)} min ${MB(final.rss)} MB (heap used ${MB(final.heap.used)} MB)`);
  console.log(at1 ? `ratio end / 1 min: ${(final.rss / at1.rss).toFixed(2)} (target <= 1.2); ${ops()} flows, ${counts.failures} failures` :
    'ratio n/a (ran less than a minute)');
  console.log(`peak RSS in the first minute ${MB(first.rssPeak)} MB, in the last minute ${MB(last.rssPeak)} MB ` +
    `(ratio ${(last.rssPeak / first.rssPeak).toFixed(2)}); lowest heap used sampled: first minute ${MB(first.heapUsedLow)} MB, ` +
    `last minute ${MB(last.heapUsedLow)} MB`);
  console.log(`heap live after a major GC (--trace-gc): first 2 minutes ${liveFirst.min}–${liveFirst.max} MB (${liveFirst.n} GCs), ` +
    `last 2 minutes ${liveLast.min}–${liveLast.max} MB (${liveLast.n} GCs): growth there would be retained objects`);
  if (a.snapshots) console.log(`heap snapshots kept in ${snapshotDir}`);
}

main()
  .catch((e) => { console.error(`memory bench: ${e?.stack ?? e}`); })
  .finally(async () => {
    agent.destroy();
    await stack.close(a.snapshots); // the snapshots stay
    process.exit(0);
  });
