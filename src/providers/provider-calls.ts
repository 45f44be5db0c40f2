import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { HttpAdapterHost } from '@nestjs/core';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config.service';
import {
  isLocalException,
  isProviderFailure,
  isTransient,
  ProviderName,
  ProviderNotSentError,
  ProviderUnavailableError,
  toProviderDomainError,
} from './provider-errors';

export const PROVIDER_CIRCUIT_FAILURE_THRESHOLD = 5;
export const PROVIDER_CIRCUIT_HALF_OPEN_AFTER_MS = 10_000;

// Connection errors that prove the request never left: safe to retry even a code exchange.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export type CallKind = 'once' | 'safe';

export interface ProviderCallEvent {
  provider: ProviderName;
  operation: string;
  /** ok, rejected, timeout, connect, http_503, malformed, code_isv.TOKEN_INVALID, ... */
  outcome: string;
  millis: number;
}

/**
 * The resilience every provider client shares: a per-call timeout, a total budget per operation,
 * retries (at most twice, jittered exponential backoff) only for calls safe to repeat (or that
 * provably never left), and one circuit breaker per provider. Whatever fails leaves as a
 * DomainError (PROVIDER_UNAVAILABLE, PROVIDER_TOKEN_INVALID or CARRIER_TOKEN_INVALID).
 * `onCall` feeds metrics; no event carries a token, code or secret.
 */
@Injectable()
export class ProviderCalls implements OnModuleDestroy {
  private readonly logger = new Logger('ProviderCalls');
  private readonly breakers = new Map<ProviderName, CircuitBreakerPolicy>();
  private readonly controller = new AbortController();
  readonly timeoutMs: number;
  readonly budgetMs: number;
  onCall?: (event: ProviderCallEvent) => void;

  constructor(
    config: AppConfig,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    const settings = config.get('providers');
    this.timeoutMs = settings.timeoutMs;
    this.budgetMs = settings.budgetMs;
    setMaxListeners(0, this.controller.signal);
  }

  onModuleDestroy(): void {
    this.controller.abort();
  }

  report(provider: ProviderName, operation: string, outcome: string, started: number): void {
    this.onCall?.({ provider, operation, outcome, millis: Date.now() - started });
  }

  circuitState(provider: ProviderName): 'closed' | 'open' | 'half-open' {
    const state = this.breakers.get(provider)?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  /** Runs `work` under the provider's policy; the signal ends when the budget does. */
  async run<T>(provider: ProviderName, kind: CallKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const retryWhen =
      kind === 'safe'
        ? handleWhen(isTransient)
        : handleWhen((error) => error instanceof ProviderUnavailableError && error.reason === 'connect');
    const policy = wrap(
      timeout(this.budgetMs, TimeoutStrategy.Aggressive),
      retry(retryWhen, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) }),
      this.breakerFor(provider),
    );
    try {
      return await policy.execute(async ({ signal }) => {
        try {
          return await work(signal);
        } catch (error) {
          // Whatever our own process threw (building a request, an SDK encoding the input) is not
          // the provider failing: it leaves the breaker as it was.
          if (isLocalException(error)) {
            this.logger.error(`${provider} call failed before it was sent: ${(error as Error).name}`);
            throw new ProviderNotSentError(provider, 'local', (error as Error).name);
          }
          throw error;
        }
      }, this.controller.signal);
    } catch (error) {
      if (error instanceof BrokenCircuitError)
        throw toProviderDomainError(new ProviderUnavailableError(provider, 'circuit-open'));
      if (error instanceof TaskCancelledError)
        throw toProviderDomainError(new ProviderUnavailableError(provider, 'budget'));
      throw toProviderDomainError(error);
    }
  }

  /**
   * One HTTP request with the per-call timeout inside the budget. Answers the status and the parsed
   * JSON body (null when the body is not JSON); connection failures become ProviderUnavailableError.
   */
  async fetchJson(
    provider: ProviderName,
    operation: string,
    url: string,
    init: { method: 'GET' | 'POST'; form?: Record<string, string> },
    budget: AbortSignal,
  ): Promise<{ status: number; body: Record<string, unknown> | null; started: number }> {
    const started = Date.now();
    const call = perCallSignal(budget, this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: init.method,
        headers: init.form
          ? { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
          : { accept: 'application/json' },
        body: init.form ? new URLSearchParams(init.form).toString() : undefined,
        signal: call.signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      const unavailable = classifyFetchError(provider, error);
      this.report(provider, operation, outcomeOf(unavailable), started);
      throw unavailable;
    } finally {
      call.done();
    }
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = null;
    }
    return { status: response.status, body, started };
  }

  /** Sandbox: the base URL of a fake mounted in this very process (e.g. /sandbox/apple). */
  localBase(provider: ProviderName, path: string): string {
    const address = this.httpAdapterHost.httpAdapter?.getHttpServer()?.address() as AddressInfo | string | null;
    if (!address || typeof address === 'string') throw new ProviderUnavailableError(provider, 'connect');
    return `http://127.0.0.1:${address.port}${path}`;
  }

  private breakerFor(provider: ProviderName): CircuitBreakerPolicy {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isProviderFailure), {
        halfOpenAfter: PROVIDER_CIRCUIT_HALF_OPEN_AFTER_MS,
        breaker: new ConsecutiveBreaker(PROVIDER_CIRCUIT_FAILURE_THRESHOLD),
      });
      breaker.onStateChange((state) => this.logger.warn(`${provider} circuit is now ${CircuitState[state]}`));
      this.breakers.set(provider, breaker);
    }
    return breaker;
  }
}

/**
 * The budget's signal plus the per-call timeout. Not `AbortSignal.any([budget, AbortSignal.timeout(ms)])`:
 * on Node 20/22 the garbage collector may take the timeout signal before it fires (nodejs/node#57736),
 * and the call then outlives its timeout. Our own timer, held until `done()`, always fires.
 */
export function perCallSignal(budget: AbortSignal, timeoutMs: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onBudget = (): void => controller.abort(budget.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs,
  );
  if (budget.aborted) onBudget();
  else budget.addEventListener('abort', onBudget, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      budget.removeEventListener('abort', onBudget);
    },
  };
}

export function classifyFetchError(
  provider: ProviderName,
  error: unknown,
): ProviderUnavailableError | ProviderNotSentError {
  if (error instanceof ProviderUnavailableError || error instanceof ProviderNotSentError) return error;
  if (isLocalException(error)) return new ProviderNotSentError(provider, 'local', (error as Error).name);
  const name = (error as { name?: string })?.name;
  if (name === 'TimeoutError') return new ProviderUnavailableError(provider, 'timeout');
  if (name === 'AbortError') return new ProviderUnavailableError(provider, 'budget');
  const code =
    (error as { cause?: { code?: string }; code?: string })?.cause?.code ?? (error as { code?: string })?.code;
  if (code && NEVER_SENT.has(code)) return new ProviderUnavailableError(provider, 'connect');
  return new ProviderUnavailableError(provider, 'network');
}

/** A failure's outcome label for metrics. */
export function outcomeOf(error: ProviderUnavailableError | ProviderNotSentError): string {
  return error instanceof ProviderUnavailableError ? error.reason : `not_sent_${error.kind}`;
}

export function str(body: Record<string, unknown> | null, key: string): string | null {
  const value = body?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** For work after a single-use call reached the provider: a connection failure no longer proves "never sent". */
export async function alreadySent<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ProviderUnavailableError && error.reason === 'connect') {
      throw new ProviderUnavailableError(error.provider, 'network', error.detail);
    }
    throw error;
  }
}
