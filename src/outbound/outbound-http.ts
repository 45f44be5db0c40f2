import type { Agent } from 'undici';
import { isLocalException, type UnavailableReason } from './provider-call-error';

// undici (some 110 modules) is required on the first call, not at start: an instance whose providers
// are never called does not load it.
let undiciModule: typeof import('undici') | undefined;
const undici = (): typeof import('undici') => (undiciModule ??= require('undici') as typeof import('undici'));

// Connection errors that prove the request never left: safe to retry even a code exchange.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
// undici refusing to send what we built (bad header, URL or body): our side, before sending.
const LOCAL_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'ERR_INVALID_URL', 'ERR_INVALID_CHAR']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
  /** A form (application/x-www-form-urlencoded) or a JSON body; none for GET. */
  form?: Record<string, string>;
  json?: Record<string, unknown>;
  /** Bytes sent exactly as given (a signed webhook body), with the caller's content-type. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface OutboundAnswer {
  status: number;
  text: string;
}

/** What a transport failure was: the provider out of reach (with why), or our own process before sending. */
export type TransportFailure = { reason: UnavailableReason } | { local: string };

/**
 * One keep-alive connection pool per client (undici's `request`: no WHATWG Request/Response per call).
 * Each call has the per-call timeout (connect to last byte); `budget` ends it with the operation.
 */
export class OutboundHttp {
  private agent: Agent | undefined;
  private closed = false;

  constructor(private readonly timeoutMs: number) {}

  async send(outbound: OutboundRequest, budget: AbortSignal): Promise<OutboundAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...outbound.headers };
    let body: string | undefined;
    if (outbound.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(outbound.form).toString();
    } else if (outbound.json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(outbound.json);
    } else if (outbound.raw !== undefined) {
      body = outbound.raw;
    }
    // Our own timer for the whole call: undici's header and body timeouts tick at about a second.
    const call = perCallSignal(budget, this.timeoutMs);
    try {
      const response = await undici().request(outbound.url, {
        dispatcher: this.pool(),
        method: outbound.method,
        headers,
        body,
        signal: call.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return { status: response.statusCode, text: await response.body.text() };
    } finally {
      call.done();
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return this.agent ? this.agent.close().catch(() => undefined) : Promise.resolve();
  }

  private pool(): Agent {
    if (!this.agent) {
      this.agent = new (undici().Agent)({ keepAliveTimeout: 30_000, connections: 128 });
      // A call after close() fails as it did when the pool was made up front and closed.
      if (this.closed) void this.agent.close();
    }
    return this.agent;
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

/** What an exception thrown by undici, fetch or an SDK's HTTP layer means. */
export function transportFailure(error: unknown, budget?: AbortSignal): TransportFailure {
  const own = (error as { code?: unknown })?.code;
  const causeCode = (error as { cause?: { code?: unknown } })?.cause?.code;
  const code = typeof own === 'string' ? own : typeof causeCode === 'string' ? causeCode : undefined;
  const name = (error as { name?: unknown })?.name;
  if ((code && LOCAL_CODES.has(code)) || isLocalException(error)) {
    return { local: code ?? (typeof name === 'string' ? name : 'Error') };
  }
  if ((code && TIMEOUT_CODES.has(code)) || name === 'TimeoutError') return { reason: 'timeout' };
  if (budget?.aborted || code === 'UND_ERR_ABORTED' || name === 'AbortError') return { reason: 'budget' };
  if (code && NEVER_SENT.has(code)) return { reason: 'connect' };
  return { reason: 'network' };
}
