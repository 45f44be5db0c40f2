import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { RateLimits } from '../database/rate-limits';
import { WechatGrantEntity } from './entities/wechat-grant.entity';
import { IdentitiesService } from '../identities/identities.service';
import { IdentityEntity } from '../identities/identity.entity';
import { WechatGrantsService } from './wechat-grants.service';
import { WechatApiClient } from './wechat-api.client';
import { WechatApiError, WechatUnavailableError } from './wechat-errors';

const JOB_NAME = 'wechat-token-refresh';
const GRANT_DEAD = new Set([40030, 42002, 42007]);
const BACKOFF_BASE_SECONDS = 60;
const BACKOFF_MAX_SECONDS = 3600;
const BUDGET_BUCKET = 'wechat:refresh-budget';

export interface RefreshRunReport {
  at: Date;
  claimed: number;
  refreshed: number;
  failed: number;
  reauthRequired: number;
}

export interface TokenRefreshStatusValues {
  active: number;
  dueWithinWindow: number;
  reauthRequired: number;
  lastRunAt: Date | null;
  lastRunRefreshed: number;
  lastRunFailed: number;
}

type Outcome = 'refreshed' | 'failed' | 'reauth';

/**
 * Keeps WeChat grants fresh: every interval, each instance claims grants whose access token expires
 * within the window (a lease: one conditional UPDATE, the same on SQLite and MySQL, so two instances
 * never refresh one grant and a dead instance's lease simply runs out), refreshes them with bounded
 * concurrency under a per-minute budget shared through the database, and stores what WeChat returns,
 * the profile included. Dead grants (40030, 42002, 42007) become reauth_required; passing failures
 * (-1, 45011, 5xx, timeouts) are tried again on a later pass with exponential backoff.
 */
@Injectable()
export class TokenRefreshService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenRefreshService.name);
  private readonly instanceId = `refresh-${randomUUID()}`;
  private readonly settings: AppConfig['values']['tokenRefresh'];
  private running: Promise<RefreshRunReport> | null = null;
  private stopping = false;
  private lastRun: RefreshRunReport | null = null;
  /** Called with each grant's outcome, for metrics. */
  onOutcome?: (outcome: Outcome) => void;

  constructor(
    private readonly database: Database,
    private readonly client: WechatApiClient,
    private readonly identities: IdentitiesService,
    private readonly grants: WechatGrantsService,
    private readonly rateLimits: RateLimits,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    config: AppConfig,
  ) {
    this.settings = config.get('tokenRefresh');
  }

  onApplicationBootstrap(): void {
    if (!this.settings.enabled) return;
    const timer = setInterval(() => {
      void this.runOnce().catch((error: unknown) => this.logger.error(`refresh pass failed: ${describe(error)}`));
    }, this.settings.intervalSeconds * 1000);
    timer.unref();
    this.scheduler.addInterval(JOB_NAME, timer);
  }

  /** Stops claiming, lets the pass in flight finish, and gives back any lease still held. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
    await this.running?.catch(() => undefined);
    await this.releaseLeases();
  }

  /** One pass now (also what adminRunTokenRefresh and the tests call). Passes never overlap. */
  runOnce(): Promise<RefreshRunReport> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  async status(): Promise<TokenRefreshStatusValues> {
    const now = this.clock.now();
    const due = new Date(now.getTime() + this.settings.windowSeconds * 1000);
    const grants = this.database.dataSource.manager.getRepository(WechatGrantEntity);
    const [active, dueWithinWindow, reauthRequired] = await Promise.all([
      grants.count({ where: { status: 'active' } }),
      grants
        .createQueryBuilder('g')
        .where("g.status = 'active' AND g.access_expires_at <= :due AND g.refresh_expires_at > :now", { due, now })
        // Website grants are left to expire; identities without a grant (mini programs) have no row.
        .andWhere("g.refresh_mode = 'auto'")
        .getCount(),
      grants.count({ where: { status: 'reauth_required' } }),
    ]);
    return {
      active,
      dueWithinWindow,
      reauthRequired,
      lastRunAt: this.lastRun?.at ?? null,
      lastRunRefreshed: this.lastRun?.refreshed ?? 0,
      lastRunFailed: this.lastRun?.failed ?? 0,
    };
  }

  private async pass(): Promise<RefreshRunReport> {
    const report: RefreshRunReport = { at: this.clock.now(), claimed: 0, refreshed: 0, failed: 0, reauthRequired: 0 };
    if (this.stopping) return report;
    const claimed = await this.claim();
    report.claimed = claimed.length;
    const queue = [...claimed];
    const worker = async (): Promise<void> => {
      for (let grant = queue.shift(); grant; grant = queue.shift()) {
        if (this.stopping || !(await this.takeBudget())) {
          await this.release(grant.id);
          continue;
        }
        const outcome = await this.refreshOne(grant);
        this.onOutcome?.(outcome);
        if (outcome === 'refreshed') report.refreshed += 1;
        else if (outcome === 'reauth') report.reauthRequired += 1;
        else report.failed += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, claimed.length) }, worker));
    this.lastRun = report;
    if (report.claimed > 0) {
      this.logger.log(
        `refresh pass: ${report.refreshed} refreshed, ${report.failed} failed, ${report.reauthRequired} need re-authorization`,
      );
    }
    return report;
  }

  /** Leases up to one batch of due grants with one conditional UPDATE, then reads back what it won. */
  private async claim(): Promise<WechatGrantEntity[]> {
    const now = this.clock.now();
    const due = new Date(now.getTime() + this.settings.windowSeconds * 1000);
    const leaseUntil = new Date(now.getTime() + this.settings.leaseSeconds * 1000);
    const token = `${this.instanceId}:${randomUUID()}`.slice(0, 64);
    return this.database.transaction(async (manager) => {
      const grants = manager.getRepository(WechatGrantEntity);
      const candidates = await grants
        .createQueryBuilder('g')
        .select('g.id', 'id')
        .where("g.status = 'active' AND g.access_expires_at <= :due AND g.refresh_expires_at > :now", { due, now })
        // Website grants are left to expire; identities without a grant (mini programs) have no row.
        .andWhere("g.refresh_mode = 'auto'")
        .andWhere('(g.next_attempt_at IS NULL OR g.next_attempt_at <= :now)', { now })
        .andWhere('(g.lease_expires_at IS NULL OR g.lease_expires_at <= :now)', { now })
        .orderBy('g.access_expires_at', 'ASC')
        .limit(this.settings.batch)
        .getRawMany<{ id: string }>();
      if (candidates.length === 0) return [];
      await grants
        .createQueryBuilder()
        .update()
        .set({ leaseOwner: token, leaseExpiresAt: leaseUntil })
        .where('id IN (:...ids)', { ids: candidates.map((c) => c.id) })
        .andWhere('(lease_expires_at IS NULL OR lease_expires_at <= :now)', { now })
        .andWhere("status = 'active'")
        .execute();
      return grants.find({ where: { leaseOwner: token } });
    });
  }

  private async refreshOne(grant: WechatGrantEntity): Promise<Outcome> {
    const identity = await this.identities.findById(grant.identityId);
    if (!identity) {
      await this.release(grant.id);
      return 'failed';
    }
    let refreshToken: string;
    try {
      refreshToken = this.grants.openGrant(grant).refreshToken;
    } catch (error) {
      this.logger.error(`grant ${grant.id} cannot be decrypted: ${describe(error)}`);
      await this.finish(grant, { status: 'reauth_required', lastError: 'decrypt' });
      return 'reauth';
    }
    try {
      const tokens = await this.client.refresh(identity.appId, refreshToken);
      await this.database.transaction(async (manager) => {
        await this.grants.storeGrant(manager, identity.id, tokens, false);
        await manager
          .getRepository(WechatGrantEntity)
          .update({ id: grant.id, leaseOwner: grant.leaseOwner! }, { leaseOwner: null, leaseExpiresAt: null });
      });
      await this.refreshProfile(identity, tokens.accessToken);
      return 'refreshed';
    } catch (error) {
      if (error instanceof WechatApiError && GRANT_DEAD.has(error.errcode)) {
        await this.finish(grant, { status: 'reauth_required', lastError: `errcode_${error.errcode}` });
        return 'reauth';
      }
      const failures = grant.failureCount + 1;
      const delay = Math.min(BACKOFF_BASE_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS);
      await this.finish(grant, {
        failureCount: failures,
        nextAttemptAt: new Date(this.clock.nowMs() + delay * 1000),
        lastError: errorLabel(error),
      });
      return 'failed';
    }
  }

  // A stale profile is no reason to fail the refresh: failures here are only logged.
  // A unionid that appears here is left for the next login, where the account-linking rules apply.
  private async refreshProfile(identity: IdentityEntity, accessToken: string): Promise<void> {
    try {
      const profile = await this.client.userInfo(identity.appId, accessToken, identity.subject);
      await this.database.transaction((manager) =>
        manager.getRepository(IdentityEntity).update(
          { id: identity.id },
          {
            nickname: profile.nickname || identity.nickname,
            avatarUrl: profile.avatarUrl || identity.avatarUrl,
            profileUpdatedAt: this.clock.now(),
          },
        ),
      );
    } catch (error) {
      this.logger.warn(`profile of identity ${identity.id} not refreshed: ${errorLabel(error)}`);
    }
  }

  private async takeBudget(): Promise<boolean> {
    const result = await this.database.transaction((manager) =>
      this.rateLimits.hit(
        manager,
        { bucket: BUDGET_BUCKET, limit: this.settings.perMinute, windowSeconds: 60 },
        this.clock.now(),
      ),
    );
    return result.allowed;
  }

  private async finish(grant: WechatGrantEntity, changes: Partial<WechatGrantEntity>): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .getRepository(WechatGrantEntity)
        .update(
          { id: grant.id, leaseOwner: grant.leaseOwner! },
          { ...changes, leaseOwner: null, leaseExpiresAt: null, updatedAt: this.clock.now() },
        ),
    );
  }

  private async release(grantId: string): Promise<void> {
    await this.database.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(WechatGrantEntity)
        .set({ leaseOwner: null, leaseExpiresAt: null })
        .where('id = :grantId AND lease_owner LIKE :mine', { grantId, mine: `${this.instanceId}:%` })
        .execute(),
    );
  }

  private async releaseLeases(): Promise<void> {
    try {
      await this.database.transaction((manager) =>
        manager
          .createQueryBuilder()
          .update(WechatGrantEntity)
          .set({ leaseOwner: null, leaseExpiresAt: null })
          .where('lease_owner LIKE :mine', { mine: `${this.instanceId}:%` })
          .execute(),
      );
    } catch (error) {
      this.logger.warn(`leases not released at shutdown (they expire on their own): ${describe(error)}`);
    }
  }
}

function errorLabel(error: unknown): string {
  if (error instanceof WechatApiError) return `errcode_${error.errcode}`;
  if (error instanceof WechatUnavailableError) return `unavailable_${error.reason}`;
  return 'error';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
