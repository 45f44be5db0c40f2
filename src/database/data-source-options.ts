import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseSettings } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { DropTimedOutConnections } from './query-bounds';
import { TypeormLogger } from './typeorm-logger';
import { loadSqliteDriver } from './sqlite-driver';

/** MySQL and MariaDB, which TypeORM introspects differently (defaults, index and FK details). */
export function isMysqlFamily(type: string): boolean {
  return type === 'mysql' || type === 'mariadb';
}

// Entities are registered by their feature modules (autoLoadEntities); the CLI DataSource in
// ormconfig.ts adds them by glob. Every query of the service is bounded by DATABASE_QUERY_TIMEOUT_MS;
// migrations (the CLI, and the boot step) run without that bound: a schema change may take long.
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
    logger: new TypeormLogger(),
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
      // No stack captured per query (mysql2's default): errors are classified by code, not call site.
      trace: false,
      // A database that is gone or stalled answers SERVICE_UNAVAILABLE within these bounds: opening a
      // connection, and each query (mysql2's per-query timeout; DropTimedOutConnections then drops the
      // connection). Pool checkouts are bounded by boundPoolCheckout once the pool exists.
      connectTimeout: Math.min(settings.acquireTimeoutMs, 10_000),
      enableQueryTimeout: true,
      maxQueryExecutionTime: settings.queryTimeoutMs,
      subscribers: [DropTimedOutConnections],
      poolSize: settings.poolSize,
      // A transaction's queued writes and its COMMIT go in one round trip (ConnectionSql). Every
      // statement of the service is a constant text with `?` placeholders (src/database/queries).
      multipleStatements: settings.batchStatements,
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
    // better-sqlite3's busy timeout: the longest wait for a lock another process holds.
    timeout: settings.queryTimeoutMs,
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}

/** The same options without the per-query bound, for migrations. */
export function withoutQueryBound<T extends DataSourceOptions>(options: T): T {
  if (!isMysqlFamily(options.type)) return options;
  return { ...options, enableQueryTimeout: false, maxQueryExecutionTime: undefined, subscribers: [] };
}
