import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Database } from '../../src/database/database.service';
import { runMigrations } from '../../src/database/migration-runner';
import { createTestDatabase, TestDatabase } from './test-database';

export interface MigratedDatabase {
  db: TestDatabase;
  ds: DataSource;
  database: Database;
  /** Closes the DataSource and drops the database. */
  close(): Promise<void>;
}

/** A fresh test database (SQLite, or MariaDB under npm run test:mysql), migrated, with the service's Database on it. */
export async function openMigratedDatabase(): Promise<MigratedDatabase> {
  const db = await createTestDatabase();
  const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
  const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  await runMigrations(ds);
  return {
    db,
    ds,
    database: new Database(ds),
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
}
