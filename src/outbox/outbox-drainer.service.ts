import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Clock } from '../common/clock';
import type { OutboxSettings } from '../config/app-config';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { OutboxHandlers, OutboxTry } from './outbox-handlers';
import { OutboxRepository, OutboxRow } from './outbox.repository';

// Messages sent at once by one instance.
const CONCURRENCY = 8;
// No try starts later than this before the lease ends (a try takes at most the handler's budget).
const LEASE_MARGIN_MS = 20_000;

export type OutboxOutcome = 'delivered' | 'retry' | 'failed';

export interface DrainReport {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * Sends what the outbox holds. Every instance may run it (OUTBOX_ENABLED): a pass claims due messages
 * under a lease (one conditional UPDATE: two instances never hold one message at once, and a dead
 * instance's lease runs out), sends each through its kind's handler, and records the outcome while it
 * still holds the lease: delivered, tried again after the next step of OUTBOX_RETRY_SCHEDULE, or
 * failed after the last. One user's messages go in order (the claim skips a message while an earlier
 * one of the same user is due). Passes follow each other while there is work, else the interval.
 */
@Injectable()
export class OutboxDrainer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDrainer.name);
  private readonly instanceId = `outbox-${randomUUID()}`;
  private readonly settings: OutboxSettings;
  private running: Promise<DrainReport> | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;
  /** Called with each try's outcome, for metrics. */
  onOutcome?: (kind: string, outcome: OutboxOutcome) => void;

  constructor(
    private readonly database: Database,
    private readonly rows: OutboxRepository,
    private readonly handlers: OutboxHandlers,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.get('outbox');
  }

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.loop = this.runLoop();
  }

  /** Stops claiming, lets the pass in flight finish, and gives back any lease still held. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.running?.catch(() => undefined);
    // An instance that never ran the loop holds no lease (a pass run by hand gives back its own).
    if (!this.settings.enabled) return;
    await this.rows.releaseInstance(`${this.instanceId}:`).catch((error: unknown) => {
      this.logger.warn(`outbox leases not released at shutdown (they expire on their own): ${describe(error)}`);
    });
  }

  /** One pass now (the loop's step; tests call it). Passes of one instance never overlap. */
  runOnce(): Promise<DrainReport> {
    if (!this.running) {
      const token = `${this.instanceId}:${randomUUID()}`.slice(0, 64);
      this.running = this.pass(token).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(token: string): Promise<DrainReport> {
    const report: DrainReport = { claimed: 0, delivered: 0, retried: 0, failed: 0 };
    if (this.stopping) return report;
    const claimedAt = Date.now();
    const claimed = await this.claim(token);
    report.claimed = claimed.length;
    // Real time, not the (movable) clock: a try must end while this instance still holds the lease.
    const lastStart = claimedAt + this.settings.leaseSeconds * 1000 - LEASE_MARGIN_MS;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < claimed.length && !this.stopping && Date.now() < lastStart) {
        const message = claimed[next++];
        const outcome = await this.deliver(message, token);
        if (outcome === 'delivered') report.delivered += 1;
        else if (outcome === 'retry') report.retried += 1;
        else if (outcome === 'failed') report.failed += 1;
        if (outcome) this.onOutcome?.(message.kind, outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, claimed.length) }, () => worker()));
    if (next < claimed.length) {
      // Not reached (shutdown, or the lease running short): back to the pool now.
      await this.rows
        .releaseIds(
          claimed.slice(next).map((m) => m.id),
          token,
        )
        .catch(() => undefined);
    }
    return report;
  }

  /** Pick, lease and read back in one transaction; what this token won. */
  private claim(token: string): Promise<OutboxRow[]> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + this.settings.leaseSeconds * 1000);
    return this.database.sqlTransaction(async (sql) => {
      const ids = await this.rows.pickDue(sql, this.settings.batch, now);
      if (ids.length === 0) return [];
      if ((await this.rows.lease(sql, ids, token, until, now)) === 0) return [];
      return this.rows.findLeased(sql, ids, token);
    });
  }

  /** One try and its record; null when the lease was lost meanwhile (another instance owns it now). */
  private async deliver(message: OutboxRow, token: string): Promise<OutboxOutcome | null> {
    const handler = this.handlers.handlerOf(message.kind);
    let result: OutboxTry;
    try {
      result = handler ? await handler(message) : { ok: false, error: 'no_handler' };
    } catch (error) {
      this.logger.warn(`outbox ${message.kind} ${message.id} failed: ${describe(error)}`);
      result = { ok: false, error: 'error' };
    }
    const now = this.clock.now();
    try {
      if (result.ok) {
        return (await this.rows.recordDelivered(message.id, token, result.statusCode ?? null, now))
          ? 'delivered'
          : null;
      }
      const record = { statusCode: result.statusCode ?? null, error: result.error.slice(0, 128) };
      const delaySeconds = this.settings.retrySchedule[message.attempts];
      if (result.final || delaySeconds === undefined) {
        this.logger.warn(`outbox ${message.kind} ${message.id} (${message.type}) failed for good: ${record.error}`);
        return (await this.rows.recordFailed(message.id, token, record, now)) ? 'failed' : null;
      }
      const next = new Date(now.getTime() + delaySeconds * 1000);
      return (await this.rows.recordRetry(message.id, token, record, next, now)) ? 'retry' : null;
    } catch (error) {
      // Not recorded: the lease runs out and the message is tried again (at least once).
      this.logger.error(`outbox ${message.id}: outcome not recorded: ${describe(error)}`);
      return null;
    }
  }

  /** Passes back to back while a full batch was claimed; the interval otherwise. */
  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        const report = await this.runOnce();
        busy = report.claimed >= this.settings.batch;
      } catch (error) {
        this.logger.error(`outbox pass failed: ${describe(error)}`);
      }
      if (this.stopping) break;
      if (busy) {
        await nextTurn();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.intervalMs);
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

function describe(error: unknown): string {
  return error instanceof Error ? error.name : String(error);
}
