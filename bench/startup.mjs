// Start to ready: from spawning `node dist/src/main.js` to the first 200 of GET /health/ready, with the
// database already migrated. Two configurations: production on a fresh MariaDB database (root at
// 127.0.0.1:3306, dropped at the end; the standalone fake WeChat behind an HTTPS front, SMS by webhook)
// and the sandbox on SQLite (a file in a scratch folder). Each is migrated once
// (`node dist/src/main.js migrate`), then started --runs times; prints every start and the median.
//   npm run build && npm run bench:startup -- [--runs 5] [--only mariadb|sqlite] [--node-args="--cpu-prof"] [--plain]
//        [--dist DIR]   another build to compare (default dist)
// Also prints the CPU time (user + system) of the process's main thread until ready: the start's
// critical path, less sensitive than the wall clock to other work on the machine.
// Expects `npm run build`; every process in its own group, stopped after its run; 127.0.0.1 only.
// Exits 0: it measures, it does not judge. On a shared machine the figures are indicative.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { productionNodeArgs, Stack, baseEnv, cpuMs, freePort, freshKeys, median, rssBytes, waitHttp } from './lib/stack.mjs';

const { values: a } = parseArgs({ options: {
  runs: { type: 'string', default: '5' }, dist: { type: 'string', default: 'dist' }, only: { type: 'string' }, 'node-args': { type: 'string', default: '' }, plain: { type: 'boolean', default: false },
} });
const RUNS = Math.max(1, Number(a.runs));
const MAIN = join(a.dist, 'src/main.js');
// The production command's flags (--plain: bare `node dist/src/main.js`, which restarts itself with them).
const nodeArgs = [...(a.plain ? [] : await productionNodeArgs(a.dist)), ...a['node-args'].split(/\s+/).filter(Boolean)];
const stack = new Stack('bench-startup');
stack.stopOnSignals();

async function migrate(env) {
  const m = stack.start('migrate', [MAIN, 'migrate'], { env });
  const code = await new Promise((r) => m.once('close', r));
  if (code !== 0) throw new Error(`migrate failed (${code}):\n${m.tail()}`);
}

async function measure(label, env) {
  await migrate(env);
  const times = [];
  const cpus = [];
  for (let i = 0; i < RUNS; i++) {
    const port = await freePort();
    const runEnv = { ...env, PORT: String(port), SHUTDOWN_DRAIN_MS: '0' };
    const t0 = performance.now();
    const child = stack.start(`${label}-${i}`, [MAIN], { env: runEnv, nodeArgs });
    await waitHttp(`http://127.0.0.1:${port}/health/ready`, child, 60000, 5);
    const ms = performance.now() - t0;
    const rss = rssBytes(child.pid);
    const cpu = cpuMs(child.pid, true);
    times.push(ms);
    cpus.push(cpu);
    console.log(JSON.stringify({ config: label, run: i + 1, readyMs: Math.round(ms), cpuMs: Math.round(cpu), rssMB: +(rss / 1048576).toFixed(1) }));
    await stack.stop(child);
  }
  return { wall: median(times), cpu: median(cpus) };
}

async function main() {
  const results = {};
  if (!a.only || a.only === 'mariadb') {
    const app = { id: `wxstart${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('hex') };
    const db = await stack.createDatabase('startup_bench');
    const fake = await stack.fakeWechat(app);
    const sms = await stack.smsReceiver('startup-bench-secret');
    results.mariadb = await measure('mariadb', {
      ...baseEnv(), ...freshKeys(), NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      DATABASE_URL: `mariadb://root@127.0.0.1:3306/${db}`,
      WECHAT_APPS: `${app.id}:${app.secret}`, WECHAT_API_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
      SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: 'startup-bench-secret',
    });
  }
  if (!a.only || a.only === 'sqlite') {
    const dir = join(stack.work, 'sqlite-data');
    results.sqlite = await measure('sqlite', {
      ...baseEnv(), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dir, DATABASE_URL: `sqlite:${join(stack.work, 'bench.sqlite')}`,
    });
  }
  console.log('');
  for (const [k, v] of Object.entries(results)) {
    console.log(`${k} (${a.dist}): start to ready, median of ${RUNS}: ${Math.round(v.wall)} ms (main thread CPU ${Math.round(v.cpu)} ms)`);
  }
}

main()
  .catch((e) => { console.error(`startup bench: ${e?.stack ?? e}`); })
  .finally(() => stack.close().finally(() => process.exit(0)));
