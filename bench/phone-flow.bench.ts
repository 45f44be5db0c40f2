// The perf kit's "phone" flow (sendSmsCode(LOGIN) for a random CN mobile -> code -> loginWithPhone,
// new users) over real HTTP against the whole service (SQLite by default, or MySQL with
// BENCH_DATABASE_URL). Prints flows/s and the process's CPU per flow (the in-process HTTP client
// included, so compare runs of this bench with each other only). Asserts nothing; figures on a shared
// machine are indicative.
//   npm run bench -- phone-flow [--seconds 8] [--concurrency 16] [--trusted]
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/bootstrap';
import { loadAppConfig } from '../src/config/app-config';
import { SmsOutbox } from '../src/sandbox/sms-outbox';

const PREFIXES = ['139', '138', '136', '135', '158', '159', '188', '187', '186', '150'];
const randomPhone = (): string =>
  `+86${PREFIXES[Math.floor(Math.random() * PREFIXES.length)]}${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '16' },
      trusted: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const dataDir = mkdtempSync(join(tmpdir(), 'wl-bench-'));
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dataDir, 'bench.sqlite')}`,
    LOG_LEVEL: 'warn',
    GRAPHQL_SCHEMA_FILE: 'off',
    SMS_CONSOLE_LOG_CODES: 'false',
    TOKEN_REFRESH_ENABLED: 'false',
    // What the perf kit sets; --trusted adds what the lead's .env adds.
    THROTTLE_PUBLIC_PER_MINUTE: '1000000',
    SMS_IP_PER_MINUTE: '1000000',
    SMS_IP_PER_HOUR: '1000000',
    ...(values.trusted
      ? { TRUSTED_SOURCES: '127.0.0.1' }
      : { SMS_PREFIX_PER_HOUR: '10000000', SMS_COUNTRY_PER_HOUR: '10000000', SMS_GLOBAL_PER_HOUR: '100000000' }),
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/graphql`;
  const outbox = app.get(SmsOutbox);
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
  };
  const SEND =
    'mutation SendSmsCode($input: SendSmsCodeInput!) { sendSmsCode(input: $input) { phone expiresAt resendAfter } }';
  const LOGIN =
    'mutation LoginWithPhone($input: PhoneLoginInput!) { loginWithPhone(input: $input) { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id } } }';
  const flow = async (): Promise<string | null> => {
    const phone = randomPhone();
    const sent = await gql(SEND, { input: { phone, purpose: 'LOGIN' } });
    if (sent.errors) return String(sent.errors[0]?.extensions?.code);
    const login = await gql(LOGIN, { input: { phone, smsCode: outbox.latestCode(phone) } });
    return login.errors ? String(login.errors[0]?.extensions?.code) : null;
  };

  // Warm up, then measure.
  for (let i = 0; i < 50; i++) await flow();
  const failures = new Map<string, number>();
  let flows = 0;
  const cpu = process.cpuUsage();
  const started = Date.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const failure = await flow();
        if (failure) failures.set(failure, (failures.get(failure) ?? 0) + 1);
        else flows += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(
    `phone flow (${config.database.type}${values.trusted ? ', TRUSTED_SOURCES=127.0.0.1' : ''}, ${concurrency} concurrent): ` +
      `${(flows / elapsed).toFixed(0)} flows/s, ${(cpuMs / Math.max(1, flows)).toFixed(2)} ms CPU per flow ` +
      `(process, client included), failures ${JSON.stringify(Object.fromEntries(failures))}`,
  );
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
