import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

export interface TestDatabase {
  /** A DATABASE_URL for a fresh, empty database. */
  url: string;
  dialect: 'sqlite' | 'mysql';
  drop(): Promise<void>;
}

/**
 * One fresh database per test file: a temporary SQLite file by default, or, when TEST_DATABASE_URL
 * names a MySQL server (npm run test:mysql), a new database on that server named after it.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const mysqlUrl = process.env.TEST_DATABASE_URL;
  if (mysqlUrl && /^(mysql|mariadb):/.test(mysqlUrl)) {
    const server = new URL(mysqlUrl.replace(/^mariadb:/, 'mysql:'));
    const base = server.pathname.replace(/^\//, '') || 'wechat_login_test';
    const name = `${base}_${randomBytes(5).toString('hex')}`.slice(0, 64);
    server.pathname = '';
    const admin = await createConnection({ uri: server.toString() });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const url = new URL(server.toString());
    url.pathname = `/${name}`;
    // Keep the scheme: mariadb:// selects TypeORM's MariaDB flavour.
    const scheme = mysqlUrl.match(/^(mysql|mariadb):/)![1];
    return {
      url: url.toString().replace(/^mysql:/, `${scheme}:`),
      dialect: 'mysql',
      drop: async () => {
        const conn = await createConnection({ uri: server.toString() });
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await conn.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'wl-db-'));
  return {
    url: `sqlite:${join(dir, 'test.sqlite')}`,
    dialect: 'sqlite',
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
