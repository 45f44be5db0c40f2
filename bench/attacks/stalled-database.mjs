// Issue 18 (7), a stalled database, against the built service with the default database bounds:
//   npm run build && node bench/attacks/stalled-database.mjs [--requests 10]
// The service reaches MariaDB through a TCP proxy in this process. After a warm-up the proxy stops
// forwarding (connections stay up, nothing answers: a hung server or a silent partition); then
// --requests sendSmsCode requests at once, and again a second wave. Prints each wave's answer codes
// and times (the target: SERVICE_UNAVAILABLE within about 3 s), then thaws and checks recovery.
// Bounded (< 90 s); exits 0 (it measures, it does not judge).
import { createServer, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { attackStack, log, run, sleep, tally } from './attack-kit.mjs';

const { values: a } = parseArgs({ options: { requests: { type: 'string', default: '10' } } });
const N = Number(a.requests);
const SEND = 'mutation C($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }';

/** TCP proxy to 127.0.0.1:3306 that can freeze: accepted connections stay up, nothing passes. */
function proxy() {
  let frozen = false;
  const pairs = new Set();
  const all = new Set();
  const server = createServer((client) => {
    all.add(client);
    client.on('close', () => all.delete(client));
    client.on('error', () => client.destroy());
    if (frozen) return client.pause();
    const up = new Socket().connect(3306, '127.0.0.1');
    all.add(up);
    up.on('close', () => all.delete(up));
    up.on('error', () => client.destroy());
    const pair = [client, up];
    pairs.add(pair);
    client.pipe(up).pipe(client);
  });
  return {
    listen: () => new Promise((r) => server.listen(0, '127.0.0.1', () => r(server.address().port))),
    freeze() {
      frozen = true;
      for (const [c, u] of pairs) { c.unpipe(u); u.unpipe(c); c.pause(); u.pause(); }
    },
    thaw() {
      frozen = false;
      for (const [c, u] of pairs) { c.pipe(u); u.pipe(c); c.resume(); u.resume(); }
    },
    close() { for (const s of all) s.destroy(); server.close(); },
  };
}

const { stack, service } = await attackStack('attack-stalled-db');
const p = proxy();
await run(stack, async () => {
  const db = await stack.createDatabase('attack_stalled_db');
  const port = await p.listen();
  const svc = await service(
    { WECHAT_APPS: 'wxstall0000000001:stallsecret0000000000000000001', SMS_IP_PER_MINUTE: '1000000', SMS_IP_PER_HOUR: '1000000' },
    { databaseUrl: `mariadb://root@127.0.0.1:${port}/${db}` },
  );
  let serial = 0;
  const send = () => svc.gql(SEND, { input: { phone: `+86135${String(1e8 + ++serial).slice(1)}`, purpose: 'LOGIN' } });
  const warm = await Promise.all(Array.from({ length: 4 }, send));
  log(`warm-up: ${JSON.stringify(tally(warm.map((r) => r.code)))}; freezing the database`);
  p.freeze();
  const waves = [];
  for (let w = 1; w <= 2; w++) {
    const answers = await Promise.all(Array.from({ length: N }, send));
    const ms = answers.map((r) => Math.round(r.ms)).sort((x, y) => x - y);
    waves.push({ wave: w, codes: tally(answers.map((r) => r.code)), msMin: ms[0], msMedian: ms[ms.length >> 1], msMax: ms[ms.length - 1] });
    log(`wave ${w}: ${JSON.stringify(waves[w - 1])}`);
  }
  const ready = (await fetch(`${svc.url}/health/ready`)).status;
  p.thaw();
  let recovered = null;
  for (let i = 0; i < 50 && recovered === null; i++) {
    const r = await send();
    if (!r.code) recovered = i + 1;
    else await sleep(200);
  }
  return {
    scenario: 'stalled database (default bounds: DATABASE_QUERY_TIMEOUT_MS 5000, DATABASE_ACQUIRE_TIMEOUT_MS 5000, DATABASE_REQUEST_BUDGET_MS 2500)',
    requestsPerWave: N, waves, readinessWhileStalled: ready, recoveredAfterTries: recovered,
  };
});
p.close();
