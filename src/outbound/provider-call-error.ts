// The one error family of every outbound provider call (WeChat included). A failure says what it
// means to the caller (`kind`); each provider turns kinds into the contract's codes in one place
// (wechat/wechat-errors.ts, providers/provider-errors.ts).

// 'webhooks': our own deliveries to the app backend (Standard Webhooks), on the same kit.
export type OutboundProvider = 'wechat' | 'apple' | 'huawei' | 'carrier' | 'qq' | 'alipay' | 'webhooks';

export type FailureKind =
  // The provider could not be asked or did not answer usefully.
  | 'unavailable'
  | 'rate-limited'
  // The provider refused us: our app, key or setup (the user can do nothing about it).
  | 'config-error'
  // The provider refused what the user brought.
  | 'code-invalid'
  | 'token-invalid'
  | 'forbidden'
  // Never sent: what the user brought cannot be sent ('bad-input'), or building the request threw ('local').
  | 'bad-input'
  | 'local';

export type UnavailableReason =
  'timeout' | 'connect' | 'network' | 'http' | 'malformed' | 'refused' | 'throttled' | 'circuit-open' | 'budget';

export class ProviderCallError extends Error {
  constructor(
    readonly provider: OutboundProvider,
    readonly kind: FailureKind,
    message: string,
    /** The provider itself failing: counts against its breaker, and a safe call may try again. */
    readonly providerFailing: boolean,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The request never left this process: not the provider's failure, never billed. */
  get notSent(): boolean {
    return this.kind === 'bad-input' || this.kind === 'local';
  }
}

const KIND_OF_REASON: Partial<Record<UnavailableReason, FailureKind>> = {
  throttled: 'rate-limited',
  refused: 'config-error',
};

/** The provider could not be asked or did not answer usefully. Retryable for the caller. */
export class ProviderUnavailableError extends ProviderCallError {
  constructor(
    provider: OutboundProvider,
    readonly reason: UnavailableReason,
    readonly detail?: string,
  ) {
    super(
      provider,
      KIND_OF_REASON[reason] ?? 'unavailable',
      `${provider} unavailable: ${reason}${detail ? ` ${detail}` : ''}`,
      // An open circuit is our own refusal to ask, not one more failure of the provider.
      reason !== 'circuit-open',
    );
  }
}

/** The provider said no to what the user brought: bad, expired or used token or code. */
export class ProviderRejectedError extends ProviderCallError {
  constructor(
    provider: OutboundProvider,
    /** Why, for logs and metrics: never the token itself. */
    readonly reason: string,
    kind: 'token-invalid' | 'code-invalid' = 'token-invalid',
  ) {
    super(provider, kind, `${provider} rejected the token: ${reason}`, false);
  }
}

/**
 * The call failed on our side before the provider could answer: what the user brought could not be
 * sent ('bad-input'), or building the request threw ('local': our bug). Never the provider's
 * failure: it does not move the circuit breaker.
 */
export class ProviderNotSentError extends ProviderCallError {
  constructor(
    provider: OutboundProvider,
    override readonly kind: 'bad-input' | 'local',
    /** The local error's name or undici's code: never its message, which may quote the input. */
    readonly detail?: string,
  ) {
    super(provider, kind, `${provider} call not sent: ${kind}${detail ? ` ${detail}` : ''}`, false);
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

/** Counts against the circuit: the provider failing, not the provider refusing a bad token. */
export function isProviderFailure(error: unknown): boolean {
  return error instanceof ProviderCallError && error.providerFailing;
}

/** Worth another try for a call that is safe to repeat (a spent budget is not). */
export function isTransient(error: unknown): boolean {
  return isProviderFailure(error) && !(error instanceof ProviderUnavailableError && error.reason === 'budget');
}

/** The connection was refused or never made: even a single-use call may go again. */
export function provablyNotSent(error: unknown): boolean {
  return error instanceof ProviderUnavailableError && error.reason === 'connect';
}

/** A failure's outcome label for metrics. */
export function outcomeOf(error: ProviderUnavailableError | ProviderNotSentError): string {
  return error instanceof ProviderUnavailableError ? error.reason : `not_sent_${error.kind}`;
}
