import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { outsideRequest } from '../common/request-context';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { sqlIn } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { IncomingEvent, ProviderEventContext, ProviderEventError } from './provider-event';
import { ProviderEventHandlers } from './provider-event-handlers';
import { ProviderEventsRepository } from './provider-events.repository';

// A handler has this long before another claim may take its event over.
const LEASE_MS = 60_000;
// Retries: 5 s after the first failure, doubling, at most an hour apart; never given up.
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 3_600_000;
const SWEEP_BATCH = 50;

export type ApplyOutcome = 'applied' | 'ignored' | 'failed' | 'elsewhere';

/**
 * The durable inbox of provider events. A receiver verifies a delivery and `store`s it (a repeated
 * delivery has the same key: stored once) before it answers 2xx; then the event is applied right after
 * the answer (`applySoon`) and, should that not happen (a crash, a failing handler), by the sweeper
 * every PROVIDER_EVENTS_SWEEP_SECONDS on any instance. Applying claims the row with one conditional
 * UPDATE under a lease, so two instances never apply one event at once, and a handler's transaction
 * marks it applied only while the lease is still its own.
 */
@Injectable()
export class ProviderEventInbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProviderEventInbox.name);
  private readonly instanceId = `inbox-${randomBytes(8).toString('hex')}`;
  private readonly sweepSeconds: number;
  private readonly applyOnReceipt: boolean;
  private readonly inFlight = new Set<Promise<unknown>>();
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;

  constructor(
    private readonly events: ProviderEventsRepository,
    private readonly handlers: ProviderEventHandlers,
    private readonly database: Database,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.sweepSeconds = config.get('providerEvents').sweepSeconds;
    this.applyOnReceipt = config.get('providerEvents').applyOnReceipt;
  }

  onApplicationBootstrap(): void {
    // Outside any request; the first sweep picks up what an earlier process stored and never applied.
    if (this.sweepSeconds > 0) this.loop = outsideRequest(() => this.runLoop());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.events.releaseInstance(this.instanceId).catch(() => undefined);
  }

  /** Stores a verified delivery; `stored: false` for a repeated one (nothing changed). */
  async store(event: IncomingEvent): Promise<{ id: string; stored: boolean }> {
    const id = newId();
    const stored = await this.events.insert({ ...event, id, receivedAt: this.clock.now() });
    return { id, stored };
  }

  /** Applies a just-stored event in the background, outside the request that stored it. */
  applySoon(id: string): void {
    // PROVIDER_EVENTS_APPLY_ON_RECEIPT=false: the sweeper applies it (the crash drill stores and is killed).
    if (!this.applyOnReceipt) return;
    outsideRequest(() =>
      setImmediate(() => {
        this.track(this.apply(id)).catch(() => undefined);
      }),
    );
  }

  /** One sweep: every due pending event this instance can claim; how each went. */
  async sweepOnce(): Promise<ApplyOutcome[]> {
    const ids = await this.events.pickDue(this.clock.now(), SWEEP_BATCH);
    const outcomes: ApplyOutcome[] = [];
    for (const id of ids) {
      if (this.stopping) break;
      outcomes.push(await this.track(this.apply(id)));
    }
    return outcomes;
  }

  /** Claims the event and runs its handler; on failure it stays pending with its next attempt set. */
  async apply(id: string): Promise<ApplyOutcome> {
    const owner = `${this.instanceId}:${randomUUID()}`;
    const now = this.clock.now();
    const event = await this.events.claim(id, owner, new Date(now.getTime() + LEASE_MS), now);
    if (!event) return 'elsewhere';
    const handler = this.handlers.handlerOf(event.provider, event.eventType);
    if (!handler) {
      await this.events.markApplied(id, owner, 'ignored', this.clock.now());
      return 'ignored';
    }
    let marked = false;
    const context: ProviderEventContext = {
      commit: (work) =>
        this.database.transaction(async (manager) => {
          const result = await work(manager);
          if (!(await this.events.markApplied(id, owner, 'applied', this.clock.now(), sqlIn(manager)))) {
            throw new ProviderEventError('LEASE_LOST');
          }
          marked = true;
          return result;
        }),
    };
    try {
      await handler(event, context);
      if (!marked) await this.events.markApplied(id, owner, 'applied', this.clock.now());
      return 'applied';
    } catch (error) {
      const code = errorCodeOf(error);
      this.logger.warn(`${event.provider} ${event.eventType} event ${id} not applied (try ${event.attempt}): ${code}`);
      const next = new Date(this.clock.nowMs() + retryDelayMs(event.attempt));
      await this.events.backOff(id, owner, code, next).catch(() => undefined);
      return 'failed';
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.sweepOnce();
      } catch (error) {
        this.logger.error(`provider event sweep failed: ${errorCodeOf(error)}`);
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.sweepSeconds * 1000);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

/** 5 s, 10 s, 20 s, ... up to an hour. */
export function retryDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

// What is kept on the row: a code, never a message (it might quote what the provider sent).
function errorCodeOf(error: unknown): string {
  if (error instanceof ProviderEventError) return error.code;
  if (error instanceof DomainError) return error.code;
  return error instanceof Error ? error.name : 'UNKNOWN';
}
