import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import type { SqlTarget } from '../database/sql';
import { OutboxRepository } from './outbox.repository';

/** A message for the outbox: one row per endpoint (a webhook), or one row without (a cleanup). */
export interface OutboxMessage {
  /** 'webhook', or a cleanup kind with a handler in OutboxHandlers. */
  kind: string;
  type: string;
  /** The exact bytes to send (a webhook's body) or the handler's input: never a plaintext secret. */
  payload: string;
  /** Webhooks: one delivery per endpoint, each with its own id. */
  endpoints?: readonly string[];
  /** Messages with the same key (a user id) are sent in the order they were written. */
  orderingKey?: string | null;
}

/**
 * Writes messages into the outbox inside the caller's transaction (or statement), so that the change
 * and its message commit together or not at all; the drainer (OutboxDrainer) sends them afterwards.
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly rows: OutboxRepository,
    private readonly clock: Clock,
  ) {}

  /** The ids written (one per endpoint); one statement, none when there is nowhere to send. */
  async add(target: SqlTarget, message: OutboxMessage): Promise<string[]> {
    const endpoints: (string | null)[] = message.endpoints ? [...message.endpoints] : [null];
    if (endpoints.length === 0) return [];
    const createdAt = this.clock.now();
    const rows = endpoints.map((endpoint) => ({
      id: newId(),
      kind: message.kind,
      type: message.type,
      endpoint,
      payload: message.payload,
      orderingKey: message.orderingKey ?? null,
      createdAt,
    }));
    await this.rows.insert(target, rows);
    return rows.map((row) => row.id);
  }
}
