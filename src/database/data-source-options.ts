import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { loadSqliteDriver } from './sqlite-driver';

/** MySQL and MariaDB, which TypeORM introspects differently (defaults, index and FK details). */
export function isMysqlFamily(type: string): boolean {
  return type === 'mysql' || type === 'mariadb';
}

// Entities are registered by their feature modules (autoLoadEntities); the CLI DataSource in
// ormconfig.ts adds them by glob.
export function buildDataSourceOptions(
  settings: DatabaseSettings,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  const common = {
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
  } as const;

  if (settings.type === 'mysql') {
    return {
      ...common,
      // mariadb:// selects TypeORM's MariaDB flavour; the wire protocol (mysql2) is the same.
      type: settings.flavor,
      url: settings.url.replace(/^mariadb:/i, 'mysql:'),
      charset: 'utf8mb4_bin',
      timezone: 'Z',
      supportBigNumbers: true,
      // Fail fast when the database is gone, so that requests answer SERVICE_UNAVAILABLE quickly.
      connectTimeout: 2000,
      poolSize: settings.poolSize,
      extra: { enableKeepAlive: true, keepAliveInitialDelay: 10000, maxIdle: settings.poolSize, idleTimeout: 60000 },
    };
  }

  if (settings.path !== ':memory:') mkdirSync(dirname(settings.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    driver: loadSqliteDriver(),
    database: settings.path,
    enableWAL: settings.path !== ':memory:',
    timeout: 5000,
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
