// The shared counters alone: how many takes a second, and what a send's full rule set costs, on the
// database (SQLite, or MySQL/MariaDB with BENCH_DATABASE_URL) and on Redis (BENCH_REDIS_URL). Prints
// figures; asserts nothing. (The old one-row-per-window `rate_limits` it was once compared with is gone.)
//   npm run bench -- counters [--seconds 5] [--concurrency 16]
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../src/config/app-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { Database } from '../src/database/database.service';
import { runMigrations } from '../src/database/migration-runner';
import { DatabaseHitCounter } from '../src/rate-limits/database-hit-counter';
import { CounterRule, HitCounter } from '../src/rate-limits/hit-counter';
import { RedisHitCounter } from '../src/rate-limits/redis-hit-counter';

async function measure(
  name: string,
  seconds: number,
  concurrency: number,
  one: (w: number, i: number) => Promise<void>,
) {
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
  const pct = (p: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
  console.log(
    `${name.padEnd(44)} ${(latencies.length / seconds).toFixed(0).padStart(6)}/s  p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms  failures ${failures}`,
  );
}

// What one SMS send takes: its phone (4 windows, exact), the client's IP (2), prefix, country, all.
function sendRules(worker: number, i: number): CounterRule[] {
  const phone = `sms:phone:${worker}-${i}`;
  const ip = `sms:ip:10.0.0.${worker % 4}`;
  return [
    { bucket: phone, limit: 1, windowSeconds: 60, exact: true },
    { bucket: phone, limit: 30, windowSeconds: 86400, exact: true },
    { bucket: phone, limit: 5, windowSeconds: 3600, exact: true },
    { bucket: phone, limit: 10, windowSeconds: 86400, exact: true },
    { bucket: ip, limit: 1e9, windowSeconds: 60 },
    { bucket: ip, limit: 1e9, windowSeconds: 3600 },
    { bucket: 'sms:prefix:+86139', limit: 1e9, windowSeconds: 3600 },
    { bucket: 'sms:country:CN', limit: 1e9, windowSeconds: 3600 },
    { bucket: 'sms:global', limit: 1e9, windowSeconds: 3600 },
  ];
}

async function counterBench(label: string, counter: HitCounter, seconds: number, concurrency: number) {
  await measure(`${label}: throttle take (one bucket per IP)`, seconds, concurrency, async (w) => {
    await counter.take([{ bucket: `throttle:public:10.0.0.${w % 4}`, limit: 1e9, windowSeconds: 60 }], Date.now());
  });
  await measure(`${label}: SMS send rule set (9 rules)`, seconds, concurrency, async (w, i) => {
    const { taken } = await counter.take(sendRules(w, i), Date.now());
    if (!taken) throw new Error('refused');
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' } },
    allowPositionals: true,
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const dataDir = mkdtempSync(join(tmpdir(), 'wl-bench-'));
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dataDir, 'bench.sqlite')}`,
    GRAPHQL_SCHEMA_FILE: 'off',
  });
  const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    await runMigrations(ds);
    await ds.query('DELETE FROM rate_limit_rows');
    await ds.query('DELETE FROM rate_limit_slots');
    const database = new Database(ds);
    console.log(`counter benchmark: ${config.database.type}, ${concurrency} concurrent, ${seconds}s each`);
    await counterBench(`${config.database.type} counters`, new DatabaseHitCounter(database), seconds, concurrency);
    const redisUrl = process.env.BENCH_REDIS_URL;
    if (redisUrl) {
      const redis = new RedisHitCounter(redisUrl, `wl-bench:${Date.now()}:`);
      await counterBench('redis', redis, seconds, concurrency);
      await redis.close();
    }
  } finally {
    await ds.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
