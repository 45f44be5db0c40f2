import { isAbsolute, resolve } from 'node:path';
import { bool, defineVariables, EnvReader, int, safeUrl, secret } from '../env-reader';

// The database: MySQL/MariaDB in production, SQLite under DATA_DIR in the sandbox; the bounds on each
// query and connection wait, and the retries of transactions that lost a deadlock.

export const DATABASE_VARIABLES = defineVariables({
  DATABASE_URL: secret('mysql://… or mariadb://… (required in production); default SQLite under DATA_DIR'),
  DATABASE_POOL_SIZE: int('MySQL connection pool size (default 10)', 10, 1, 500),
  DATABASE_BATCH_STATEMENTS: bool(
    "MySQL: a transaction's queued writes and its COMMIT share one round trip (multi-statement queries); false for a proxy that refuses them (default true)",
    true,
  ),
  DATABASE_QUERY_TIMEOUT_MS: int(
    'longest a query may take; then SERVICE_UNAVAILABLE (default 5000; SQLite: busy wait)',
    5000,
    100,
    600_000,
  ),
  DATABASE_ACQUIRE_TIMEOUT_MS: int(
    'longest wait for a database connection; then SERVICE_UNAVAILABLE (default 5000)',
    5000,
    100,
    600_000,
  ),
  // A stalled database answers SERVICE_UNAVAILABLE within about 3 s (issue 18).
  DATABASE_REQUEST_BUDGET_MS: int(
    "a request's total time on the database, in ms: checkouts, queries and retries (default 2500)",
    2500,
    100,
    600_000,
  ),
  DATABASE_RETRY_ATTEMPTS: int(
    'tries of a transaction that lost a deadlock or a cluster certification (default 10)',
    10,
    1,
    100,
  ),
  DATABASE_RETRY_BASE_MS: int('first retry backoff in ms, doubled per try, jittered (default 10)', 10, 1, 10_000),
  DATABASE_RETRY_MAX_MS: int('longest retry backoff in ms (default 500)', 500, 1, 60_000),
});
const V = DATABASE_VARIABLES;

/** How long one query, and one wait for a connection (a pool checkout, or SQLite's queue), may take. */
export interface DatabaseBounds {
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
  /** A request's total time on the database: checkouts, queries and retries (DatabaseBudget). */
  requestBudgetMs?: number;
}

export type DatabaseSettings = DatabaseBounds &
  (
    | { type: 'sqlite'; path: string }
    | { type: 'mysql'; flavor: 'mysql' | 'mariadb'; url: string; poolSize: number; batchStatements: boolean }
  );

export interface DatabaseRetrySettings {
  /** Tries in all, the first included. */
  attempts: number;
  /** Backoff before try n+1: a random wait up to min(maxMs, baseMs * 2^(n-1)). */
  baseMs: number;
  maxMs: number;
}

export function readDatabase(reader: EnvReader, production: boolean, dataDir: string): DatabaseSettings {
  const problems = reader.problems;
  const raw = reader.string(V.DATABASE_URL);
  const poolSize = reader.int(V.DATABASE_POOL_SIZE);
  const bounds: DatabaseBounds = {
    queryTimeoutMs: reader.int(V.DATABASE_QUERY_TIMEOUT_MS),
    acquireTimeoutMs: reader.int(V.DATABASE_ACQUIRE_TIMEOUT_MS),
    requestBudgetMs: reader.int(V.DATABASE_REQUEST_BUDGET_MS),
  };
  if (raw === undefined) {
    if (production) problems.push('DATABASE_URL: required in production (mysql://user:password@host:3306/database)');
    return { ...bounds, type: 'sqlite', path: resolve(dataDir, 'wechat-login.sqlite') };
  }
  if (/^(mysql|mariadb):\/\//i.test(raw)) {
    const url = safeUrl(raw);
    if (!url || url.pathname.length < 2) {
      problems.push('DATABASE_URL: mysql://user:password@host:3306/database, with the database name');
    }
    const flavor = /^mariadb:/i.test(raw) ? 'mariadb' : 'mysql';
    return {
      ...bounds,
      type: 'mysql',
      flavor,
      url: raw,
      poolSize,
      batchStatements: reader.bool(V.DATABASE_BATCH_STATEMENTS),
    };
  }
  if (/^sqlite:/i.test(raw)) {
    if (production) problems.push('DATABASE_URL: production runs on MySQL (mysql://...), not SQLite');
    const path = raw.replace(/^sqlite:(\/\/)?/i, '');
    if (path === '') problems.push('DATABASE_URL: sqlite:<file path> or sqlite::memory:');
    return {
      ...bounds,
      type: 'sqlite',
      path: path === ':memory:' || isAbsolute(path) ? path : resolve(dataDir, '..', path),
    };
  }
  problems.push('DATABASE_URL: must start with mysql:// (or sqlite: outside production)');
  return { ...bounds, type: 'sqlite', path: resolve(dataDir, 'wechat-login.sqlite') };
}

export function readDatabaseRetry(reader: EnvReader): DatabaseRetrySettings {
  return {
    attempts: reader.int(V.DATABASE_RETRY_ATTEMPTS),
    baseMs: reader.int(V.DATABASE_RETRY_BASE_MS),
    maxMs: reader.int(V.DATABASE_RETRY_MAX_MS),
  };
}
