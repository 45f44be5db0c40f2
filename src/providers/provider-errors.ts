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

/**
 * The call failed on our side before the provider could answer: what the user brought could not be
 * sent ('bad-input': the provider's *_TOKEN_INVALID), or building the request threw ('local': our
 * bug, INTERNAL). Never the provider's failure: it does not move the circuit breaker.
 */
export class ProviderNotSentError extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly kind: 'bad-input' | 'local',
    /** The local error's name (URIError, TypeError, ...): never its message, which may quote the input. */
    readonly detail?: string,
  ) {
    super(`${provider} call not sent: ${kind}${detail ? ` ${detail}` : ''}`);
    this.name = 'ProviderNotSentError';
  }
}

/**
 * An exception of our own process, not of the network: thrown while encoding or building a request
 * (URIError on a lone surrogate, TypeError on a bad header or URL, RangeError, ...). Network failures
 * of fetch/undici are TypeErrors too, but carry a cause with a socket or undici code.
 */
export function isLocalException(error: unknown): boolean {
  if (error instanceof URIError || error instanceof RangeError || error instanceof ReferenceError) return true;
  if (!(error instanceof TypeError)) return false;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  return code === null ? cause === undefined : code.startsWith('ERR_');
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
  if (error instanceof ProviderNotSentError) {
    if (error.kind === 'local') return new DomainError(ErrorCode.INTERNAL);
    return new DomainError(
      error.provider === 'carrier' ? ErrorCode.CARRIER_TOKEN_INVALID : ErrorCode.PROVIDER_TOKEN_INVALID,
    );
  }
  throw error;
}
