import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

export type ProviderName = 'apple' | 'huawei' | 'carrier' | 'qq' | 'alipay';

export type UnavailableReason =
  'timeout' | 'connect' | 'network' | 'http' | 'malformed' | 'refused' | 'throttled' | 'circuit-open' | 'budget';

/** The provider could not be asked or did not answer usefully. Retryable for the caller. */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly reason: UnavailableReason,
    readonly detail?: string,
  ) {
    super(`${provider} unavailable: ${reason}${detail ? ` ${detail}` : ''}`);
    this.name = 'ProviderUnavailableError';
  }
}

/** The provider said no to what the user brought: bad, expired or used token or code. */
export class ProviderRejectedError extends Error {
  constructor(
    readonly provider: ProviderName,
    /** Why, for logs and metrics: never the token itself. */
    readonly reason: string,
  ) {
    super(`${provider} rejected the token: ${reason}`);
    this.name = 'ProviderRejectedError';
  }
}

/** Worth another try for a call that is safe to repeat. */
export function isTransient(error: unknown): boolean {
  return error instanceof ProviderUnavailableError && error.reason !== 'circuit-open' && error.reason !== 'budget';
}

/** Counts against the circuit: the provider failing, not the provider refusing a bad token. */
export function isProviderFailure(error: unknown): boolean {
  return error instanceof ProviderUnavailableError && error.reason !== 'circuit-open';
}

/** What callers see: a catalogue code, nothing of the token or the provider's body. */
export function toProviderDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof ProviderRejectedError) {
    return new DomainError(
      error.provider === 'carrier' ? ErrorCode.CARRIER_TOKEN_INVALID : ErrorCode.PROVIDER_TOKEN_INVALID,
    );
  }
  if (error instanceof ProviderUnavailableError) return new DomainError(ErrorCode.PROVIDER_UNAVAILABLE);
  throw error;
}
