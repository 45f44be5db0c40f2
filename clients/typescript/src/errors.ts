import type { ErrorCode } from './generated/schema.js';

export type { ErrorCode };

/** One GraphQL error as the service sends it. */
export interface GraphQLErrorBody {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: {
    code?: string;
    retryable?: boolean;
    retryAfterSeconds?: number;
    field?: string;
    requestId?: string;
    [key: string]: unknown;
  };
}

/**
 * An error answered by the service: `code` is `errors[0].extensions.code` (see the table in
 * docs/mobile.md for what to do with each), `retryable` says the same call may succeed later.
 */
export class LoginServiceError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /**
   * set with SMS_RATE_LIMITED and TOO_MANY_REQUESTS: wait this long before trying again (e.g. one
   * SMS code a minute per phone, whatever its purpose). Show it as a countdown.
   */
  readonly retryAfterSeconds?: number;
  /** when the same call may be tried again, on this device's clock (from retryAfterSeconds) */
  readonly retryAt?: Date;
  /** BAD_USER_INPUT: which input field */
  readonly field?: string;
  /** INTERNAL: quote it to support */
  readonly requestId?: string;
  readonly operationName?: string;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(error: GraphQLErrorBody, operationName?: string) {
    super(error.message);
    this.name = 'LoginServiceError';
    const ext = error.extensions ?? {};
    this.code = (typeof ext.code === 'string' ? ext.code : 'INTERNAL') as ErrorCode;
    this.retryable = ext.retryable === true;
    if (typeof ext.retryAfterSeconds === 'number') {
      this.retryAfterSeconds = ext.retryAfterSeconds;
      this.retryAt = new Date(Date.now() + ext.retryAfterSeconds * 1000);
    }
    if (typeof ext.field === 'string') this.field = ext.field;
    if (typeof ext.requestId === 'string') this.requestId = ext.requestId;
    this.operationName = operationName;
    this.extensions = ext;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * The service could not be reached, or answered something that is not GraphQL (proxy error page,
 * cut connection). Whether the call took effect is unknown.
 */
export class NetworkError extends Error {
  readonly status?: number;
  readonly operationName?: string;

  constructor(message: string, options: { status?: number; operationName?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'NetworkError';
    this.status = options.status;
    this.operationName = options.operationName;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Narrowing helper: `if (isErrorCode(e, 'SMS_CODE_INVALID')) ...` */
export function isErrorCode<C extends ErrorCode>(error: unknown, code: C): error is LoginServiceError & { code: C } {
  return error instanceof LoginServiceError && error.code === code;
}
