import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { migrateDatabase } from '../../src/database/migrate';
import { MIGRATIONS } from '../../src/database/migrations';
import { createTestDatabase, TestDatabase } from '../support/test-database';

// What `node dist/src/main.js migrate` (npm run migration:run) does, on a database of its own.
describe('the migrate command', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration to an empty database once, then finds nothing to do', async () => {
    const config = loadAppConfig({ DATABASE_URL: db.url, DATA_DIR: '/tmp/wl-unused', GRAPHQL_SCHEMA_FILE: 'off' });
    expect(await migrateDatabase(config)).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await migrateDatabase(config)).toEqual([]);

    const ds = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    try {
      const applied = (await ds.query('SELECT name FROM migrations')) as { name: string }[];
      expect(applied.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      expect(await ds.query('SELECT COUNT(*) AS n FROM users')).toEqual([{ n: expect.anything() }]);
    } finally {
      await ds.destroy();
    }
  });
});
