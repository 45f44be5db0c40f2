import type { DataSource, EntityManager } from 'typeorm';
import { ConnectionSql } from './connection-sql';
import { MysqlConnection, query, Sql } from './sql-port';

export type { MysqlConnection, Sql } from './sql-port';

interface MysqlResult {
  affectedRows?: number;
  changedRows?: number;
}

export interface MysqlPool {
  getConnection(callback: (error: Error | null, connection?: MysqlConnection) => void): void;
}

/** A connection of the pool (bounded by boundPoolCheckout); give it back with release() or destroy(). */
export function checkout(pool: MysqlPool): Promise<MysqlConnection> {
  return new Promise((resolve, reject) =>
    pool.getConnection((error, conn) => (error ? reject(error) : resolve(conn!))),
  );
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteDatabase {
  prepare(text: string): SqliteStatement;
}

const STATEMENT_CACHE = 200;

/** SQL on MySQL/MariaDB: each call on a pooled connection, or on one held connection (a transaction). */
export class MysqlSql implements Sql {
  constructor(
    private readonly source: { pool: MysqlPool } | { connection: MysqlConnection },
    private readonly timeoutMs: number | undefined,
  ) {}

  async rows<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.exec(text, params)) as T[];
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    const result = (await this.exec(text, params)) as MysqlResult;
    return result.affectedRows ?? 0;
  }

  async write(text: string, params: readonly unknown[] = []): Promise<void> {
    await this.exec(text, params);
  }

  private async exec(text: string, params: readonly unknown[]): Promise<unknown> {
    if ('connection' in this.source) return query(this.source.connection, text, params, this.timeoutMs);
    const connection = await checkout(this.source.pool);
    try {
      const result = await query(connection, text, params, this.timeoutMs);
      connection.release();
      return result;
    } catch (error) {
      // A query that timed out leaves its connection waiting for the answer: never reuse it.
      if ((error as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') connection.destroy();
      else connection.release();
      throw error;
    }
  }
}

/**
 * SQL on SQLite (better-sqlite3, synchronous). Statements are prepared once and cached. The one
 * connection is shared with TypeORM's transactions, so a call outside a transaction must take its
 * turn (`turn`), or it would run inside whichever transaction is open.
 */
export class SqliteSql implements Sql {
  private static readonly caches = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly turn: (<T>(work: () => T) => Promise<T>) | null,
  ) {}

  rows<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.inTurn(() => {
      const statement = this.statement(text);
      if (!statement.reader) {
        statement.run(...params.map(sqliteValue));
        return [] as T[];
      }
      return statement.all(...params.map(sqliteValue)) as T[];
    });
  }

  run(text: string, params: readonly unknown[] = []): Promise<number> {
    return this.inTurn(() => {
      const statement = this.statement(text);
      if (statement.reader) return statement.all(...params.map(sqliteValue)).length;
      return statement.run(...params.map(sqliteValue)).changes;
    });
  }

  async write(text: string, params: readonly unknown[] = []): Promise<void> {
    await this.run(text, params);
  }

  private inTurn<T>(work: () => T): Promise<T> {
    if (this.turn) return this.turn(work);
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private statement(text: string): SqliteStatement {
    let cache = SqliteSql.caches.get(this.db);
    if (!cache) SqliteSql.caches.set(this.db, (cache = new Map()));
    let statement = cache.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    }
    return statement;
  }
}

/** A parameter as TypeORM writes it on SQLite: DATETIME as 'YYYY-MM-DD HH:MM:SS.SSS' UTC text. */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

/** The driver-level handles of a DataSource. */
export function driverHandles(dataSource: DataSource): { pool?: MysqlPool; sqlite?: SqliteDatabase } {
  const driver = dataSource.driver as unknown as { pool?: MysqlPool; databaseConnection?: SqliteDatabase };
  return driver.pool ? { pool: driver.pool } : { sqlite: driver.databaseConnection };
}

const held = new WeakMap<object, ConnectionSql>();

/** `sql` is the plain SQL of the transaction `runner` holds: `sqlIn` of its manager answers it. */
export function holdSql(runner: object, sql: ConnectionSql): void {
  held.set(runner, sql);
}

/** Plain SQL on the connection of a transaction TypeORM opened (`Database.transaction`'s manager). */
export function sqlIn(manager: EntityManager, timeoutMs?: number): Sql {
  const { sqlite } = driverHandles(manager.connection);
  // SQLite: one connection, which the open transaction holds.
  if (sqlite) return new SqliteSql(sqlite, null);
  const own = manager.queryRunner && held.get(manager.queryRunner);
  if (own) return own;
  const connection = (manager.queryRunner as unknown as { databaseConnection?: MysqlConnection } | undefined)
    ?.databaseConnection;
  if (!connection) throw new Error('sqlIn needs the manager of an open transaction');
  return new MysqlSql({ connection }, timeoutMs);
}

/** Where a hot-path write runs: a TypeORM transaction's manager, or plain SQL (autocommit or `sqlIn`). */
export type SqlTarget = EntityManager | Sql;

export function asSql(target: SqlTarget): Sql {
  return 'rows' in target && 'run' in target ? target : sqlIn(target);
}

/** Raw queries return DATETIME as a Date (mysql2) or as 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (SQLite). */
export function parseDbDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(`${value.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'}`);
}
