import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { DatabaseRetrySettings } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { isMysqlFamily } from './data-source-options';
import { withinBudget } from '../common/database-budget';
import { currentDatabaseBudget } from '../common/request-context';
import { classifyDatabaseError, DatabaseTimeoutError } from './database-errors';
import { boundPoolCheckout } from './query-bounds';
import { ConnectionSql, shareWithRunner } from './connection-sql';
import { checkout, driverHandles, holdSql, MysqlConnection, MysqlPool, MysqlSql, Sql, SqliteSql } from './sql';

const DEFAULT_RETRY: DatabaseRetrySettings = { attempts: 10, baseMs: 10, maxMs: 500 };
// A lost connection before COMMIT is tried again on a fresh connection (behind a proxy, another
// node), but only briefly: a node that is down stays down for longer than a request should wait.
const UNAVAILABLE_ATTEMPTS = 3;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;

/** Counters since boot, for metrics and the load test's figures. */
export interface TransactionRetryStats {
  /** Transactions run again after a deadlock / lock wait timeout / certification failure. */
  conflictRetries: number;
  /** Transactions run again after a lost connection or an unready node, before their COMMIT. */
  unavailableRetries: number;
  /** Transactions that still lost after every try. */
  exhausted: number;
}

/**
 * The transaction helper. Every write goes through `transaction`, single statements included:
 * - on SQLite, TypeORM shares one connection, so two interleaved transactions would nest as
 *   savepoints of each other; here they queue instead, and a turn not reached within
 *   DATABASE_ACQUIRE_TIMEOUT_MS answers "database unavailable" (MySQL's pool checkout has the same bound);
 * - on MySQL / MariaDB, and on multi-primary clusters (Galera, Group Replication), a transaction that
 *   lost a deadlock, a lock wait or a certification at COMMIT was rolled back whole by the server:
 *   `work` is run again from the start, with jittered exponential backoff, up to
 *   DATABASE_RETRY_ATTEMPTS tries. `work` must therefore only touch the database through `manager`
 *   (no outbound HTTP, no SMS, no in-memory counters): a retry re-runs it whole, and only the
 *   committed run counts. A connection lost during COMMIT is never retried (the commit may have
 *   happened); it surfaces as "database unavailable".
 */
@Injectable()
export class Database {
  private readonly logger = new Logger(Database.name);
  private queue: Promise<unknown> = Promise.resolve();
  private readonly serialize: boolean;
  private readonly retry: DatabaseRetrySettings;
  private readonly acquireTimeoutMs: number;
  readonly stats: TransactionRetryStats = { conflictRetries: 0, unavailableRetries: 0, exhausted: 0 };
  private readonly queryTimeoutMs: number | undefined;
  /** Several statements per round trip in a transaction (DATABASE_BATCH_STATEMENTS). */
  private readonly batching: boolean;
  private autocommit: Sql | null = null;

  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    @Optional() config?: AppConfig,
  ) {
    this.serialize = !isMysqlFamily(dataSource.options.type);
    this.retry = config?.get('databaseRetry') ?? DEFAULT_RETRY;
    this.acquireTimeoutMs = config?.get('database')?.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
    this.queryTimeoutMs = config?.get('database')?.queryTimeoutMs;
    this.batching = (dataSource.options as { multipleStatements?: boolean }).multipleStatements === true;
    boundPoolCheckout(dataSource, this.acquireTimeoutMs);
  }

  /** INSERT/DELETE ... RETURNING: MariaDB (10.5+) and SQLite have it, MySQL does not. */
  get returning(): boolean {
    return this.serialize || this.dataSource.options.type === 'mariadb';
  }

  get dialect(): 'mysql' | 'sqlite' {
    return this.serialize ? 'sqlite' : 'mysql';
  }

  /**
   * Plain SQL, each statement on its own (autocommit): for a single statement that is atomic by
   * itself, without a transaction's BEGIN and COMMIT round trips. See `Sql`.
   */
  get sql(): Sql {
    if (this.autocommit) return this.autocommit;
    const handles = driverHandles(this.dataSource);
    this.autocommit = handles.pool
      ? new MysqlSql({ pool: handles.pool }, this.queryTimeoutMs)
      : new SqliteSql(handles.sqlite!, (work) => this.turn(work));
    return this.autocommit;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialize) return this.withRetry((phase) => this.runOnce(work, phase));
    return this.turn(() => this.dataSource.transaction(work));
  }

  /** SQLite: runs `work` when no transaction holds the one connection (bounded wait). */
  private turn<T>(work: () => T | Promise<T>): Promise<T> {
    // SQLite's queue is its pool: a turn not reached within the bound (or the request's database
    // budget) is given up (and skipped).
    const budget = currentDatabaseBudget();
    if (budget && budget.remainingMs() <= 0) return Promise.reject(new DatabaseTimeoutError('budget', budget.totalMs));
    const boundMs = withinBudget(budget, this.acquireTimeoutMs);
    const end = budget?.begin();
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        gaveUp = true;
        reject(new DatabaseTimeoutError(boundMs < this.acquireTimeoutMs ? 'budget' : 'queue', boundMs));
      }, boundMs);
    });
    const run = this.queue.then(() => {
      clearTimeout(timer);
      return gaveUp ? (undefined as T) : work();
    });
    this.queue = run.catch(() => undefined);
    const result = Promise.race([run, waited]);
    if (end) result.then(end, end);
    return result;
  }

  /** Resolves when the database answers within `timeoutMs`; rejects otherwise. */
  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.dataSource.query('SELECT 1'), timeoutMs);
  }

  /** The backoff before try `attempt + 1`: full jitter over an exponential ceiling. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1));
    return Math.round(Math.random() * ceiling);
  }

  /**
   * A transaction of plain SQL only (no TypeORM runner, no entity manager): the same retry rules and
   * the same SQLite queue as `transaction`, for hot paths whose every statement is plain SQL.
   */
  sqlTransaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const handles = driverHandles(this.dataSource);
    if (handles.sqlite) {
      const sql = new SqliteSql(handles.sqlite, null);
      return this.turn(async () => {
        await sql.run('BEGIN');
        try {
          const result = await work(sql);
          await sql.run('COMMIT');
          return result;
        } catch (error) {
          await sql.run('ROLLBACK');
          throw error;
        }
      });
    }
    return this.withRetry((phase) => this.runOnceSql(handles.pool!, work, phase));
  }

  /**
   * Plain SQL on one held connection, each statement committing on its own as on `sql`, for a run of
   * statements that stand alone: writes queued with `Sql.write` ride with the next SELECT or go
   * together at the end (ConnectionSql), in fewer round trips. Queued writes not yet sent when `work`
   * fails are dropped. SQLite: `sql` itself.
   */
  async sqlSession<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const { pool } = driverHandles(this.dataSource);
    if (!pool) return work(this.sql);
    return this.onConnection(pool, { committing: false }, async (sql) => {
      const result = await work(sql);
      await sql.flush();
      return result;
    });
  }

  private runOnceSql<T>(pool: MysqlPool, work: (sql: Sql) => Promise<T>, phase: { committing: boolean }): Promise<T> {
    return this.onConnection(pool, phase, async (sql) => {
      sql.begin();
      const result = await work(sql);
      phase.committing = true;
      await sql.commit();
      return result;
    });
  }

  /** `work` on a ConnectionSql of one pooled connection; on failure its queue is dropped (and rolled back). */
  private async onConnection<T>(
    pool: MysqlPool,
    phase: { committing: boolean },
    work: (sql: ConnectionSql) => Promise<T>,
  ): Promise<T> {
    const connection = await checkout(pool);
    const sql = new ConnectionSql(connection, this.queryTimeoutMs, this.batching);
    try {
      const result = await work(sql);
      connection.release();
      return result;
    } catch (error) {
      await sql.rollback().catch(() => undefined);
      if (unsafeToReuse(error, phase)) connection.destroy();
      else connection.release();
      throw error;
    }
  }

  /**
   * Tries `once` again while the error allows it and, in a request, while its database budget has
   * room for the backoff: a request never waits on the database longer than its budget in all.
   */
  private async withRetry<T>(once: (phase: { committing: boolean }) => Promise<T>): Promise<T> {
    const budget = currentDatabaseBudget();
    for (let attempt = 1; ; attempt++) {
      const phase = { committing: false };
      if (budget && budget.remainingMs() <= 0) throw new DatabaseTimeoutError('budget', budget.totalMs);
      try {
        return await (budget ? budget.track(() => once(phase)) : once(phase));
      } catch (error) {
        const kind = classifyDatabaseError(error);
        const waitMs = this.backoffMs(attempt);
        const again =
          (!budget || budget.remainingMs() > waitMs) &&
          (kind === 'conflict'
            ? attempt < this.retry.attempts
            : kind === 'unavailable' &&
              !phase.committing &&
              attempt < Math.min(UNAVAILABLE_ATTEMPTS, this.retry.attempts));
        if (!again) {
          if (kind === 'conflict') {
            this.stats.exhausted += 1;
            this.logger.warn(`transaction lost ${attempt} times in a row (deadlock / certification); giving up`);
          }
          throw error;
        }
        if (kind === 'conflict') this.stats.conflictRetries += 1;
        else this.stats.unavailableRetries += 1;
        await (budget ? budget.track(() => sleep(waitMs)) : sleep(waitMs));
      }
    }
  }

  /**
   * A TypeORM transaction whose BEGIN, COMMIT and plain SQL go through one ConnectionSql: `sqlIn` of
   * its manager answers it, and TypeORM's own statements on the runner keep their order with it.
   */
  private async runOnce<T>(work: (manager: EntityManager) => Promise<T>, phase: { committing: boolean }): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let connection: MysqlConnection | null = null;
    try {
      connection = (await runner.connect()) as MysqlConnection;
      const sql = new ConnectionSql(connection, this.queryTimeoutMs, this.batching);
      holdSql(runner, sql);
      shareWithRunner(runner, sql);
      await runner.startTransaction();
      const result = await work(runner.manager);
      phase.committing = true;
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (connection && unsafeToReuse(error, phase)) connection.destroy();
      throw error;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}

/**
 * A connection whose query timed out still waits for that answer, and one lost during COMMIT is in
 * an unknown state: neither goes back to the pool. An error the server itself answered leaves the
 * connection sound.
 */
function unsafeToReuse(error: unknown, phase: { committing: boolean }): boolean {
  const { code, sqlState } = error as { code?: string; sqlState?: string };
  if (code === 'PROTOCOL_SEQUENCE_TIMEOUT') return true;
  return phase.committing && typeof sqlState !== 'string';
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs}ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
