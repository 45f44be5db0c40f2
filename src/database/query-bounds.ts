import { DataSource, EventSubscriber, EntitySubscriberInterface } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { DatabaseTimeoutError } from './database-errors';

interface PooledConnection {
  release(): void;
  destroy(): void;
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
 * fails the checkout after `timeoutMs`, and a connection that arrives for a checkout already given
 * up goes straight back to the pool.
 */
export function boundPoolCheckout(dataSource: DataSource, timeoutMs: number): void {
  const pool = (dataSource.driver as unknown as { pool?: { getConnection: GetConnection; bounded?: boolean } } | undefined)
    ?.pool;
  if (!pool || pool.bounded) return;
  pool.bounded = true;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(new DatabaseTimeoutError('checkout', timeoutMs));
    }, timeoutMs);
    getConnection((error, connection) => {
      if (settled) {
        connection?.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      callback(error, connection);
    });
  };
}
