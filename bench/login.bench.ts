// End-to-end login throughput over real HTTP: the whole service (SQLite by default, or MySQL with
// BENCH_DATABASE_URL) and the fake WeChat server on its own port. Prints figures; asserts nothing.
//   npm run bench -- login [--seconds 5] [--concurrency 16]
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/bootstrap';
import { loadAppConfig, SANDBOX_WECHAT_APP } from '../src/config/app-config';
import { FakeWechatServer } from '../src/sandbox/fake-wechat/fake-wechat';
import { SmsOutbox } from '../src/sandbox/sms-outbox';

type Gql = (
  query: string,
  variables?: Record<string, unknown>,
) => Promise<{ data?: Record<string, any>; errors?: unknown[] }>;

async function measure(
  name: string,
  seconds: number,
  concurrency: number,
  one: (worker: number, i: number) => Promise<void>,
): Promise<void> {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const started = process.hrtime.bigint();
        try {
          await one(worker, i);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        } catch {
          failures++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string =>
    (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
  console.log(
    `${name.padEnd(34)} ${(latencies.length / seconds).toFixed(0).padStart(6)}/s  p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms  failures ${failures}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' } },
    allowPositionals: true,
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const dataDir = mkdtempSync(join(tmpdir(), 'wl-bench-'));
  const fake = new FakeWechatServer({ apps: [SANDBOX_WECHAT_APP] });
  const wechatBase = await fake.listen(0);
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dataDir, 'bench.sqlite')}`,
    WECHAT_API_BASE: wechatBase,
    LOG_LEVEL: 'warn',
    GRAPHQL_SCHEMA_FILE: 'off',
    SMS_CONSOLE_LOG_CODES: 'false',
    THROTTLE_PUBLIC_PER_MINUTE: '1000000',
    SMS_IP_PER_MINUTE: '1000000',
    SMS_IP_PER_HOUR: '1000000',
    SMS_PREFIX_PER_HOUR: '1000000',
    SMS_COUNTRY_PER_HOUR: '1000000',
    SMS_GLOBAL_PER_HOUR: '1000000',
    TOKEN_REFRESH_ENABLED: 'false',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/graphql`;
  const gql: Gql = async (query, variables) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body;
  };
  const outbox = app.get(SmsOutbox);
  const phoneOf = (worker: number, i: number): string =>
    `+86139${String(worker).padStart(2, '0')}${String(i).padStart(6, '0')}`;

  console.log(`login benchmark: ${config.database.type}, ${concurrency} concurrent clients, ${seconds}s each`);
  await measure('phone login (send code + login)', seconds, concurrency, async (worker, i) => {
    const phone = phoneOf(worker, i);
    await gql('mutation($p: String!) { sendSmsCode(input: { phone: $p, purpose: LOGIN }) { phone } }', { p: phone });
    await gql(
      'mutation($p: String!, $c: String!) { loginWithPhone(input: { phone: $p, smsCode: $c }) { accessToken } }',
      {
        p: phone,
        c: outbox.latestCode(phone),
      },
    );
  });

  // Bound WeChat users: bind one person per worker first.
  const tokens: string[] = [];
  for (let worker = 0; worker < concurrency; worker++) {
    const start = await gql('mutation { startWechatLogin(deviceId: "bench") { state } }');
    const { code } = fake.authorize({
      appid: SANDBOX_WECHAT_APP.appId,
      person: `bench-${worker}`,
      state: start.data!.startWechatLogin.state,
    });
    const login = await gql(
      'mutation($c: String!, $s: String) { wechatLogin(input: { code: $c, state: $s, deviceId: "bench" }) { bindTicket } }',
      {
        c: code,
        s: start.data!.startWechatLogin.state,
      },
    );
    const phone = `+86137${String(worker).padStart(8, '0')}`;
    await gql(
      'mutation($p: String!, $t: String) { sendSmsCode(input: { phone: $p, purpose: BIND_PHONE, bindTicket: $t }) { phone } }',
      {
        p: phone,
        t: login.data!.wechatLogin.bindTicket,
      },
    );
    const bound = await gql(
      'mutation($t: String!, $p: String!, $c: String!) { bindPhone(input: { bindTicket: $t, phone: $p, smsCode: $c }) { refreshToken } }',
      {
        t: login.data!.wechatLogin.bindTicket,
        p: phone,
        c: outbox.latestCode(phone),
      },
    );
    tokens.push(bound.data!.bindPhone.refreshToken);
  }
  await measure('WeChat login, returning user', seconds, concurrency, async (worker) => {
    const start = await gql('mutation { startWechatLogin(deviceId: "bench") { state } }');
    const state = start.data!.startWechatLogin.state;
    const { code } = fake.authorize({ appid: SANDBOX_WECHAT_APP.appId, person: `bench-${worker}`, state });
    await gql(
      'mutation($c: String!, $s: String) { wechatLogin(input: { code: $c, state: $s, deviceId: "bench" }) { isBind } }',
      { c: code, s: state },
    );
  });
  await measure('refreshSession (rotation)', seconds, concurrency, async (worker) => {
    const res = await gql('mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }', {
      t: tokens[worker],
    });
    tokens[worker] = res.data!.refreshSession.refreshToken;
  });

  await app.close();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
