import type { EntityManager } from 'typeorm';

/** Who sends events in: WeChat's message server now; Apple and Huawei (issue 20) join here. */
export type EventProvider = 'wechat' | 'apple' | 'huawei';

/** A verified delivery, as a receiver hands it to the inbox. */
export interface IncomingEvent {
  provider: EventProvider;
  /** The provider app it was sent for (WeChat AppID, Apple client id, Huawei app id). */
  appId: string;
  /** The provider's event id, or a SHA-256 hex of what identifies the event: a repeat has the same key. */
  dedupeKey: string;
  eventType: string;
  /** The verified event, decrypted; never a secret. */
  payload: Record<string, unknown>;
}

/** A stored event, as a handler receives it. */
export interface ProviderEvent extends IncomingEvent {
  id: string;
  receivedAt: Date;
  /** 1 on the first try. */
  attempt: number;
}

export interface ProviderEventContext {
  /**
   * Runs `work` in one transaction with marking the event applied, so that database effects and the
   * mark commit together (applied once). A handler that does not call it is marked after it returns.
   */
  commit<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
}

/** Applies one kind of event. Throwing leaves it pending: the sweeper tries again with backoff. */
export type ProviderEventHandler = (event: ProviderEvent, context: ProviderEventContext) => Promise<void>;

/** A handler's failure with a code worth keeping on the row (last_error_code); other errors keep their name. */
export class ProviderEventError extends Error {
  constructor(readonly code: string) {
    super(`provider event not applied: ${code}`);
  }
}
