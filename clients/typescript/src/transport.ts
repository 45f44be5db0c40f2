import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { GraphQLErrorBody, LoginServiceError, NetworkError } from './errors.js';

/**
 * The part of `fetch` the client uses. React Native and browsers have it; on uni-app (mini
 * programs) wrap `uni.request` in a function of this shape (see the README).
 */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** A generated document (`LoginWithPhoneDocument`, ...) or any string-backed typed document. */
export type TypedDocument<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

export interface RetryOptions {
  /** extra attempts after the first for errors with extensions.retryable (default 3) */
  maxRetries?: number;
  /** first backoff step (default 300 ms); doubles each attempt, with full jitter */
  baseDelayMs?: number;
  /** longest wait between attempts (default 10 s); a longer retryAfterSeconds is not waited for */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** the service's GraphQL endpoint, e.g. https://login.example.com/graphql */
  url: string;
  fetch?: FetchLike;
  /** extra headers on every request (e.g. an app version) */
  headers?: Record<string, string>;
  retry?: RetryOptions;
  /** for tests: randomness for the jitter and the sleep between attempts */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  /** sent as Authorization: Bearer <accessToken> */
  accessToken?: string | null;
  /** false: one attempt only */
  retry?: boolean;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function operationNameOf(document: { toString(): string }): string | undefined {
  return /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(document.toString())?.[1];
}

/** POSTs GraphQL documents with fetch; retries what the service marks retryable, nothing else. */
export class GraphQLTransport {
  private readonly fetchFn: FetchLike;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TransportOptions) {
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    const fetchFn = options.fetch ?? globalFetch?.bind(globalThis);
    if (!fetchFn) throw new Error('No fetch available: pass options.fetch');
    this.fetchFn = fetchFn;
    this.maxRetries = options.retry?.maxRetries ?? 3;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 300;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async request<TResult, TVariables>(
    document: TypedDocument<TResult, TVariables>,
    variables?: TVariables,
    options: RequestOptions = {},
  ): Promise<TResult> {
    const operationName = operationNameOf(document);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<TResult>(document.toString(), variables, operationName, options.accessToken);
      } catch (error) {
        const wait = options.retry === false ? null : this.retryDelay(error, attempt);
        if (wait === null) throw error;
        await this.sleep(wait);
      }
    }
  }

  /** null: do not retry. Otherwise the backoff with full jitter, at least retryAfterSeconds. */
  private retryDelay(error: unknown, attempt: number): number | null {
    if (!(error instanceof LoginServiceError) || !error.retryable || attempt >= this.maxRetries) return null;
    const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt) * this.random();
    const floor = (error.retryAfterSeconds ?? 0) * 1000;
    if (floor > this.maxDelayMs) return null;
    return Math.max(backoff, floor);
  }

  private async once<TResult>(
    query: string,
    variables: unknown,
    operationName: string | undefined,
    accessToken: string | null | undefined,
  ): Promise<TResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...this.options.headers,
    };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    let status: number;
    let text: string;
    try {
      const res = await this.fetchFn(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: variables ?? {}, operationName }),
      });
      status = res.status;
      text = await res.text();
    } catch (cause) {
      throw new NetworkError(`${operationName ?? 'request'}: the service could not be reached`, {
        operationName,
        cause,
      });
    }
    let body: { data?: TResult | null; errors?: GraphQLErrorBody[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new NetworkError(`${operationName ?? 'request'}: HTTP ${status} without a GraphQL answer`, {
        status,
        operationName,
      });
    }
    if (body.errors?.length) throw new LoginServiceError(body.errors[0], operationName);
    if (body.data == null) {
      throw new NetworkError(`${operationName ?? 'request'}: HTTP ${status} without data`, { status, operationName });
    }
    return body.data;
  }
}
