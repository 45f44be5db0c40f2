import { isDatabaseUnavailable, isTransactionConflict } from '../database/database-errors';
import { DomainError } from '../errors/domain-error';
import { ErrorCode, errorPolicy } from '../errors/error-code';

// How a failure around a consumed SMS code is answered (SmsCodesService.redeem): a retryable answer
// must leave the code usable (issue 18, item 9).

/** Whether the answer to this failure tells the caller to try again (format-error's mapping). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DomainError) return error.details.retryable ?? errorPolicy(error.code).retryable;
  return isDatabaseUnavailable(error) || isTransactionConflict(error);
}

// Failures that come before the statement reaches the database: nothing can have been consumed.
const NOT_SENT = new Set(['DATABASE_TIMEOUT', 'ECONNREFUSED', 'SQLITE_BUSY', 'ER_CON_COUNT_ERROR']);

export function mayHaveRun(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  return !NOT_SENT.has(String(e?.code)) && !NOT_SENT.has(String(e?.driverError?.code));
}

export function codeSpent(): DomainError {
  return new DomainError(
    ErrorCode.SERVICE_UNAVAILABLE,
    'The service was unavailable after the code was used. Request a new code.',
    { retryable: false },
  );
}

export function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return error instanceof Error ? `${error.name}${code ? ` ${String(code)}` : ''}` : 'unknown';
}
