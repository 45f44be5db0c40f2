import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { FailureKind, ProviderCallError } from '../outbound/provider-call-error';

// The providers' side of the one outbound error family: its members, and the one place where a
// failure of Apple, Huawei, the carrier, QQ or Alipay becomes a contract code.
export {
  isLocalException,
  isProviderFailure,
  isTransient,
  ProviderNotSentError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../outbound/provider-call-error';
export type { UnavailableReason } from '../outbound/provider-call-error';

export type ProviderName = 'apple' | 'huawei' | 'carrier' | 'qq' | 'alipay';

const PROVIDER_CODES: Readonly<Record<FailureKind, ErrorCode>> = {
  unavailable: ErrorCode.PROVIDER_UNAVAILABLE,
  'rate-limited': ErrorCode.PROVIDER_UNAVAILABLE,
  'config-error': ErrorCode.PROVIDER_UNAVAILABLE,
  'code-invalid': ErrorCode.PROVIDER_TOKEN_INVALID,
  'token-invalid': ErrorCode.PROVIDER_TOKEN_INVALID,
  forbidden: ErrorCode.FORBIDDEN,
  'bad-input': ErrorCode.PROVIDER_TOKEN_INVALID,
  // Our bug: the user can do nothing about it.
  local: ErrorCode.INTERNAL,
};

// The carrier's token has its own code in the contract (the app falls back to SMS on it).
const CARRIER_CODES: Readonly<Record<FailureKind, ErrorCode>> = {
  ...PROVIDER_CODES,
  'code-invalid': ErrorCode.CARRIER_TOKEN_INVALID,
  'token-invalid': ErrorCode.CARRIER_TOKEN_INVALID,
  'bad-input': ErrorCode.CARRIER_TOKEN_INVALID,
};

/** What callers see: a catalogue code, nothing of the token or the provider's body. */
export function toProviderDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof ProviderCallError && error.provider !== 'wechat') {
    return new DomainError((error.provider === 'carrier' ? CARRIER_CODES : PROVIDER_CODES)[error.kind]);
  }
  throw error;
}
