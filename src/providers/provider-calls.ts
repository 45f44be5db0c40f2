import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '../config/app-config.service';
import { familyFailure, OutboundClient } from '../outbound/outbound-client';
import { CallKind, CircuitStateName } from '../outbound/outbound-policies';
import { outcomeOf } from '../outbound/provider-call-error';
import { ProviderName, ProviderNotSentError, ProviderUnavailableError, toProviderDomainError } from './provider-errors';

export { CIRCUIT_FAILURE_THRESHOLD as PROVIDER_CIRCUIT_FAILURE_THRESHOLD } from '../outbound/outbound-policies';
export { CIRCUIT_HALF_OPEN_AFTER_MS as PROVIDER_CIRCUIT_HALF_OPEN_AFTER_MS } from '../outbound/outbound-policies';
export { outcomeOf };
export type { CallKind };

export interface ProviderCallEvent {
  provider: ProviderName;
  operation: string;
  /** ok, rejected, timeout, connect, http_503, malformed, code_isv.TOKEN_INVALID, ... */
  outcome: string;
  millis: number;
}

/**
 * The outbound kit as Apple, Huawei, the carrier, QQ and Alipay use it: one breaker per provider,
 * and whatever fails leaves as a DomainError (PROVIDER_UNAVAILABLE, PROVIDER_TOKEN_INVALID,
 * CARRIER_TOKEN_INVALID or INTERNAL). `onCall` feeds metrics; no event carries a token, code or secret.
 */
@Injectable()
export class ProviderCalls implements OnModuleDestroy {
  private readonly outbound: OutboundClient;
  onCall?: (event: ProviderCallEvent) => void;

  constructor(config: AppConfig, httpAdapterHost: HttpAdapterHost) {
    const settings = config.get('providers');
    this.outbound = new OutboundClient({
      name: 'ProviderCalls',
      timeoutMs: settings.timeoutMs,
      budgetMs: settings.budgetMs,
      httpAdapterHost,
    });
    this.outbound.onCall = (event) => this.onCall?.(event as ProviderCallEvent);
  }

  get timeoutMs(): number {
    return this.outbound.timeoutMs;
  }

  get budgetMs(): number {
    return this.outbound.budgetMs;
  }

  onModuleDestroy(): Promise<void> {
    return this.outbound.close();
  }

  report(provider: ProviderName, operation: string, outcome: string, started: number): void {
    this.outbound.report(provider, operation, outcome, started);
  }

  circuitState(provider: ProviderName): CircuitStateName {
    return this.outbound.circuitState({ provider, app: '' });
  }

  /** Runs `work` under the provider's policy; the signal ends when the budget does. */
  async run<T>(provider: ProviderName, kind: CallKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.outbound.run({ provider, app: '' }, kind, work);
    } catch (error) {
      throw toProviderDomainError(error);
    }
  }

  /**
   * One HTTP request with the per-call timeout inside the budget. Answers the status and the parsed
   * JSON body (null when the body is not JSON); transport failures are reported and leave as
   * ProviderUnavailableError or ProviderNotSentError.
   */
  async fetchJson(
    provider: ProviderName,
    operation: string,
    url: string,
    init: { method: 'GET' | 'POST'; form?: Record<string, string> },
    budget: AbortSignal,
  ): Promise<{ status: number; body: Record<string, unknown> | null; started: number }> {
    const { status, text, started } = await this.outbound.send(provider, operation, { url, ...init }, budget);
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = null;
    }
    return { status, body, started };
  }

  /** Sandbox: the base URL of a fake mounted in this very process (e.g. /sandbox/apple). */
  localBase(provider: ProviderName, path: string): string {
    return this.outbound.localBase(provider, path);
  }
}

/** What an exception of an SDK's or jose's HTTP layer means, as the family's error. */
export function classifyFetchError(
  provider: ProviderName,
  error: unknown,
): ProviderUnavailableError | ProviderNotSentError {
  return familyFailure(provider, error);
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
