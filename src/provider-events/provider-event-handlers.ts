import { Injectable } from '@nestjs/common';
import type { EventProvider, ProviderEventHandler } from './provider-event';

/**
 * The handlers of provider events, keyed by (provider, event type). Connectors register theirs when
 * their module starts; an event with no handler is stored and marked 'ignored'.
 */
@Injectable()
export class ProviderEventHandlers {
  private readonly handlers = new Map<string, ProviderEventHandler>();

  /** One handler per (provider, type): a second is a wiring mistake. Returns its removal. */
  register(provider: EventProvider, eventType: string, handler: ProviderEventHandler): () => void {
    const key = keyOf(provider, eventType);
    if (this.handlers.has(key)) throw new Error(`a handler for ${provider} ${eventType} is already registered`);
    this.handlers.set(key, handler);
    return () => {
      if (this.handlers.get(key) === handler) this.handlers.delete(key);
    };
  }

  handlerOf(provider: EventProvider, eventType: string): ProviderEventHandler | null {
    return this.handlers.get(keyOf(provider, eventType)) ?? null;
  }
}

function keyOf(provider: string, eventType: string): string {
  return `${provider}\u0000${eventType}`;
}
