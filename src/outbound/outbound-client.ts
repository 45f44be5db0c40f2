import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { OutboundAnswer, OutboundHttp, OutboundRequest, transportFailure } from './outbound-http';
import { CallKind, CallTarget, CircuitStateName, OutboundPolicies } from './outbound-policies';
import {
  isLocalException,
  OutboundProvider,
  outcomeOf,
  ProviderNotSentError,
  ProviderUnavailableError,
  UnavailableReason,
} from './provider-call-error';

/** One call's end, for metrics: never a token, code or secret. */
export interface OutboundCallEvent {
  provider: OutboundProvider;
  operation: string;
  /** ok, timeout, connect, http_503, malformed, errcode_40029, not_sent_local, ... */
  outcome: string;
  millis: number;
}

/** How this client's callers expect the family's errors to be built (WeChat keeps its own names). */
export interface OutboundErrorMakers {
  unavailable(provider: OutboundProvider, reason: UnavailableReason, detail?: string): ProviderUnavailableError;
  notSent(provider: OutboundProvider, kind: 'bad-input' | 'local', detail?: string): ProviderNotSentError;
}

export const FAMILY_ERRORS: OutboundErrorMakers = {
  unavailable: (provider, reason, detail) => new ProviderUnavailableError(provider, reason, detail),
  notSent: (provider, kind, detail) => new ProviderNotSentError(provider, kind, detail),
};

export interface OutboundOptions {
  /** The logger's context. */
  name: string;
  /** Per call, from connecting to the last byte. */
  timeoutMs: number;
  /** Per operation, retries included. */
  budgetMs: number;
  errors?: OutboundErrorMakers;
  /** Sandbox: the fakes are mounted in this very process. */
  httpAdapterHost?: HttpAdapterHost;
}

/**
 * The HTTP client base under every provider client: a keep-alive pool, the per-call timeout inside
 * the operation's budget, retries only where the kind of call allows, one breaker per provider and
 * app, "never sent" told apart from the provider failing, and one metrics hook. A provider's client
 * adds its endpoints and its error table.
 */
export class OutboundClient {
  private readonly logger: Logger;
  private readonly http: OutboundHttp;
  private readonly policies: OutboundPolicies;
  private readonly errors: OutboundErrorMakers;
  private readonly shutdown = new AbortController();
  onCall?: (event: OutboundCallEvent) => void;

  constructor(private readonly options: OutboundOptions) {
    this.logger = new Logger(options.name);
    this.http = new OutboundHttp(options.timeoutMs);
    this.policies = new OutboundPolicies(options.budgetMs, this.logger);
    this.errors = options.errors ?? FAMILY_ERRORS;
    // Every call in flight listens on this one signal (to stop at shutdown); there can be many.
    setMaxListeners(0, this.shutdown.signal);
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  get budgetMs(): number {
    return this.options.budgetMs;
  }

  /** Stops every call in flight and closes the pool. */
  async close(): Promise<void> {
    this.shutdown.abort();
    await this.http.close();
  }

  circuitState(target: CallTarget): CircuitStateName {
    return this.policies.circuitState(target);
  }

  report(provider: OutboundProvider, operation: string, outcome: string, started: number): void {
    this.onCall?.({ provider, operation, outcome, millis: Date.now() - started });
  }

  /** Runs `work` under the target's policy; the signal ends when the budget does. */
  run<T>(target: CallTarget, kind: CallKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policies.execute(
      target,
      kind,
      async (signal) => {
        try {
          return await work(signal);
        } catch (error) {
          // Whatever our own process threw (building a request, an SDK encoding the input) is not
          // the provider failing: it leaves the breaker as it was.
          if (isLocalException(error)) {
            this.logger.error(`${target.provider} call failed before it was sent: ${(error as Error).name}`);
            throw this.errors.notSent(target.provider, 'local', (error as Error).name);
          }
          throw error;
        }
      },
      this.shutdown.signal,
      (why) => this.errors.unavailable(target.provider, why),
    );
  }

  /**
   * One HTTP request inside `budget`. A transport failure is reported under `operation` and leaves
   * as the family's error; what the answer means is the provider client's to say.
   */
  async send(
    provider: OutboundProvider,
    operation: string,
    outbound: OutboundRequest,
    budget: AbortSignal,
  ): Promise<OutboundAnswer & { started: number }> {
    const started = Date.now();
    try {
      return { ...(await this.http.send(outbound, budget)), started };
    } catch (error) {
      const failure = this.failureOf(provider, error, budget);
      this.report(provider, operation, outcomeOf(failure), started);
      throw failure;
    }
  }

  /** What an exception of an HTTP layer (ours, fetch, an SDK's) means, as this client's error. */
  failureOf(
    provider: OutboundProvider,
    error: unknown,
    budget?: AbortSignal,
  ): ProviderUnavailableError | ProviderNotSentError {
    return familyFailure(provider, error, budget, this.errors);
  }

  /** Sandbox: the base URL of a fake mounted in this very process (e.g. /sandbox/apple). */
  localBase(provider: OutboundProvider, path: string): string {
    const server = this.options.httpAdapterHost?.httpAdapter?.getHttpServer();
    const address = server?.address() as AddressInfo | string | null | undefined;
    if (!address || typeof address === 'string') throw this.errors.unavailable(provider, 'connect');
    return `http://127.0.0.1:${address.port}${path}`;
  }
}

/** What an exception of an HTTP layer (undici, fetch, an SDK's) means, as the family's error. */
export function familyFailure(
  provider: OutboundProvider,
  error: unknown,
  budget?: AbortSignal,
  errors: OutboundErrorMakers = FAMILY_ERRORS,
): ProviderUnavailableError | ProviderNotSentError {
  if (error instanceof ProviderUnavailableError || error instanceof ProviderNotSentError) return error;
  const failure = transportFailure(error, budget);
  return 'local' in failure
    ? errors.notSent(provider, 'local', failure.local)
    : errors.unavailable(provider, failure.reason);
}
