import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migration-runner';
import { createTestDatabase, TestDatabase } from '../support/test-database';

// The entities and the migrations describe the same schema: what `npm run migration:generate` would
// write after the migrations ran must be nothing. A change to one without the other fails here.
describe('entities and migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
    ds = await new DataSource(
      buildDataSourceOptions(config.database, [join(__dirname, '..', '..', 'src', '**', '*.entity.ts')]),
    ).initialize();
    await runMigrations(ds);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('agree: generating a migration finds no change', async () => {
    if (ds.options.type === 'mysql') {
      // TypeORM reads MariaDB's catalogue differently; mysql:// on a MariaDB server shows false drift.
      const [row] = (await ds.query('SELECT VERSION() AS v')) as { v: string }[];
      expect({ server: row.v.includes('MariaDB') ? 'MariaDB: use a mariadb:// URL' : 'MySQL' }).toEqual({
        server: 'MySQL',
      });
    }
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});
