/** A query or a wait for a connection outlived its bound (DATABASE_QUERY_TIMEOUT_MS, DATABASE_ACQUIRE_TIMEOUT_MS). */
export class DatabaseTimeoutError extends Error {
  readonly code = 'DATABASE_TIMEOUT';

  constructor(what: 'checkout' | 'queue', timeoutMs: number) {
    super(`no database connection within ${timeoutMs} ms (${what})`);
    this.name = 'DatabaseTimeoutError';
  }
}

// Driver error codes that mean "the database cannot be reached right now", as opposed to a bad query.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
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

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const candidate = current as {
      code?: unknown;
      errno?: unknown;
      driverError?: unknown;
      cause?: unknown;
      message?: unknown;
    };
    if (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) return true;
    if (
      typeof candidate.message === 'string' &&
      /Pool is closed|connect ETIMEDOUT|Connection lost|database connection is not open/i.test(candidate.message)
    ) {
      return true;
    }
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}
