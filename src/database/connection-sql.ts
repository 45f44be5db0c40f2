import { MysqlConnection, query, Sql } from './sql-port';

/** The statements of one round trip are joined with this (test/support/statement-counter.ts splits on it). */
export const BATCH_SEPARATOR = ';\n';

interface Statement {
  text: string;
  params: readonly unknown[];
}

interface MysqlResult {
  affectedRows?: number;
}

const BEGIN: Statement = { text: 'START TRANSACTION', params: [] };
const COMMIT: Statement = { text: 'COMMIT', params: [] };
const READ = /^\s*SELECT\b/i;

/**
 * Plain SQL on one held MySQL/MariaDB connection, a transaction's, with write-behind (a unit of work,
 * as ORMs flush one): each statement still runs on its own, in the order it was given, but fewer
 * round trips carry them.
 * - `write` queues a statement whose count nobody reads. The queue goes to the server with the next
 *   SELECT, in one round trip, or on its own before any other statement that answers something
 *   (`rows`, `run`, a TypeORM query on this connection: `flush`), or together with COMMIT.
 * - BEGIN is queued too (`begin`), and goes in front of the transaction's first statement; a
 *   transaction that never needed the database costs no round trip at all.
 * - A queued write that fails fails every later statement on this connection, COMMIT included, so
 *   the transaction rolls back. Queued writes never share a round trip with a statement whose own
 *   error a caller may handle (a duplicate key, say): such an error is always its own.
 * - Outside a transaction (`Database.sqlSession`) each statement commits on its own, as on the pool;
 *   the queue is sent when the session ends.
 * Several statements in one round trip need the connection's multi-statement flag (mysql2's
 * `multipleStatements`, on unless DATABASE_BATCH_STATEMENTS=false); without it the same statements
 * go one per round trip, in the same order, with the same outcome.
 */
export class ConnectionSql implements Sql {
  private queue: Statement[] = [];
  private beginQueued = false;
  /** BEGIN reached the server and no COMMIT or ROLLBACK has yet. */
  private open = false;
  private failure: unknown = null;

  constructor(
    readonly connection: MysqlConnection,
    private readonly timeoutMs: number | undefined,
    private readonly batching: boolean,
  ) {}

  /** Queues BEGIN; it goes with the first statement. */
  begin(): void {
    this.beginQueued = true;
  }

  async rows<T>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.send({ text, params })) as T[];
  }

  async run(text: string, params: readonly unknown[] = []): Promise<number> {
    return ((await this.send({ text, params })) as MysqlResult).affectedRows ?? 0;
  }

  write(text: string, params: readonly unknown[] = []): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.queue.push({ text, params });
    return Promise.resolve();
  }

  /** Sends what is queued, on its own: another client of the connection is about to send a statement. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const head = this.takeQueued();
    if (head.length > 0) await this.sendQueued(head);
  }

  /** The queued writes and COMMIT in one round trip; nothing when nothing reached or awaits the server. */
  async commit(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.open && this.queue.length === 0) {
      this.beginQueued = false;
      return;
    }
    await this.sendQueued([...this.takeQueued(), COMMIT]);
    this.open = false;
  }

  /** Drops the queued writes; ROLLBACK when BEGIN reached the server. */
  async rollback(): Promise<void> {
    this.queue = [];
    this.beginQueued = false;
    if (!this.open) return;
    this.open = false;
    await this.exec([{ text: 'ROLLBACK', params: [] }]);
  }

  private async send(statement: Statement): Promise<unknown> {
    if (this.failure) throw this.failure;
    const head = this.takeQueued();
    const writes = head.length > 1 || (head.length === 1 && head[0] !== BEGIN);
    if (!writes) return this.exec([...head, statement]);
    // A read carries the queued writes ahead of it: no caller goes on after a failed SELECT, so a
    // failure of that round trip is the unit's. Any other statement goes on its own after them, so
    // that its error, which its caller may handle (a duplicate key), is never a queued write's.
    if (READ.test(statement.text)) return this.sendQueued([...head, statement]);
    await this.sendQueued(head);
    return this.exec([statement]);
  }

  private takeQueued(): Statement[] {
    const head = this.beginQueued ? [BEGIN, ...this.queue] : this.queue;
    if (this.beginQueued) this.open = true;
    this.beginQueued = false;
    this.queue = [];
    return head;
  }

  /** Queued statements: their failure is the transaction's. */
  private async sendQueued(statements: Statement[]): Promise<unknown> {
    try {
      return await this.exec(statements);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** One round trip (or, without batching, one per statement); the last statement's result. */
  private async exec(statements: Statement[]): Promise<unknown> {
    if (statements.length === 1 || !this.batching) {
      let result: unknown;
      for (const { text, params } of statements) result = await query(this.connection, text, params, this.timeoutMs);
      return result;
    }
    const text = statements.map((s) => s.text).join(BATCH_SEPARATOR);
    const params = statements.flatMap((s) => s.params);
    const results = (await query(this.connection, text, params, this.timeoutMs)) as unknown[];
    return results[results.length - 1];
  }
}

interface TypeormRunner {
  query(text: string, params?: unknown[], structured?: boolean): Promise<unknown>;
}

/**
 * TypeORM's statements on `runner` go through `sql`: its START TRANSACTION is queued, its COMMIT and
 * ROLLBACK are `sql`'s own (the queued writes ride with COMMIT), and any other statement waits until
 * the queued writes are sent, so that it reads them.
 */
export function shareWithRunner(runner: TypeormRunner, sql: ConnectionSql): void {
  const own = runner.query.bind(runner);
  runner.query = async (text, params, structured) => {
    switch (text) {
      case 'START TRANSACTION':
        sql.begin();
        return undefined;
      case 'COMMIT':
        return sql.commit();
      case 'ROLLBACK':
        return sql.rollback();
      default:
        await sql.flush();
        return own(text, params, structured);
    }
  };
}
