// What the attack scenarios share: the built service (dist/) in production mode on a fresh MariaDB
// database, the standalone fake WeChat behind HTTPS, the SMS webhook receiver, and a GraphQL caller
// that can pose as any client address (TRUST_PROXY=loopback, X-Forwarded-For). Everything listens on
// 127.0.0.1; every process started is stopped through its own process group (bench/lib/stack.mjs).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Stack, ROOT, baseEnv, freePort, freshKeys, waitHttp } from '../lib/stack.mjs';

export const log = (...args) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

/**
 * Starts the stack. `apps`: [{ channel, id, secret }] for the fake and WECHAT_APPS; `env`: extra or
 * overriding variables for the service. Returns { stack, target, fake, sms, gql, control, close }.
 */
export async function startService(name, { apps, env = {} } = {}) {
  const stack = new Stack(`attack-${name}`);
  stack.stopOnSignals(log);
  const wechatApps = apps ?? [{ channel: 'app', id: `wxatk${randomBytes(6).toString('hex')}`, secret: randomBytes(16).toString('hex') }];
  try {
    const webhookSecret = randomBytes(16).toString('hex');
    const db = await stack.createDatabase(`attack_${name.replace(/\W/g, '_')}`);
    const fake = await stack.fakeWechat(wechatApps.map((a) => ({ id: `${a.channel}:${a.id}`, secret: a.secret })));
    const sms = await stack.smsReceiver(webhookSecret);
    const port = await freePort();
    const target = `http://127.0.0.1:${port}`;
    const serviceEnv = {
      ...baseEnv(), ...freshKeys(),
      NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      DATABASE_URL: `mariadb://root@127.0.0.1:3306/${db}`,
      WECHAT_APPS: wechatApps.map((a) => `${a.channel}:${a.id}:${a.secret}`).join(','),
      WECHAT_API_BASE: fake.httpsUrl, WECHAT_OPEN_BASE: fake.httpsUrl, NODE_EXTRA_CA_CERTS: fake.caFile,
      SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: webhookSecret,
      TRUST_PROXY: '127.0.0.1', TOKEN_REFRESH_ENABLED: 'false',
      ...env,
    };
    const service = stack.start('service', [join(ROOT, 'dist/src/main.js')], { env: serviceEnv });
    await waitHttp(`${target}/health/ready`, service, 120000);

    /** One GraphQL call as client `ip`: { status, data, errors, code }. */
    const gql = async (query, variables = {}, { ip = '203.0.113.1', token } = {}) => {
      const res = await fetch(`${target}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': ip,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = await res.json().catch(() => ({}));
      return { status: res.status, data: body.data ?? null, errors: body.errors ?? null, code: body.errors?.[0]?.extensions?.code ?? null };
    };
    /** The fake WeChat's control endpoints (the person's side). */
    const control = async (path, body) => {
      const res = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`fake ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    return { stack, target, fake, sms, service, gql, control, close: () => stack.close() };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

export { ROOT };

/** A table of figures on stdout. */
export function printTable(title, rows) {
  console.log(`\n## ${title}\n`);
  const keys = Object.keys(rows[0] ?? {});
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`| ${keys.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${keys.map((k) => row[k]).join(' | ')} |`);
}
