import { QueryFailedError } from 'typeorm';
import { classifyDatabaseError, isDatabaseUnavailable, isTransactionConflict } from './database-errors';

const driver = (fields: Record<string, unknown>): Error =>
  Object.assign(new Error(String(fields.sqlMessage ?? 'x')), fields);
const failed = (fields: Record<string, unknown>): QueryFailedError =>
  new QueryFailedError('UPDATE t SET a = ?', ['secret'], driver(fields));

describe('classifyDatabaseError', () => {
  it('calls a lost deadlock, lock wait or certification a conflict', () => {
    expect(classifyDatabaseError(failed({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }))).toBe('conflict');
    expect(classifyDatabaseError(failed({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }))).toBe('conflict');
    // Group Replication: "Plugin instructed the server to rollback the current transaction."
    expect(isTransactionConflict(failed({ code: 'ER_TRANSACTION_ROLLBACK_DURING_COMMIT', errno: 3101 }))).toBe(true);
  });

  it('calls a node without quorum, a lost connection and a read-only member unavailable', () => {
    expect(
      isDatabaseUnavailable(
        failed({
          code: 'ER_UNKNOWN_COM_ERROR',
          errno: 1047,
          sqlMessage: 'WSREP has not yet prepared node for application use',
        }),
      ),
    ).toBe(true);
    expect(isDatabaseUnavailable(failed({ code: 'PROTOCOL_CONNECTION_LOST' }))).toBe(true);
    expect(isDatabaseUnavailable(failed({ code: 'ER_OPTION_PREVENTS_STATEMENT', errno: 1290 }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Can't add new command when connection is in closed state"))).toBe(true);
    // mysql2 rejects a failed pool connect with a plain object, which Apollo wraps as NonErrorThrown.
    const plain = { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', fatal: true };
    expect(isDatabaseUnavailable(plain)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('Unexpected error value'), { thrownValue: plain }))).toBe(
      true,
    );
  });

  it('leaves bad queries and constraint violations alone', () => {
    expect(classifyDatabaseError(failed({ code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe('other');
    expect(classifyDatabaseError(failed({ code: 'ER_PARSE_ERROR', errno: 1064 }))).toBe('other');
    expect(classifyDatabaseError(new Error('boom'))).toBe('other');
    expect(classifyDatabaseError(undefined)).toBe('other');
  });
});
