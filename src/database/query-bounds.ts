import { DataSource, EventSubscriber, EntitySubscriberInterface } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { withinBudget } from '../common/database-budget';
import { currentDatabaseBudget } from '../common/request-context';
import { DatabaseTimeoutError } from './database-errors';

interface PooledConnection {
  release(): void;
  destroy(): void;
  query?: (...args: unknown[]) => unknown;
  budgeted?: boolean;
}

type GetConnection = (callback: (error: Error | null, connection?: PooledConnection) => void) => void;

/**
 * mysql2 ends a query that outlived its timeout with PROTOCOL_SEQUENCE_TIMEOUT but keeps the
 * connection, still waiting for that answer; back in the pool it would stall whoever takes it next.
 * Such a connection is destroyed instead (the pool opens a fresh one when needed).
 */
@EventSubscriber()
export class DropTimedOutConnections implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent): void {
    if (event.success) return;
    const error = event.error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
    if ((error?.driverError ?? error)?.code !== 'PROTOCOL_SEQUENCE_TIMEOUT') return;
    const connection = (event.queryRunner as unknown as { databaseConnection?: PooledConnection }).databaseConnection;
    connection?.destroy();
  }
}

/**
 * mysql2's pool queues a checkout for as long as it takes; TypeORM offers no bound either. This one
 * fails the checkout after `timeoutMs` (or what the request's database budget has left, if less),
 * and a connection that arrives for a checkout already given up goes straight back to the pool.
 * Every connection handed out also bounds each query by the budget of the request running it.
 */
export function boundPoolCheckout(dataSource: DataSource, timeoutMs: number): void {
  const pool = (
    dataSource.driver as unknown as { pool?: { getConnection: GetConnection; bounded?: boolean } } | undefined
  )?.pool;
  if (!pool || pool.bounded) return;
  pool.bounded = true;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    const budget = currentDatabaseBudget();
    if (budget && budget.remainingMs() <= 0) {
      callback(new DatabaseTimeoutError('budget', budget.totalMs));
      return;
    }
    const end = budget?.begin();
    const boundMs = withinBudget(budget, timeoutMs);
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      end?.();
      callback(new DatabaseTimeoutError(boundMs < timeoutMs ? 'budget' : 'checkout', boundMs));
    }, boundMs);
    getConnection((error, connection) => {
      if (settled) {
        connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      end?.();
      if (connection) budgetQueries(connection);
      callback(error, connection);
    });
  };
}

/**
 * Each query on this connection, when a request with a database budget runs it: its timeout is
 * clipped to what the budget has left, and its time is charged to the budget. Runs inside the
 * request's async context (mysql2 calls `query` synchronously from the caller).
 */
function budgetQueries(connection: PooledConnection): void {
  if (connection.budgeted || typeof connection.query !== 'function') return;
  connection.budgeted = true;
  const query = connection.query;
  connection.query = function (this: unknown, sql: unknown, ...rest: unknown[]) {
    const budget = currentDatabaseBudget();
    const plain = typeof sql === 'string' || (sql !== null && Object.getPrototypeOf(sql) === Object.prototype);
    if (!budget || !plain) return query.call(this, sql, ...rest);
    const options: { sql?: unknown; timeout?: number } =
      typeof sql === 'string' ? { sql } : { ...(sql as { timeout?: number }) };
    options.timeout = withinBudget(budget, options.timeout ?? Infinity);
    const last = rest.length - 1;
    if (last >= 0 && typeof rest[last] === 'function') {
      const callback = rest[last] as (...args: unknown[]) => unknown;
      const end = budget.begin();
      rest[last] = (...args: unknown[]) => {
        end();
        return callback(...args);
      };
    }
    return query.call(this, options, ...rest);
  };
}
