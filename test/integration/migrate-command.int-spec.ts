import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../../src/config/app-config';
import { createDatabaseIfMissing, DatabaseCreationError } from '../../src/database/create-database';
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

  // MySQL/MariaDB: the database is created (utf8mb4, binary collation); SQLite: the file and its folder.
  it('creates a database that does not exist yet, then migrates it', async () => {
    const created: string[] = [];
    if (db.dialect === 'sqlite') {
      const file = join(mkdtempSync(join(tmpdir(), 'wl-migrate-')), 'new', 'db.sqlite');
      const config = loadAppConfig({ DATABASE_URL: `sqlite:${file}`, DATA_DIR: '/tmp/wl-unused' });
      expect(await migrateDatabase(config, (name) => created.push(name))).toHaveLength(MIGRATIONS.length);
      expect(existsSync(file)).toBe(true);
      expect(created).toEqual([]);
      return;
    }
    const url = new URL(db.url);
    const name = `${url.pathname.slice(1)}_new`.slice(0, 64);
    url.pathname = `/${name}`;
    const config = loadAppConfig({ DATABASE_URL: url.toString(), DATA_DIR: '/tmp/wl-unused' });
    url.pathname = '/';
    const server = await createConnection({ uri: url.toString().replace(/^mariadb:/, 'mysql:') });
    try {
      expect(await migrateDatabase(config, (n) => created.push(n))).toEqual(MIGRATIONS.map((m) => m.name));
      expect(created).toEqual([name]);
      const [rows] = await server.query(
        'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [name],
      );
      expect(rows).toEqual([{ cs: 'utf8mb4', co: 'utf8mb4_bin' }]);
      // Once there, nothing to create and nothing to apply.
      expect(await migrateDatabase(config, (n) => created.push(n))).toEqual([]);
      expect(created).toEqual([name]);
    } finally {
      await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await server.end();
    }
  });

  it('says what to run when the user may not create the database, naming no password', async () => {
    const unknown = Object.assign(new Error("Unknown database 'shop'"), { code: 'ER_BAD_DB_ERROR' });
    const denied = Object.assign(new Error('Access denied'), { code: 'ER_DBACCESS_DENIED_ERROR' });
    const uris: string[] = [];
    const connect = async (uri: string) => {
      uris.push(uri);
      if (uris.length === 1) throw unknown;
      return { query: () => Promise.reject(denied), end: () => Promise.resolve() };
    };
    const failure = await createDatabaseIfMissing('mariadb://app:s3cret-pw@db.internal:3306/shop', connect).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseCreationError);
    const message = (failure as Error).message;
    expect(message).toContain('database "shop" does not exist, and user "app" may not create it');
    expect(message).toContain('CREATE DATABASE IF NOT EXISTS `shop` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;');
    expect(message).toContain("GRANT ALL PRIVILEGES ON `shop`.* TO 'app'@'%';");
    expect(message).not.toContain('s3cret-pw');
    expect(uris).toEqual(['mysql://app:s3cret-pw@db.internal:3306/shop', 'mysql://app:s3cret-pw@db.internal:3306/']);
  });

  it('leaves an existing database alone and lets other connection errors through to TypeORM', async () => {
    const queries: string[] = [];
    const ok = async () => ({ query: async (sql: string) => void queries.push(sql), end: async () => undefined });
    expect(await createDatabaseIfMissing('mysql://app@db/shop', ok)).toBeNull();
    const refused = async () => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    expect(await createDatabaseIfMissing('mysql://app@db/shop', refused)).toBeNull();
    expect(queries).toEqual([]);
  });
});
