import { DatabaseHitCounter } from '../../src/rate-limits/database-hit-counter';
import { HitCounter } from '../../src/rate-limits/hit-counter';
import { describeSharedLimits } from '../support/shared-limits-cases';
import { startTestApp } from '../support/test-app';

// Issue 11 defect 7 and issue 12: limits are shared through the database (per-phone rows, and the
// busy counts synced once a second), so instances share them. On MySQL/MariaDB (npm run test:mysql) these are two apps with their own pools on one
// database. An embedded SQLite file serves one process, so there both "instances" are one app and
// this only checks the rules; test/redis runs two real apps on two SQLite files sharing Redis.
describeSharedLimits('the database', async (env) => {
  const a = await startTestApp({ env });
  const b =
    a.database.dialect === 'mysql'
      ? await startTestApp({ env, override: (c) => ({ ...a.config, dataDir: c.dataDir }) })
      : a;
  const counters = [...new Set([a, b])].map((t) => t.app.get(HitCounter) as DatabaseHitCounter);
  return {
    a,
    b,
    // Each writes its counts, then each reads the other's.
    share: async () => {
      for (const counter of counters) await counter.sync();
      for (const counter of counters) await counter.sync();
    },
    close: async () => {
      if (b !== a) await b.close();
      await a.close();
    },
  };
});
