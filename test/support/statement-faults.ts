import { BATCH_SEPARATOR } from '../../src/database/connection-sql';
import { loadSqliteDriver } from '../../src/database/sqlite-driver';

type Method = (...args: unknown[]) => unknown;
type Outcome = 'before' | 'after' | null;

/** The plan in force, if any: the driver hooks below ask it about each statement. */
let active: StatementFaults | null = null;
let hooked = false;

/**
 * Makes chosen statements fail as a database outage would, at the driver (better-sqlite3's
 * statements, mysql2's connections), so that a test can put the outage exactly between two
 * statements of one request: SQLITE_IOERR on SQLite, a lost connection on MySQL. Nothing is sent to
 * the database for a statement failed before running.
 *
 * The driver hooks are installed once per process and consult whichever plan is installed: a pooled
 * connection keeps the `query` it saw at its first checkout (query-bounds wraps it), so hooks that
 * came and went with each test would leave later tests' plans unseen on such connections.
 */
export class StatementFaults {
  private readonly planned: { pattern: RegExp; times: number; afterRunning: boolean }[] = [];
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
    hookDrivers();
    active = this;
    return this;
  }

  uninstall(): void {
    if (active === this) active = null;
  }

  /**
   * Whether this statement fails, and when. A round trip of several statements (ConnectionSql's
   * batches) fails whole when one of them is planned to: the connection is lost before it is sent,
   * or, `afterRunning`, once the server ran them all.
   */
  outcomeOf(text: unknown): Outcome {
    const sent = String(typeof text === 'object' && text !== null ? (text as { sql?: string }).sql : text);
    for (const sql of sent.split(BATCH_SEPARATOR)) {
      const plan = this.planned.find((p) => p.times > 0 && p.pattern.test(sql));
      if (!plan) continue;
      plan.times -= 1;
      this.failed.push(sql);
      return plan.afterRunning ? 'after' : 'before';
    }
    return null;
  }
}

function hookDrivers(): void {
  if (hooked) return;
  hooked = true;
  const outcomeOf = (text: unknown): Outcome => active?.outcomeOf(text) ?? null;

  const Sqlite = loadSqliteDriver() as new (path: string) => { prepare(text: string): object; close(): void };
  const probe = new Sqlite(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
  probe.close();
  for (const name of ['run', 'all', 'get']) {
    wrap(
      statementProto,
      name,
      (original) =>
        function (this: { source: string }, ...args: unknown[]) {
          const outcome = outcomeOf(this.source);
          if (outcome === 'before') throw ioError();
          const result = original.apply(this, args);
          if (outcome === 'after') throw ioError();
          return result;
        },
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Connection } = require('mysql2') as { Connection: { prototype: object } };
  const connectionProto = Object.getPrototypeOf(Connection.prototype) as Record<string, Method>;
  wrap(
    connectionProto,
    'query',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const at = args.findLastIndex((a) => typeof a === 'function');
        const outcome = at >= 0 ? outcomeOf(args[0]) : null;
        if (outcome === 'before') {
          const callback = args[at] as Method;
          setImmediate(() => callback(connectionLost()));
          return undefined;
        }
        if (outcome === 'after') {
          const callback = args[at] as Method;
          args[at] = () => callback(connectionLost());
        }
        return original.apply(this, args);
      },
  );
}

function wrap(target: Record<string, Method>, name: string, wrapper: (original: Method) => Method): void {
  const original = target[name];
  if (typeof original === 'function') target[name] = wrapper(original);
}

const ioError = () => Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
const connectionLost = () =>
  Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
