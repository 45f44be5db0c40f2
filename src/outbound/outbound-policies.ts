import type { Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IPolicy,
  TaskCancelledError,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import { isProviderFailure, isTransient, OutboundProvider, provablyNotSent } from './provider-call-error';

// The only file that knows cockatiel: every outbound call's budget, retries and breaker are built here.

export const CIRCUIT_FAILURE_THRESHOLD = 5;
export const CIRCUIT_HALF_OPEN_AFTER_MS = 10_000;

/** 'once': single use (a code exchange), repeated only when it provably never left; 'safe': may repeat. */
export type CallKind = 'once' | 'safe';

/** Whose breaker: one per provider and app (`app` '' for a provider with one breaker). */
export interface CallTarget {
  provider: OutboundProvider;
  app: string;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open';

/** How the policy's own refusals leave: an open circuit, or the budget spent. */
export type PolicyRefusal = 'circuit-open' | 'budget';

/**
 * The resilience policy of each provider, app and kind of call, built once: the total budget
 * (aggressive timeout), at most two retries with jittered exponential backoff where the kind allows,
 * and one circuit breaker per provider and app shared by both kinds.
 */
export class OutboundPolicies {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  private readonly policies = new Map<string, IPolicy>();

  constructor(
    private readonly budgetMs: number,
    private readonly logger: Logger,
  ) {}

  policyFor(target: CallTarget, kind: CallKind): IPolicy {
    const key = `${target.provider}:${target.app}:${kind}`;
    let policy = this.policies.get(key);
    if (!policy) {
      const retryWhen = handleWhen(kind === 'safe' ? isTransient : provablyNotSent);
      policy = wrap(
        // abortOnReturn off: by default cockatiel aborts the signal once the call has returned, which
        // builds a DOMException (~9 µs) per call; our calls have finished all their work by then.
        timeout(this.budgetMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }),
        retry(retryWhen, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) }),
        this.breakerFor(target),
      );
      this.policies.set(key, policy);
    }
    return policy;
  }

  circuitState(target: CallTarget): CircuitStateName {
    const state = this.breakers.get(breakerKey(target))?.state;
    if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'closed';
  }

  /** Runs `work` under the policy; `refused` turns the policy's own refusals into the caller's errors. */
  async execute<T>(
    target: CallTarget,
    kind: CallKind,
    work: (signal: AbortSignal) => Promise<T>,
    shutdown: AbortSignal,
    refused: (why: PolicyRefusal) => Error,
  ): Promise<T> {
    try {
      return await this.policyFor(target, kind).execute(({ signal }) => work(signal), shutdown);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw refused('circuit-open');
      if (error instanceof TaskCancelledError) throw refused('budget');
      throw error;
    }
  }

  private breakerFor(target: CallTarget): CircuitBreakerPolicy {
    const key = breakerKey(target);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isProviderFailure), {
        halfOpenAfter: CIRCUIT_HALF_OPEN_AFTER_MS,
        breaker: new ConsecutiveBreaker(CIRCUIT_FAILURE_THRESHOLD),
      });
      const whose = target.app ? `${target.provider} circuit for ${target.app}` : `${target.provider} circuit`;
      breaker.onStateChange((state) => this.logger.warn(`${whose} is now ${CircuitState[state]}`));
      this.breakers.set(key, breaker);
    }
    return breaker;
  }
}

function breakerKey(target: CallTarget): string {
  return `${target.provider}:${target.app}`;
}
