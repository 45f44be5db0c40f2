import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Clock } from '../common/clock';
import { TokenCipher } from '../common/token-cipher';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { GrantLeases } from './token-refresh/grant-leases';
import { GrantRefresher } from './token-refresh/grant-refresher';
import { LoadGate } from './token-refresh/load-gate';
import { RequestLoad } from '../health/request-load';
import { FleetCounter } from '../rate-limits/fleet-counter';
import { RefreshBudget } from './token-refresh/refresh-budget';
import { describeError } from './token-refresh/refresh-errors';
import { RefreshOutcome, RefreshPassParts, RefreshRunReport, runRefreshPass } from './token-refresh/refresh-pass';
import { WechatApiClient } from './wechat-api.client';
import { WechatGrantsRepository } from './wechat-grants.repository';

export type { RefreshRunReport } from './token-refresh/refresh-pass';

export interface TokenRefreshStatusValues {
  active: number;
  dueWithinWindow: number;
  reauthRequired: number;
  lastRunAt: Date | null;
  lastRunRefreshed: number;
  lastRunFailed: number;
}

/**
 * Keeps WeChat grants fresh. Each instance (an API instance with TOKEN_REFRESH_ENABLED, or a
 * `refresh-worker` process) runs passes back to back while grants are due, and waits the interval
 * when none is due or the budget is spent. A pass (token-refresh/refresh-pass.ts) leases up to a
 * batch of due grants (grant-leases.ts), draws that many units of the per-minute budget shared
 * on the fleet counters (refresh-budget.ts), refreshes them with bounded concurrency
 * (grant-refresher.ts) and writes them back one statement per chunk. In an API instance the job
 * yields to requests (load-gate.ts): while any is in flight, or the event loop lags, grants start at
 * TOKEN_REFRESH_BUSY_PER_SECOND. A refresh-worker process with nothing due looks again every
 * WORKER_IDLE_POLL_SECONDS, so newly due work waits seconds, not the whole interval.
 */
/** A refresh-worker process's pause when nothing is due (one cheap claim query per pause). */
export const WORKER_IDLE_POLL_SECONDS = 2;

@Injectable()
export class TokenRefreshService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenRefreshService.name);
  private readonly instanceId = `refresh-${randomUUID()}`;
  private readonly settings: AppConfig['values']['tokenRefresh'];
  private readonly parts: RefreshPassParts;
  private readonly gate: LoadGate;
  private readonly leases: GrantLeases;
  private running: Promise<RefreshRunReport> | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;
  private lastRun: RefreshRunReport | null = null;
  /** Called with each grant's outcome, for metrics. */
  onOutcome?: (outcome: RefreshOutcome) => void;

  constructor(
    database: Database,
    private readonly grants: WechatGrantsRepository,
    client: WechatApiClient,
    cipher: TokenCipher,
    fleet: FleetCounter,
    private readonly clock: Clock,
    config: AppConfig,
    load: RequestLoad,
  ) {
    this.settings = config.get('tokenRefresh');
    this.gate = new LoadGate(this.settings, load);
    this.leases = new GrantLeases(database, grants, clock, this.settings);
    this.parts = {
      database,
      clock,
      leases: this.leases,
      budget: new RefreshBudget(fleet, this.settings.perMinute),
      refresher: new GrantRefresher(grants, client, cipher, clock),
      gate: this.gate,
      concurrency: this.settings.concurrency,
      stopping: () => this.stopping,
      onOutcome: (outcome) => this.onOutcome?.(outcome),
      record: (report) => {
        this.lastRun = report;
      },
    };
  }

  onApplicationBootstrap(): void {
    if (!this.settings.enabled) return;
    this.gate.start();
    this.loop = this.runLoop();
  }

  /** Stops claiming, lets the pass in flight finish, and gives back any lease still held. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.gate.release();
    await this.loop;
    await this.running?.catch(() => undefined);
    this.gate.stop();
    // An instance that never ran the job holds no lease.
    if (this.settings.enabled) await this.leases.releaseInstance(this.instanceId);
  }

  /** One pass now (also what adminRunTokenRefresh and the tests call). Passes never overlap. */
  runOnce(): Promise<RefreshRunReport> {
    if (!this.running) {
      const token = `${this.instanceId}:${randomUUID()}`.slice(0, 64);
      this.running = runRefreshPass(this.parts, token).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  async status(): Promise<TokenRefreshStatusValues> {
    const now = this.clock.now();
    const due = new Date(now.getTime() + this.settings.windowSeconds * 1000);
    const counts = await this.grants.countByState(due, now);
    return {
      active: counts.active,
      dueWithinWindow: counts.due,
      reauthRequired: counts.reauthRequired,
      lastRunAt: this.lastRun?.at ?? null,
      lastRunRefreshed: this.lastRun?.refreshed ?? 0,
      lastRunFailed: this.lastRun?.failed ?? 0,
    };
  }

  /** Passes back to back while grants are due and the budget lasts; the interval's rest otherwise. */
  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        const report = await this.runOnce();
        busy = report.claimed > 0 && report.overBudget === 0;
      } catch (error) {
        this.logger.error(`refresh pass failed: ${describeError(error)}`);
      }
      if (this.stopping) break;
      if (busy) {
        await nextTurn();
        continue;
      }
      await new Promise<void>((resolve) => {
        const idleSeconds = this.settings.dedicated
          ? Math.min(WORKER_IDLE_POLL_SECONDS, this.settings.intervalSeconds)
          : this.settings.intervalSeconds;
        const timer = setTimeout(resolve, idleSeconds * 1000);
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
