// One "instance" taking counters against one node of a multi-primary cluster; run two at once on two
// nodes to see certification conflicts. Prints outcomes by error code; asserts nothing.
//   node dist-bench/bench/galera-counters.bench.js migrate <port>            (once, on one node)
//   node dist-bench/bench/galera-counters.bench.js new <port> <seconds> <tag>
//   node dist-bench/bench/galera-counters.bench.js race <port> <rounds> <tag> <run>
// new: a send's rule set on the database counters; race: both instances take one phone's cooldown at
// the same instants (exactly one may pass each round). Database `wl_galera` on 127.0.0.1:<port>.
// (The `old` mode, a send's two per-IP rows of `rate_limits`, went with that code; docs/benchmarks.md
// keeps its figures.)
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../src/config/app-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { Database } from '../src/database/database.service';
import { runMigrations } from '../src/database/migration-runner';
import { DatabaseHitCounter } from '../src/rate-limits/database-hit-counter';

const codeOf = (e: unknown): string =>
  (e as { driverError?: { code?: string } })?.driverError?.code ?? (e as { code?: string })?.code ?? 'other';

async function main(): Promise<void> {
  const [mode, port, amount, tag, run] = process.argv.slice(2);
  if (!port) {
    console.log('galera-counters: needs a cluster node (see the header of bench/galera-counters.bench.ts)');
    return;
  }
  const config = loadAppConfig({
    DATA_DIR: '/tmp/wl-unused',
    GRAPHQL_SCHEMA_FILE: 'off',
    DATABASE_URL: `mariadb://root@127.0.0.1:${port}/wl_galera`,
  });
  const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  const database = new Database(ds);
  const counter = new DatabaseHitCounter(database);
  const outcomes: Record<string, number> = {};
  const count = (key: string): void => void (outcomes[key] = (outcomes[key] ?? 0) + 1);
  try {
    if (mode === 'migrate') {
      await runMigrations(ds);
    } else if (mode === 'race') {
      const start = Math.ceil(Date.now() / 1000) * 1000 + 1000;
      for (let k = 0; k < Number(amount); k++) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + k * 300 - Date.now())));
        const bucket = `sms:phone:race-${run}-${k}`;
        await Promise.all(
          [0, 1, 2, 3].map(async () => {
            try {
              const r = await counter.take([{ bucket, limit: 1, windowSeconds: 60, exact: true }], Date.now());
              count(r.taken ? 'taken' : 'refused');
            } catch (error) {
              count(codeOf(error));
            }
          }),
        );
      }
    } else {
      const deadline = Date.now() + Number(amount) * 1000;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; Date.now() < deadline; i++) {
            try {
              const phone = `sms:phone:${tag}-${w}-${i}`;
              const r = await counter.take(
                [
                  { bucket: phone, limit: 1, windowSeconds: 60, exact: true },
                  { bucket: phone, limit: 30, windowSeconds: 86400, exact: true },
                  { bucket: 'sms:ip:10.0.0.1', limit: 1e9, windowSeconds: 60 },
                  { bucket: 'sms:ip:10.0.0.1', limit: 1e9, windowSeconds: 3600 },
                  { bucket: 'sms:prefix:+86139', limit: 1e9, windowSeconds: 3600 },
                  { bucket: 'sms:country:CN', limit: 1e9, windowSeconds: 3600 },
                  { bucket: 'sms:global', limit: 1e9, windowSeconds: 3600 },
                ],
                Date.now(),
              );
              count(r.taken ? 'ok' : 'refused');
            } catch (error) {
              count(codeOf(error));
            }
          }
        }),
      );
    }
    console.log(JSON.stringify({ node: port, mode, outcomes }));
  } finally {
    await ds.destroy();
  }
}

void main();
