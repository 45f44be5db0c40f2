/** A query or a wait for a connection outlived its bound (DATABASE_QUERY_TIMEOUT_MS, DATABASE_ACQUIRE_TIMEOUT_MS). */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';

  constructor(what: 'checkout' | 'queue' | 'budget', timeoutMs: number) {
    super(
      what === 'budget'
        ? `the request's database budget (${timeoutMs} ms) is spent`
        : `no database connection within ${timeoutMs} ms (${what})`,
    );
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * What a driver error means for the caller:
 * - `conflict`: the transaction lost to another one and was rolled back whole (InnoDB deadlock, lock
 *   wait timeout, a Galera certification failure or brute-force abort, a Group Replication
 *   certification rollback). Running the same transaction again is safe and usually succeeds.
 * - `unavailable`: the database (or this cluster node) cannot serve right now: unreachable, lost
 *   connection, shutting down, a Galera node outside the primary component ("WSREP has not yet
 *   prepared node for application use"), a read-only Group Replication member. Callers answer
 *   SERVICE_UNAVAILABLE (retryable).
 * - `other`: a bad query or a constraint; not retried.
 */
export type DatabaseErrorKind = 'conflict' | 'unavailable' | 'other';

// MySQL / MariaDB error numbers of a lost transaction.
const CONFLICT_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB deadlock; Galera certification failure and BF abort
  1205, // ER_LOCK_WAIT_TIMEOUT
  1614, // ER_XA_RBDEADLOCK
  3101, // ER_TRANSACTION_ROLLBACK_DURING_COMMIT: Group Replication certification failure
]);
const CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_XA_RBDEADLOCK']);

const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR
  1045, // ER_ACCESS_DENIED_ERROR (a rotated password: the service cannot work, not a bad query)
  1047, // ER_UNKNOWN_COM_ERROR: Galera "WSREP has not yet prepared node for application use"
  1053, // ER_SERVER_SHUTDOWN
  1836, // ER_READ_ONLY_MODE
  1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only / --super-read-only (a Group Replication secondary)
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1927, // ER_CONNECTION_KILLED
  3100, // ER_RUN_HOOK_ERROR: Group Replication refuses a commit (no quorum, member leaving)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
]);

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'DATABASE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_OFFLINE_MODE',
  'ER_CONNECTION_KILLED',
  'ER_ACCESS_DENIED_ERROR',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

const UNAVAILABLE_MESSAGES =
  /Pool is closed|connect ETIMEDOUT|Connection lost|database connection is not open|WSREP has not yet prepared node|WSREP .*not (ready|connected)|not connected|closed state/i;

interface DriverErrorShape {
  code?: unknown;
  errno?: unknown;
  driverError?: unknown;
  cause?: unknown;
  message?: unknown;
  sqlMessage?: unknown;
  /** Apollo's NonErrorThrown: mysql2 rejects a failed pool connect with a plain object. */
  thrownValue?: unknown;
}

export function classifyDatabaseError(error: unknown): DatabaseErrorKind {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = current as DriverErrorShape;
    const errno = typeof candidate.errno === 'number' ? candidate.errno : undefined;
    const code = typeof candidate.code === 'string' ? candidate.code : undefined;
    if ((errno !== undefined && CONFLICT_ERRNOS.has(errno)) || (code && CONFLICT_CODES.has(code))) return 'conflict';
    if ((errno !== undefined && UNAVAILABLE_ERRNOS.has(errno)) || (code && UNAVAILABLE_CODES.has(code))) {
      return 'unavailable';
    }
    const message = typeof candidate.sqlMessage === 'string' ? candidate.sqlMessage : candidate.message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return 'unavailable';
    current = candidate.driverError ?? candidate.cause ?? candidate.thrownValue;
  }
  return 'other';
}

/** The database cannot serve right now: answer SERVICE_UNAVAILABLE (retryable), never INTERNAL. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return classifyDatabaseError(error) === 'unavailable';
}

/** A transaction that lost a deadlock or a certification and was rolled back whole. */
export function isTransactionConflict(error: unknown): boolean {
  return classifyDatabaseError(error) === 'conflict';
}

/** A duplicate key: another writer inserted the same unique value first. */
export function isUniqueViolation(error: unknown): boolean {
  const code =
    (error as { code?: string; driverError?: { code?: string } })?.driverError?.code ??
    (error as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
