import { Injectable } from '@nestjs/common';
import type { OutboxRow } from './outbox.repository';

/**
 * What one try of a message ended in. `ok`: done. Otherwise it is tried again on the schedule, unless
 * `final` (it can never succeed: retrying is pointless). `error` is a label (http_500, timeout,
 * endpoint_removed), never a response body, a token or a secret.
 */
export type OutboxTry =
  { ok: true; statusCode?: number } | { ok: false; statusCode?: number; error: string; final?: boolean };

/** Sends one message of a kind (a webhook, a cleanup at a provider). May throw: a throw is a failed try. */
export type OutboxHandler = (message: OutboxRow) => Promise<OutboxTry>;

/**
 * The handlers of the outbox, by kind: webhooks register 'webhook', and our own cleanups at providers
 * register theirs (e.g. Apple's /auth/revoke), so that any of them is retried until it goes through.
 */
@Injectable()
export class OutboxHandlers {
  private readonly handlers = new Map<string, OutboxHandler>();

  register(kind: string, handler: OutboxHandler): void {
    if (this.handlers.has(kind)) throw new Error(`outbox kind ${kind} has a handler already`);
    this.handlers.set(kind, handler);
  }

  /** The kinds with a handler (metrics report each, 0 when none is waiting). */
  kinds(): string[] {
    return [...this.handlers.keys()];
  }

  handlerOf(kind: string): OutboxHandler | undefined {
    return this.handlers.get(kind);
  }
}
