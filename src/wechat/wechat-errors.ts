import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import {
  FailureKind,
  ProviderCallError,
  ProviderNotSentError,
  ProviderUnavailableError,
  UnavailableReason,
} from '../outbound/provider-call-error';

// WeChat's side of the one outbound error family: its errcode table, and the one place where a
// WeChat failure becomes the contract's WECHAT_* codes. The Wechat* classes are the family's
// members as WeChat's callers know them.

/** WeChat answered with an errcode (HTTP 200, `{errcode, errmsg}`): matched on errcode, never errmsg. */
export class WechatApiError extends ProviderCallError {
  constructor(readonly errcode: number) {
    // -1 is WeChat's "system busy": WeChat failing, not WeChat refusing.
    super('wechat', kindOfErrcode(errcode), `WeChat errcode ${errcode}`, errcode === -1);
  }
}

/** WeChat could not be asked or did not answer usefully: timeout, connection, 5xx, garbled body, open circuit. */
export class WechatUnavailableError extends ProviderUnavailableError {
  constructor(
    reason: UnavailableReason,
    readonly status?: number,
  ) {
    super('wechat', reason, status === undefined ? undefined : String(status));
    this.message = `WeChat unavailable: ${reason}${status ? ` ${status}` : ''}`;
  }
}

/**
 * The call never left: the code the user brought cannot be sent ('bad-input': WECHAT_CODE_INVALID),
 * or building the request threw ('local': our bug, INTERNAL). Not WeChat's failure (the circuit does
 * not move) and never billed.
 */
export class WechatNotSentError extends ProviderNotSentError {
  constructor(kind: 'bad-input' | 'local', detail?: string) {
    super('wechat', kind, detail);
    this.message = `WeChat call not sent: ${kind}${detail ? ` ${detail}` : ''}`;
  }
}

// One table from WeChat's errcodes (docs: shared/wechat-api.md) to what they mean.
const ERRCODE_TABLE: Readonly<Record<number, FailureKind>> = {
  [-1]: 'unavailable',
  40029: 'code-invalid',
  42003: 'code-invalid',
  40163: 'code-invalid',
  41008: 'code-invalid',
  40030: 'token-invalid',
  42002: 'token-invalid',
  42007: 'token-invalid',
  40001: 'token-invalid',
  40014: 'token-invalid',
  42001: 'token-invalid',
  40003: 'token-invalid',
  40226: 'forbidden',
  45009: 'rate-limited',
  45011: 'rate-limited',
  40002: 'config-error',
  40013: 'config-error',
  40125: 'config-error',
  48001: 'config-error',
  40097: 'config-error',
  50001: 'config-error',
  41001: 'config-error',
  41002: 'config-error',
  41003: 'config-error',
  41004: 'config-error',
  41009: 'config-error',
};

// The contract's codes for WeChat (an access or refresh token WeChat refuses means: log in again).
const WECHAT_CODES: Readonly<Record<FailureKind, ErrorCode>> = {
  unavailable: ErrorCode.WECHAT_UNAVAILABLE,
  'rate-limited': ErrorCode.WECHAT_RATE_LIMITED,
  'config-error': ErrorCode.WECHAT_CONFIG_ERROR,
  'code-invalid': ErrorCode.WECHAT_CODE_INVALID,
  'token-invalid': ErrorCode.REAUTH_REQUIRED,
  forbidden: ErrorCode.FORBIDDEN,
  'bad-input': ErrorCode.WECHAT_CODE_INVALID,
  local: ErrorCode.INTERNAL,
};

function kindOfErrcode(errcode: number): FailureKind {
  return ERRCODE_TABLE[errcode] ?? 'unavailable';
}

export function errorCodeForErrcode(errcode: number): ErrorCode {
  return WECHAT_CODES[kindOfErrcode(errcode)];
}

/** What the caller sees of a WeChat failure: the catalogue code, plus WeChat's errcode where it said no. */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof ProviderCallError && error.provider === 'wechat') {
    const details = error instanceof WechatApiError ? { wechatErrcode: error.errcode } : undefined;
    return new DomainError(WECHAT_CODES[error.kind], undefined, details);
  }
  throw error;
}

export { isProviderFailure as isWechatFailure, isTransient } from '../outbound/provider-call-error';
