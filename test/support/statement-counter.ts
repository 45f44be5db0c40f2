import { currentRequestId } from '../../src/common/request-context';
import { BATCH_SEPARATOR } from '../../src/database/connection-sql';
import { loadSqliteDriver } from '../../src/database/sqlite-driver';

type Method = (...args: unknown[]) => unknown;

/**
 * Counts every statement sent to the database (BEGIN / START TRANSACTION and COMMIT included),
 * grouped by the request that issued it (its X-Request-Id). Statements outside any request (timers,
 * background jobs) are grouped under ''. It patches the drivers themselves (better-sqlite3's
 * statements and mysql2's connections), so TypeORM and the plain SQL layer are both seen. A round
 * trip that carries several statements (ConnectionSql's batches) counts each of them, and once in
 * `roundTripsOf`.
 */
export class StatementCounter {
  private readonly byRequest = new Map<string, string[]>();
  private readonly tripsByRequest = new Map<string, number>();
  private readonly restores: (() => void)[] = [];

  install(): this {
    const record = (text: unknown) => {
      const key = currentRequestId() ?? '';
      const list = this.byRequest.get(key) ?? [];
      const sent = String(typeof text === 'object' && text !== null ? (text as { sql?: string }).sql : text);
      list.push(...sent.split(BATCH_SEPARATOR));
      this.byRequest.set(key, list);
      this.tripsByRequest.set(key, (this.tripsByRequest.get(key) ?? 0) + 1);
    };

    // better-sqlite3: every execution goes through a Statement (TypeORM and SqliteSql both prepare).
    const Sqlite = loadSqliteDriver() as new (path: string) => { prepare(text: string): object; close(): void };
    const probe = new Sqlite(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
    probe.close();
    for (const name of ['run', 'all', 'get', 'iterate']) {
      this.patch(
        statementProto,
        name,
        (original) =>
          function (this: { source: string }, ...args: unknown[]) {
            record(this.source);
            return original.apply(this, args);
          },
      );
    }

    // mysql2: TypeORM and MysqlSql both call connection.query.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Connection } = require('mysql2') as { Connection: { prototype: object } };
    const connectionProto = Object.getPrototypeOf(Connection.prototype) as Record<string, Method>;
    for (const name of ['query', 'execute']) {
      this.patch(
        connectionProto,
        name,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            record(args[0]);
            return original.apply(this, args);
          },
      );
    }
    return this;
  }

  /** The statements a request issued, in order. */
  statementsOf(requestId: string): string[] {
    return this.byRequest.get(requestId) ?? [];
  }

  /** How many times the request went to the database (a batch of statements is one). */
  roundTripsOf(requestId: string): number {
    return this.tripsByRequest.get(requestId) ?? 0;
  }

  uninstall(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
  }

  private patch(target: Record<string, Method>, name: string, wrap: (original: Method) => Method): void {
    const original = target[name];
    if (typeof original !== 'function') return;
    target[name] = wrap(original);
    this.restores.push(() => {
      target[name] = original;
    });
  }
}
