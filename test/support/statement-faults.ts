import { loadSqliteDriver } from '../../src/database/sqlite-driver';

type Method = (...args: unknown[]) => unknown;

/**
 * Makes chosen statements fail as a database outage would, at the driver (better-sqlite3's
 * statements, mysql2's connections), so that a test can put the outage exactly between two
 * statements of one request: SQLITE_IOERR on SQLite, a lost connection on MySQL. Nothing is sent to
 * the database for a failed statement.
 */
export class StatementFaults {
  private readonly planned: { pattern: RegExp; times: number; afterRunning: boolean }[] = [];
  private readonly restores: (() => void)[] = [];
  /** The statements that were failed, in order. */
  readonly failed: string[] = [];

  /**
   * The next `times` statements whose text matches `pattern` fail: before reaching the database, or
   * with `afterRunning` once it ran them (the answer lost on the way back).
   */
  fail(pattern: RegExp, times = 1, { afterRunning = false } = {}): this {
    this.planned.push({ pattern, times, afterRunning });
    return this;
  }

  install(): this {
    const shouldFail = (text: unknown): 'before' | 'after' | null => {
      const sql = String(typeof text === 'object' && text !== null ? (text as { sql?: string }).sql : text);
      const plan = this.planned.find((p) => p.times > 0 && p.pattern.test(sql));
      if (!plan) return null;
      plan.times -= 1;
      this.failed.push(sql);
      return plan.afterRunning ? 'after' : 'before';
    };

    const Sqlite = loadSqliteDriver() as new (path: string) => { prepare(text: string): object; close(): void };
    const probe = new Sqlite(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
    probe.close();
    for (const name of ['run', 'all', 'get']) {
      this.patch(
        statementProto,
        name,
        (original) =>
          function (this: { source: string }, ...args: unknown[]) {
            if (shouldFail(this.source)) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
            return original.apply(this, args);
          },
      );
    }

    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Connection } = require('mysql2') as { Connection: { prototype: object } };
    const connectionProto = Object.getPrototypeOf(Connection.prototype) as Record<string, Method>;
    this.patch(
      connectionProto,
      'query',
      (original) =>
        function (this: unknown, ...args: unknown[]) {
          const callback = args.findLast((a) => typeof a === 'function') as Method | undefined;
          if (callback && shouldFail(args[0])) {
            const error = Object.assign(new Error('Connection lost: The server closed the connection.'), {
              code: 'PROTOCOL_CONNECTION_LOST',
            });
            setImmediate(() => callback(error));
            return undefined;
          }
          return original.apply(this, args);
        },
    );
    return this;
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
