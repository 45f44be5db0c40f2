// What the attack scenarios share: the built service in production mode on a fresh MariaDB database
// (bench/lib/stack.mjs: own process groups, 127.0.0.1 only, everything stopped and dropped at the end),
// the SMS webhook, and a small GraphQL client. Expects `npm run build`.
import { randomBytes } from 'node:crypto';
import { Stack, baseEnv, freePort, freshKeys, waitHttp } from '../lib/stack.mjs';

export const T0 = performance.now();
export const log = (...m) => console.error(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(5)}s]`, ...m);
export const hex = (n) => randomBytes(n).toString('hex');
export { sleep } from '../lib/stack.mjs';

/** A stack with an SMS webhook; `service(env)` starts dist/src/main.js on a fresh database (or `databaseUrl`). */
export async function attackStack(name) {
  const stack = new Stack(name);
  stack.stopOnSignals(log);
  const webhookSecret = hex(16);
  const sms = await stack.smsReceiver(webhookSecret);
  const service = async (env, { databaseUrl } = {}) => {
    const db = databaseUrl ? null : await stack.createDatabase(name.replace(/-/g, '_'));
    const port = await freePort();
    const child = stack.start('service', ['dist/src/main.js'], {
      env: {
        ...baseEnv(), ...freshKeys(),
        NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl ?? `mariadb://root@127.0.0.1:3306/${db}`,
        SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: webhookSecret,
        TOKEN_REFRESH_ENABLED: 'false',
        ...env,
      },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/health/ready`, child, 120000);
    return { url, child, gql: (query, variables, headers) => gql(url, query, variables, headers) };
  };
  return { stack, sms, service };
}

/** One GraphQL request: {code (undefined when no error), data, ms}. Never throws for a GraphQL error. */
export async function gql(url, query, variables = {}, headers = {}) {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30000),
    });
    const body = await res.json().catch(() => ({ errors: [{ extensions: { code: `HTTP_${res.status}` } }] }));
    return { code: body.errors?.[0]?.extensions?.code, data: body.data, ms: performance.now() - started };
  } catch (error) {
    return { code: `CLIENT_${error.name}`, data: null, ms: performance.now() - started };
  }
}

export async function postJson(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

export const tally = (xs) => xs.reduce((m, x) => ((m[x ?? 'ok'] = (m[x ?? 'ok'] ?? 0) + 1), m), {});

/** Runs main, prints its summary as JSON on stdout, always stops the stack; exits non-zero on a crash. */
export async function run(stack, main) {
  const hardStop = setTimeout(() => { log('over 90 s: stopping'); stack.close().finally(() => process.exit(2)); }, 90_000);
  try {
    const summary = await main();
    console.log(JSON.stringify(summary, null, 2));
  } catch (error) {
    log('failed:', error);
    process.exitCode = 1;
  } finally {
    clearTimeout(hardStop);
    await stack.close();
  }
}
