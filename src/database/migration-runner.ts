import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import { isMysqlFamily } from './data-source-options';
import { classifyDatabaseError, isUniqueViolation } from './database-errors';

const LOCK_TABLE = 'migration_lock';
const LOCK_ID = 'migrations';

export interface MigrationLockOptions {
  /** A lock row older than this is a crashed holder's: the next instance takes it over. */
  ttlSeconds: number;
  /** How long an instance waits for another one's migrations before its boot fails. */
  waitSeconds: number;
  /** Pause between tries while another instance holds the lock. */
  pollMs: number;
}

const DEFAULTS: MigrationLockOptions = { ttlSeconds: 60, waitSeconds: 600, pollMs: 250 };

/**
 * Runs pending migrations once, however many instances boot together.
 *
 * On MySQL / MariaDB the instances serialize on a lock row: each tries to INSERT the one row of
 * `migration_lock` (primary key `id`); the winner runs the migrations while it renews its lease, then
 * deletes the row; the others wait and then find nothing left to do. This holds across the nodes of
 * a multi-primary cluster, where GET_LOCK and FOR UPDATE do not: two inserts of one key on two Galera
 * nodes cannot both commit (one fails certification), and under Group Replication likewise. A holder
 * that dies leaves a row whose lease runs out after `ttlSeconds`.
 *
 * On Galera the migration session also sets wsrep_sync_wait, so that it reads the `migrations`
 * table after every earlier commit of the cluster has been applied on its node.
 *
 * SQLite is the single-instance embedded default: migrations run directly.
 */
export async function runMigrations(
  dataSource: DataSource,
  logger = new Logger('Migrations'),
  options: Partial<MigrationLockOptions> = {},
): Promise<string[]> {
  if (!isMysqlFamily(dataSource.options.type)) {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const settings = { ...DEFAULTS, ...options };
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`.slice(-64);
  const runner = dataSource.createQueryRunner();
  let renewal: NodeJS.Timeout | undefined;
  try {
    await runner.connect();
    if (await isGalera(runner)) await runner.query('SET SESSION wsrep_sync_wait = 1');
    await ensureLockTable(runner);
    await acquire(runner, owner, settings, logger);
    renewal = setInterval(
      () => {
        void runner
          .query(`UPDATE ${LOCK_TABLE} SET expires_at = NOW(3) + INTERVAL ? SECOND WHERE id = ? AND owner = ?`, [
            settings.ttlSeconds,
            LOCK_ID,
            owner,
          ])
          .catch((error: unknown) => logger.warn(`could not renew the migration lock: ${String(error)}`));
      },
      Math.max(1000, (settings.ttlSeconds * 1000) / 3),
    );
    renewal.unref();
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      return (await executor.executePendingMigrations()).map((m) => m.name);
    } finally {
      clearInterval(renewal);
      await runner
        .query(`DELETE FROM ${LOCK_TABLE} WHERE id = ? AND owner = ?`, [LOCK_ID, owner])
        .catch((error: unknown) => logger.warn(`could not release the migration lock (it expires): ${String(error)}`));
    }
  } finally {
    clearInterval(renewal);
    await runner.release();
  }
}

async function isGalera(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query("SHOW GLOBAL STATUS LIKE 'wsrep_provider_name'")) as { Value?: string }[];
  return Boolean(rows[0]?.Value);
}

// Not a migration: the lock has to exist before any migration runs. IF NOT EXISTS makes concurrent
// creation harmless (on Galera, DDL is applied in one total order on every node).
async function ensureLockTable(runner: QueryRunner): Promise<void> {
  await runner.query(
    `CREATE TABLE IF NOT EXISTS ${LOCK_TABLE} (
       id VARCHAR(64) NOT NULL PRIMARY KEY,
       owner VARCHAR(64) NOT NULL,
       acquired_at DATETIME(3) NOT NULL,
       expires_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  );
}

async function acquire(
  runner: QueryRunner,
  owner: string,
  settings: MigrationLockOptions,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + settings.waitSeconds * 1000;
  let announced = false;
  for (;;) {
    try {
      // A crashed holder's row: its lease ran out.
      await runner.query(`DELETE FROM ${LOCK_TABLE} WHERE id = ? AND expires_at < NOW(3)`, [LOCK_ID]);
      await runner.query(
        `INSERT INTO ${LOCK_TABLE} (id, owner, acquired_at, expires_at) VALUES (?, ?, NOW(3), NOW(3) + INTERVAL ? SECOND)`,
        [LOCK_ID, owner, settings.ttlSeconds],
      );
      return;
    } catch (error) {
      // Held by another instance (duplicate key), or we lost the race on another node (certification).
      if (!isUniqueViolation(error) && classifyDatabaseError(error) !== 'conflict') throw error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`could not take the migration lock within ${settings.waitSeconds}s (table ${LOCK_TABLE})`);
    }
    if (!announced) {
      logger.log('another instance is running the migrations; waiting');
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, settings.pollMs * (0.5 + Math.random())));
  }
}
