import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/app-config';
import { MIGRATIONS } from './migrations';

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
      type: 'mysql',
      url: settings.url,
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
    database: settings.path,
    enableWAL: settings.path !== ':memory:',
    timeout: 5000,
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
