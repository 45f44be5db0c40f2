import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomInt, randomUUID } from 'node:crypto';
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
// The per-minute budget is split over this many counter rows, so that instances on different nodes
// of a multi-primary cluster rarely write the same row (a hot row loses certifications there).
const BUDGET_SHARDS = 16;
// Grants leased per claim transaction.
const CLAIM_CHUNK = 25;

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
  private readonly homeShard = randomInt(0, BUDGET_SHARDS);
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
    const token = `${this.instanceId}:${randomUUID()}`.slice(0, 64);
    try {
      const claimed = await this.claim(token);
      report.claimed = claimed.length;
      const queue = [...claimed];
      let budgetLeft = true;
      // Each grant's failure stays with that grant: it is logged, counted, and its lease given back;
      // the other workers carry on, and no worker outlives the pass.
      const worker = async (): Promise<void> => {
        for (let grant = queue.shift(); grant; grant = queue.shift()) {
          try {
            if (this.stopping || !budgetLeft || !(budgetLeft = await this.takeBudget())) {
              await this.release(grant.id);
              continue;
            }
            const outcome = await this.refreshOne(grant);
            this.onOutcome?.(outcome);
            if (outcome === 'refreshed') report.refreshed += 1;
            else if (outcome === 'reauth') report.reauthRequired += 1;
            else report.failed += 1;
          } catch (error) {
            report.failed += 1;
            this.logger.error(`grant ${grant.id} not refreshed: ${describe(error)}`);
            await this.release(grant.id).catch(() => undefined);
          }
        }
      };
      await Promise.allSettled(Array.from({ length: Math.min(this.settings.concurrency, claimed.length) }, worker));
    } finally {
      // Whatever this pass still holds (a failed claim's commit, a release that failed) goes back now
      // instead of staying leased for the whole lease time.
      await this.releaseToken(token);
    }
    this.lastRun = report;
    if (report.claimed > 0) {
      this.logger.log(
        `refresh pass: ${report.refreshed} refreshed, ${report.failed} failed, ${report.reauthRequired} need re-authorization`,
      );
    }
    return report;
  }

  /**
   * Leases up to one batch of due grants, CLAIM_CHUNK at a time: each chunk is one conditional
   * UPDATE in its own transaction. Candidates are taken from a random point of the (random) id space
   * onwards, wrapping around, so that instances claiming at the same time pick different grants; on
   * one MySQL server SKIP LOCKED also steps over rows another claim is taking. (Every due grant is in
   * the refresh window, so their order does not matter.) On a multi-primary cluster a chunk that
   * still collides with another node's claim loses its certification and is run again whole, from a
   * new random point, by Database.transaction; small chunks keep such collisions rare and cheap.
   */
  private async claim(token: string): Promise<WechatGrantEntity[]> {
    let leased = 0;
    while (leased < this.settings.batch && !this.stopping) {
      const won = await this.claimChunk(token, Math.min(CLAIM_CHUNK, this.settings.batch - leased));
      if (won === 0) break;
      leased += won;
    }
    if (leased === 0) return [];
    return this.database.transaction((manager) =>
      manager.getRepository(WechatGrantEntity).find({ where: { leaseOwner: token } }),
    );
  }

  private async claimChunk(token: string, size: number): Promise<number> {
    const now = this.clock.now();
    const due = new Date(now.getTime() + this.settings.windowSeconds * 1000);
    const leaseUntil = new Date(now.getTime() + this.settings.leaseSeconds * 1000);
    return this.database.transaction(async (manager) => {
      const pivot = randomUUID();
      const grants = manager.getRepository(WechatGrantEntity);
      const pick = async (range: string, limit: number): Promise<{ id: string }[]> => {
        const query = grants
          .createQueryBuilder('g')
          .select('g.id', 'id')
          .where("g.status = 'active' AND g.access_expires_at <= :due AND g.refresh_expires_at > :now", { due, now })
          // Website grants are left to expire; identities without a grant (mini programs) have no row.
          .andWhere("g.refresh_mode = 'auto'")
          .andWhere('(g.next_attempt_at IS NULL OR g.next_attempt_at <= :now)', { now })
          .andWhere('(g.lease_expires_at IS NULL OR g.lease_expires_at <= :now)', { now })
          .andWhere(range, { pivot })
          .orderBy('g.id', 'ASC')
          .limit(limit);
        if (this.database.dialect === 'mysql') query.setLock('pessimistic_write').setOnLocked('skip_locked');
        return query.getRawMany<{ id: string }>();
      };
      const candidates = await pick('g.id >= :pivot', size);
      if (candidates.length < size) candidates.push(...(await pick('g.id < :pivot', size - candidates.length)));
      if (candidates.length === 0) return 0;
      const result = await grants
        .createQueryBuilder()
        .update()
        .set({ leaseOwner: token, leaseExpiresAt: leaseUntil })
        .where('id IN (:...ids)', { ids: candidates.map((c) => c.id) })
        .andWhere('(lease_expires_at IS NULL OR lease_expires_at <= :now)', { now })
        .andWhere("status = 'active'")
        .execute();
      return result.affected ?? 0;
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

  /**
   * One unit of the per-minute budget shared by every instance. The budget is split over up to
   * BUDGET_SHARDS counter rows whose limits add up to TOKEN_REFRESH_PER_MINUTE; an instance starts
   * at a shard of its own and moves on to the next only when that one is full, so the total holds
   * while instances seldom write the same row.
   */
  private async takeBudget(): Promise<boolean> {
    const perMinute = this.settings.perMinute;
    const shards = Math.max(1, Math.min(BUDGET_SHARDS, perMinute));
    const now = this.clock.now();
    for (let step = 0; step < shards; step++) {
      const shard = (this.homeShard + step) % shards;
      const limit = Math.floor(perMinute / shards) + (shard < perMinute % shards ? 1 : 0);
      const bucket = shards === 1 ? BUDGET_BUCKET : `${BUDGET_BUCKET}:${shard}`;
      const result = await this.database.transaction((manager) =>
        this.rateLimits.hit(manager, { bucket, limit, windowSeconds: 60 }, now),
      );
      if (result.allowed) return true;
    }
    return false;
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

  private async releaseToken(token: string): Promise<void> {
    try {
      await this.database.transaction((manager) =>
        manager
          .createQueryBuilder()
          .update(WechatGrantEntity)
          .set({ leaseOwner: null, leaseExpiresAt: null })
          .where('lease_owner = :token', { token })
          .execute(),
      );
    } catch (error) {
      this.logger.warn(`leases of a pass not released (they expire on their own): ${describe(error)}`);
    }
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
