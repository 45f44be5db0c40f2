// Attack scenario, issue 18 (5): can a stranger keep a phone's owner from logging in by SMS by
// guessing wrong codes at a high rate from many addresses and devices?
//   npm run build && node bench/attacks/code-killing.mjs [--seconds 40] [--workers 4] [--sources 20]
//        [--owner-every 6] [--dist dist] [--log-level warn]
// Starts, each in its own process group, on 127.0.0.1 only: the standalone fake WeChat behind an
// HTTPS front, an SMS webhook receiver (in this process: it captures the codes), and
// `node dist/src/main.js` with NODE_ENV=production on a fresh MariaDB database (root at
// 127.0.0.1:3306, dropped at the end), TRUST_PROXY=1 (this script plays the proxy: each request's
// X-Forwarded-For is the client it stands for). No captcha provider: past a budget the service refuses.
// The owner (one address, one device) asks for a code every --owner-every seconds (SMS_RESEND_SECONDS
// and the per-phone send budgets are opened up so that a short run holds several logins), reads it
// from the webhook after a second, and logs in. Meanwhile --workers strangers in a closed loop send
// random wrong codes for the owner's phone, round-robin from --sources addresses, each with its own
// device. Prints the strangers' requests by answer and the owner's logins attempted / succeeded.
// Exits 0: it measures, it does not judge.
import http from 'node:http';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Stack, baseEnv, freePort, freshKeys, sleep, waitHttp } from '../lib/stack.mjs';

const { values: a } = parseArgs({ options: {
  seconds: { type: 'string', default: '40' }, workers: { type: 'string', default: '4' },
  sources: { type: 'string', default: '20' }, 'owner-every': { type: 'string', default: '6' },
  dist: { type: 'string', default: 'dist' }, 'log-level': { type: 'string', default: 'warn' },
} });
const SECONDS = Number(a.seconds);
const WORKERS = Math.max(1, Number(a.workers));
const SOURCES = Math.max(1, Number(a.sources));
const OWNER_EVERY_MS = Number(a['owner-every']) * 1000;
const T0 = performance.now();
const log = (...m) => console.error(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(4)}s]`, ...m);

const stack = new Stack('attack-code-killing');
stack.stopOnSignals(log);
const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS + 4 });
let target;

function gql(query, variables, ip) {
  const data = Buffer.from(JSON.stringify({ query, variables }));
  const u = new URL('/graphql', target);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': data.length, 'x-forwarded-for': ip } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { resolve({ errors: [{ extensions: { code: `HTTP_${res.statusCode}` } }] }); }
      });
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}
const SEND = 'mutation C($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone } }';
const LOGIN = 'mutation P($input: PhoneLoginInput!) { loginWithPhone(input: $input) { accessToken } }';
const outcome = (body) => body.errors?.[0]?.extensions?.code ?? 'ok';
const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

async function main() {
  const app = { id: `wxattack${randomBytes(4).toString('hex')}`, secret: randomBytes(16).toString('hex') };
  const webhookSecret = randomBytes(16).toString('hex');
  const db = await stack.createDatabase('attack_code_killing');
  const fake = await stack.fakeWechat(app);
  const sms = await stack.smsReceiver(webhookSecret);
  const port = await freePort();
  target = `http://127.0.0.1:${port}`;
  const env = {
    ...baseEnv(), ...freshKeys(),
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: a['log-level'],
    DATABASE_URL: `mariadb://root@127.0.0.1:3306/${db}`, TRUST_PROXY: '1',
    WECHAT_APPS: `${app.id}:${app.secret}`, WECHAT_API_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
    SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: webhookSecret,
    // The owner asks often in a short run; the verification limits under test stay at their defaults.
    SMS_RESEND_SECONDS: String(Math.max(1, Math.floor(OWNER_EVERY_MS / 1000) - 1)),
    SMS_PHONE_PER_HOUR: '1000', SMS_PHONE_PER_DAY: '1000', SMS_PHONE_HARD_PER_DAY: '1000',
    TOKEN_REFRESH_ENABLED: 'false',
  };
  const service = stack.start('service', [join(a.dist, 'src/main.js')], { env });
  await waitHttp(`${target}/health/ready`, service, 120000);
  log(`service ready (pid ${service.pid}); ${SECONDS} s, ${WORKERS} stranger workers over ${SOURCES} sources`);

  const phone = `+86139${String(randomInt(0, 1e8)).padStart(8, '0')}`;
  const owner = { ip: '198.51.100.77', deviceId: 'owner-install' };
  const stranger = new Map();
  const ownerStats = { attempted: 0, succeeded: 0, failures: new Map(), sendRefusals: new Map() };
  const end = performance.now() + SECONDS * 1000;
  let seq = 0;

  const strangerLoop = async () => {
    while (performance.now() < end) {
      const s = seq++ % SOURCES;
      const code = String(randomInt(0, 1e6)).padStart(6, '0');
      const body = await gql(LOGIN, { input: { phone, smsCode: code, deviceId: `stranger-device-${s}` } },
        `203.0.113.${1 + s}`).catch(() => ({ errors: [{ extensions: { code: 'NETWORK' } }] }));
      bump(stranger, outcome(body));
    }
  };
  const ownerLoop = async () => {
    while (performance.now() + 3000 < end) {
      const started = performance.now();
      const sent = await gql(SEND, { input: { phone, purpose: 'LOGIN', deviceId: owner.deviceId } }, owner.ip);
      if (sent.errors) bump(ownerStats.sendRefusals, outcome(sent));
      else {
        const code = await sms.take(phone, 5000).catch(() => null);
        await sleep(1000); // the owner reads and types the code while the strangers keep going
        if (code) {
          ownerStats.attempted += 1;
          const res = await gql(LOGIN, { input: { phone, smsCode: code, deviceId: owner.deviceId } }, owner.ip);
          if (res.errors) bump(ownerStats.failures, outcome(res));
          else ownerStats.succeeded += 1;
        }
      }
      await sleep(Math.max(0, OWNER_EVERY_MS - (performance.now() - started)));
    }
  };
  await Promise.all([ownerLoop(), ...Array.from({ length: WORKERS }, strangerLoop)]);

  const total = [...stranger.values()].reduce((x, y) => x + y, 0);
  console.log(`code killing, ${SECONDS} s, production build on MariaDB; strangers: ${WORKERS} workers, ${SOURCES} addresses/devices`);
  console.log(`stranger requests sent: ${total} (${(total / SECONDS * 60).toFixed(0)} a minute)`);
  for (const [code, n] of [...stranger].sort((x, y) => y[1] - x[1])) console.log(`  ${code.padEnd(20)} ${n}`);
  console.log(`owner logins attempted: ${ownerStats.attempted}, succeeded: ${ownerStats.succeeded}`);
  for (const [code, n] of ownerStats.failures) console.log(`  owner login refused ${code}: ${n}`);
  for (const [code, n] of ownerStats.sendRefusals) console.log(`  owner send refused ${code}: ${n}`);
  console.log(`SMS delivered to the webhook: ${sms.stats.received}`);
}

main()
  .catch((error) => { console.error(error); process.exitCode = 1; })
  .finally(() => stack.close());
