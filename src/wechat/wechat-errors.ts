import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/** WeChat answered with an errcode (HTTP 200, `{errcode, errmsg}`): matched on errcode, never errmsg. */
export class WechatApiError extends Error {
  constructor(readonly errcode: number) {
    super(`WeChat errcode ${errcode}`);
    this.name = 'WechatApiError';
  }
}

/** WeChat could not be asked or did not answer usefully: timeout, connection, 5xx, garbled body, open circuit. */
export class WechatUnavailableError extends Error {
  constructor(
    readonly reason: 'timeout' | 'connect' | 'network' | 'http' | 'malformed' | 'circuit-open' | 'budget',
    readonly status?: number,
  ) {
    super(`WeChat unavailable: ${reason}${status ? ` ${status}` : ''}`);
    this.name = 'WechatUnavailableError';
  }
}

/**
 * The call never left: the code the user brought cannot be sent ('bad-input': WECHAT_CODE_INVALID),
 * or building the request threw ('local': our bug, INTERNAL). Not WeChat's failure (the circuit does
 * not move) and never billed.
 */
export class WechatNotSentError extends Error {
  constructor(
    readonly kind: 'bad-input' | 'local',
    /** The local error's name or undici's code: never its message, which may quote the input. */
    readonly detail?: string,
  ) {
    super(`WeChat call not sent: ${kind}${detail ? ` ${detail}` : ''}`);
    this.name = 'WechatNotSentError';
  }
}

// One table from WeChat's errcodes (docs: shared/wechat-api.md) to our catalogue.
const ERRCODE_TABLE: Readonly<Record<number, ErrorCode>> = {
  [-1]: ErrorCode.WECHAT_UNAVAILABLE,
  40029: ErrorCode.WECHAT_CODE_INVALID,
  42003: ErrorCode.WECHAT_CODE_INVALID,
  40163: ErrorCode.WECHAT_CODE_INVALID,
  41008: ErrorCode.WECHAT_CODE_INVALID,
  40030: ErrorCode.REAUTH_REQUIRED,
  42002: ErrorCode.REAUTH_REQUIRED,
  42007: ErrorCode.REAUTH_REQUIRED,
  40001: ErrorCode.REAUTH_REQUIRED,
  40014: ErrorCode.REAUTH_REQUIRED,
  42001: ErrorCode.REAUTH_REQUIRED,
  40003: ErrorCode.REAUTH_REQUIRED,
  40226: ErrorCode.FORBIDDEN,
  45009: ErrorCode.WECHAT_RATE_LIMITED,
  45011: ErrorCode.WECHAT_RATE_LIMITED,
  40002: ErrorCode.WECHAT_CONFIG_ERROR,
  40013: ErrorCode.WECHAT_CONFIG_ERROR,
  40125: ErrorCode.WECHAT_CONFIG_ERROR,
  48001: ErrorCode.WECHAT_CONFIG_ERROR,
  50001: ErrorCode.WECHAT_CONFIG_ERROR,
  41001: ErrorCode.WECHAT_CONFIG_ERROR,
  41002: ErrorCode.WECHAT_CONFIG_ERROR,
  41003: ErrorCode.WECHAT_CONFIG_ERROR,
  41004: ErrorCode.WECHAT_CONFIG_ERROR,
  41009: ErrorCode.WECHAT_CONFIG_ERROR,
};

export function errorCodeForErrcode(errcode: number): ErrorCode {
  return ERRCODE_TABLE[errcode] ?? ErrorCode.WECHAT_UNAVAILABLE;
}

/** What the caller sees of a WeChat failure: the catalogue code, plus WeChat's errcode where it said no. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof WechatApiError) {
    return new DomainError(errorCodeForErrcode(error.errcode), undefined, { wechatErrcode: error.errcode });
  }
  if (error instanceof WechatUnavailableError) return new DomainError(ErrorCode.WECHAT_UNAVAILABLE);
  if (error instanceof WechatNotSentError) {
    return new DomainError(error.kind === 'bad-input' ? ErrorCode.WECHAT_CODE_INVALID : ErrorCode.INTERNAL);
  }
  throw error;
}

/** Worth another try for a call that is safe to repeat. */
export function isTransient(error: unknown): boolean {
  if (error instanceof WechatApiError) return error.errcode === -1;
  if (error instanceof WechatUnavailableError) return error.reason !== 'circuit-open' && error.reason !== 'budget';
  return false;
}

/** Counts against the circuit: WeChat itself failing, not WeChat refusing a bad code. */
export function isWechatFailure(error: unknown): boolean {
  if (error instanceof WechatApiError) return error.errcode === -1;
  return error instanceof WechatUnavailableError && error.reason !== 'circuit-open';
}
