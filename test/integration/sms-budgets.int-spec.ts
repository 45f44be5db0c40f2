import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Database } from '../../src/database/database.service';
import { runMigrations } from '../../src/database/migration-runner';
import { DatabaseHitCounter } from '../../src/rate-limits/database-hit-counter';
import { describeSmsBudgets } from '../support/sms-budget-cases';
import { createTestDatabase } from '../support/test-database';

// The budgets table against the database counter (SQLite here, MariaDB under npm run test:mysql).
describeSmsBudgets('the database', async () => {
  const db = await createTestDatabase();
  const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
  const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  await runMigrations(ds);
  return {
    counter: new DatabaseHitCounter(new Database(ds)),
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
});
