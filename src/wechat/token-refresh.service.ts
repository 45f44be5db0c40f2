import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomInt, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Clock } from '../common/clock';
import { TokenCipher } from '../common/token-cipher';
import { AppConfig } from '../config/app-config.service';
import { Database } from '../database/database.service';
import { RateLimits } from '../database/rate-limits';
import type { Sql } from '../database/sql';
import { sqlIn } from '../database/sql';
import { WechatApiClient } from './wechat-api.client';
import { WechatApiError, WechatUnavailableError } from './wechat-errors';

const GRANT_DEAD = new Set([40030, 42002, 42007]);
const BACKOFF_BASE_SECONDS = 60;
const BACKOFF_MAX_SECONDS = 3600;
const BUDGET_BUCKET = 'wechat:refresh-budget';
// The per-minute budget is split over this many counter rows, so that instances on different nodes
// of a multi-primary cluster rarely write the same row (a hot row loses certifications there).
const BUDGET_SHARDS = 16;
// Grants leased per claim transaction.
const CLAIM_CHUNK = 50;
// Refreshed grants written back per statement.
const WRITE_CHUNK = 50;
// The fairness gate: how often event-loop delay is sampled, and how long the job steps aside.
const LAG_SAMPLE_MS = 100;
const LAG_PAUSE_MS = 200;

export interface RefreshRunReport {
  at: Date;
  claimed: number;
  refreshed: number;
  failed: number;
  reauthRequired: number;
  /** Grants claimed but given back because the shared per-minute budget was spent. */
  overBudget: number;
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

/** A leased grant with what refreshing it needs (one read, grant and identity joined). */
interface LeasedGrant {
  id: string;
  identityId: string;
  appId: string;
  subject: string;
  nickname: string | null;
  avatarUrl: string | null;
  refreshTokenEnc: string | null;
  keyId: string;
  scope: string | null;
  failureCount: number;
}

/** New tokens, sealed, waiting for the chunk's one write. */
interface RefreshedGrant {
  id: string;
  identityId: string;
  accessTokenEnc: string;
  refreshTokenEnc: string;
  scope: string | null;
  accessExpiresAt: Date;
  profile: { nickname: string | null; avatarUrl: string | null } | null;
}

const DUE_WHERE =
  "status = 'active' AND access_expires_at <= ? AND refresh_expires_at > ?" +
  // Website grants are left to expire; identities without a grant (mini programs) have no row.
  " AND refresh_mode = 'auto'";

/**
 * Keeps WeChat grants fresh. Each instance (an API instance with TOKEN_REFRESH_ENABLED, or a
 * `refresh-worker` process) runs passes back to back while grants are due, and waits the interval
 * when none is due or the budget is spent. A pass leases up to a batch of grants whose access token
 * expires within the window (conditional UPDATEs, the same on SQLite and MySQL, so two instances
 * never refresh one grant and a dead instance's lease simply runs out), draws that many units of the
 * per-minute budget shared through the database (in portions, over counter shards), refreshes them
 * with bounded concurrency, and writes the new tokens and profiles back one statement per chunk.
 * Dead grants (40030, 42002, 42007) become reauth_required; passing failures (-1, 45011, 5xx,
 * timeouts) are tried again on a later pass with exponential backoff. In an API instance the job
 * steps aside while the event loop lags (TOKEN_REFRESH_MAX_LAG_MS), so that requests go first.
 */
@Injectable()
export class TokenRefreshService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenRefreshService.name);
  private readonly instanceId = `refresh-${randomUUID()}`;
  private shardCursor = randomInt(0, BUDGET_SHARDS);
  private readonly settings: AppConfig['values']['tokenRefresh'];
  private running: Promise<RefreshRunReport> | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;
  private lastRun: RefreshRunReport | null = null;
  private lag: IntervalHistogram | null = null;
  private lagCheckedAt = 0;
  private pausedUntil = 0;
  /** Called with each grant's outcome, for metrics. */
  onOutcome?: (outcome: Outcome) => void;

  constructor(
    private readonly database: Database,
    private readonly client: WechatApiClient,
    private readonly cipher: TokenCipher,
    private readonly rateLimits: RateLimits,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.settings = config.get('tokenRefresh');
  }

  onApplicationBootstrap(): void {
    if (!this.settings.enabled) return;
    if (this.settings.maxLagMs > 0) {
      this.lag = monitorEventLoopDelay({ resolution: 10 });
      this.lag.enable();
    }
    this.loop = this.runLoop();
  }

  /** Stops claiming, lets the pass in flight finish, and gives back any lease still held. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.running?.catch(() => undefined);
    this.lag?.disable();
    // An instance that never ran the job holds no lease.
    if (this.settings.enabled) await this.releaseLeases();
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
    const count = async (where: string, params: unknown[] = []): Promise<number> => {
      const rows = await this.database.sql.rows<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM wechat_grants WHERE ${where}`,
        params,
      );
      return Number(rows[0]?.n ?? 0);
    };
    const [active, dueWithinWindow, reauthRequired] = await Promise.all([
      count("status = 'active'"),
      count(DUE_WHERE, [due, now]),
      count("status = 'reauth_required'"),
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

  /** Passes back to back while grants are due and the budget lasts; the interval's rest otherwise. */
  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        const report = await this.runOnce();
        busy = report.claimed > 0 && report.overBudget === 0;
      } catch (error) {
        this.logger.error(`refresh pass failed: ${describe(error)}`);
      }
      if (this.stopping) break;
      if (busy) {
        await nextTurn();
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.intervalSeconds * 1000);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async pass(): Promise<RefreshRunReport> {
    const report: RefreshRunReport = {
      at: this.clock.now(),
      claimed: 0,
      refreshed: 0,
      failed: 0,
      reauthRequired: 0,
      overBudget: 0,
    };
    if (this.stopping) return report;
    const token = `${this.instanceId}:${randomUUID()}`.slice(0, 64);
    const sql = this.database.sql;
    // The grants whose lease this pass still holds; a claim that failed midway may hold unknown ones.
    const held = new Set<string>();
    let claimFailed = true;
    try {
      const claimed: LeasedGrant[] = [];
      await this.claim(token, claimed);
      claimFailed = false;
      for (const grant of claimed) held.add(grant.id);
      report.claimed = claimed.length;
      if (claimed.length === 0) return report;
      const allowed = await this.takeBudget(claimed.length);
      if (allowed < claimed.length) report.overBudget = claimed.length - allowed;
      const queue = claimed.slice(0, allowed);
      let next = 0;
      let pending: RefreshedGrant[] = [];
      const flush = async (): Promise<void> => {
        const rows = pending;
        pending = [];
        if (rows.length === 0) return;
        try {
          const written = await this.writeRefreshed(sql, rows, token);
          for (const row of rows) held.delete(row.id);
          report.refreshed += written;
          for (let i = 0; i < written; i++) this.onOutcome?.('refreshed');
        } catch (error) {
          // The leases go back at the end of the pass; these grants are simply due again.
          report.failed += rows.length;
          this.logger.error(`${rows.length} refreshed grants not stored: ${describe(error)}`);
        }
      };
      // Each grant's failure stays with that grant: it is logged, counted, and its lease given back;
      // the other workers carry on, and no worker outlives the pass.
      const worker = async (index: number): Promise<void> => {
        while (next < queue.length && !this.stopping) {
          await this.yieldToRequests(index);
          if (this.stopping || next >= queue.length) break;
          const grant = queue[next++];
          try {
            const result = await this.refreshOne(sql, grant, token);
            if (result === 'reauth' || result === 'failed') {
              held.delete(grant.id);
              if (result === 'reauth') report.reauthRequired += 1;
              else report.failed += 1;
              this.onOutcome?.(result);
              continue;
            }
            pending.push(result);
            if (pending.length >= WRITE_CHUNK) await flush();
          } catch (error) {
            report.failed += 1;
            this.onOutcome?.('failed');
            this.logger.error(`grant ${grant.id} not refreshed: ${describe(error)}`);
          }
        }
      };
      await Promise.allSettled(
        Array.from({ length: Math.min(this.settings.concurrency, queue.length) }, (_, index) => worker(index)),
      );
      await flush();
    } finally {
      // Whatever this pass still holds (grants over budget or not reached before shutdown, a failed
      // write) goes back now instead of staying leased for the whole lease time.
      if (claimFailed) await this.releaseToken(token);
      else await this.releaseIds(sql, [...held], token);
      this.lastRun = report;
    }
    if (report.claimed > 0) {
      this.logger.log(
        `refresh pass: ${report.refreshed} refreshed, ${report.failed} failed, ${report.reauthRequired} need re-authorization` +
          (report.overBudget > 0 ? `, ${report.overBudget} left for the next budget window` : ''),
      );
    }
    return report;
  }

  /**
   * In an API instance, the job gives way while the event loop lags (requests waiting behind it):
   * every grant starts on a turn of its own, and while the sampled delay is above the limit only the
   * first worker carries on (one grant at a time, so a saturated instance still makes progress) and
   * the others wait. A worker process sets the limit to 0 and never waits.
   */
  private async yieldToRequests(worker: number): Promise<void> {
    await nextTurn();
    const lag = this.lag;
    if (!lag) return;
    for (;;) {
      const now = Date.now();
      if (now < this.pausedUntil && worker > 0) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      if (now - this.lagCheckedAt >= LAG_SAMPLE_MS) {
        this.lagCheckedAt = now;
        const lagMs = lag.count > 0 ? lag.percentile(99) / 1e6 - 10 : 0;
        lag.reset();
        if (lagMs > this.settings.maxLagMs && !this.stopping) {
          this.pausedUntil = now + LAG_PAUSE_MS;
          continue;
        }
      }
      return;
    }
  }

  /**
   * Leases up to one batch of due grants, CLAIM_CHUNK at a time: each chunk is one conditional
   * UPDATE in its own transaction, and the rows won are read back (joined with their identity) in
   * it. Candidates are taken from a random point of the (random) id space onwards, wrapping around,
   * so that instances claiming at the same time pick different grants; on one MySQL server SKIP
   * LOCKED also steps over rows another claim is taking. (Every due grant is in the refresh window,
   * so their order does not matter.) On a multi-primary cluster a chunk that still collides with
   * another node's claim loses its certification and is run again whole, from a new random point,
   * by Database.transaction; small chunks keep such collisions rare and cheap.
   */
  private async claim(token: string, leased: LeasedGrant[]): Promise<void> {
    while (leased.length < this.settings.batch && !this.stopping) {
      const size = Math.min(CLAIM_CHUNK, this.settings.batch - leased.length);
      const won = await this.claimChunk(token, size);
      leased.push(...won);
      if (won.length < size) break;
    }
  }

  private async claimChunk(token: string, size: number): Promise<LeasedGrant[]> {
    const now = this.clock.now();
    const due = new Date(now.getTime() + this.settings.windowSeconds * 1000);
    const leaseUntil = new Date(now.getTime() + this.settings.leaseSeconds * 1000);
    const lock = this.database.dialect === 'mysql' ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.database.transaction(async (manager) => {
      const sql = sqlIn(manager);
      const pivot = randomUUID();
      const pick = (range: string, limit: number): Promise<{ id: string }[]> =>
        sql.rows<{ id: string }>(
          `SELECT id FROM wechat_grants WHERE ${DUE_WHERE}` +
            ' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)' +
            ' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)' +
            ` AND ${range} ORDER BY id LIMIT ${Number(limit)}${lock}`,
          [due, now, now, now, pivot],
        );
      const candidates = await pick('id >= ?', size);
      if (candidates.length < size) candidates.push(...(await pick('id < ?', size - candidates.length)));
      if (candidates.length === 0) return [];
      const ids = candidates.map((c) => c.id);
      const marks = ids.map(() => '?').join(', ');
      const won = await sql.run(
        `UPDATE wechat_grants SET lease_owner = ?, lease_expires_at = ? WHERE id IN (${marks})` +
          " AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND status = 'active'",
        [token, leaseUntil, ...ids, now],
      );
      if (won === 0) return [];
      const rows = await sql.rows<{
        id: string;
        identity_id: string;
        app_id: string;
        subject: string;
        nickname: string | null;
        avatar_url: string | null;
        refresh_token_enc: string | null;
        key_id: string;
        scope: string | null;
        failure_count: number | string;
      }>(
        'SELECT g.id, g.identity_id, i.app_id, i.subject, i.nickname, i.avatar_url, g.refresh_token_enc, g.key_id,' +
          ' g.scope, g.failure_count FROM wechat_grants g JOIN identities i ON i.id = g.identity_id' +
          ` WHERE g.id IN (${marks}) AND g.lease_owner = ?`,
        [...ids, token],
      );
      return rows.map((r) => ({
        id: r.id,
        identityId: r.identity_id,
        appId: r.app_id,
        subject: r.subject,
        nickname: r.nickname,
        avatarUrl: r.avatar_url,
        refreshTokenEnc: r.refresh_token_enc,
        keyId: r.key_id,
        scope: r.scope,
        failureCount: Number(r.failure_count),
      }));
    });
  }

  /** Refreshes one grant and fetches its profile; failures are written at once, successes returned. */
  private async refreshOne(sql: Sql, grant: LeasedGrant, token: string): Promise<RefreshedGrant | 'failed' | 'reauth'> {
    let refreshToken: string;
    try {
      refreshToken = this.cipher.decrypt(grant.refreshTokenEnc ?? '', grant.keyId, `${grant.id}:refresh`);
    } catch (error) {
      this.logger.error(`grant ${grant.id} cannot be decrypted: ${describe(error)}`);
      await this.markReauth(sql, grant, token, 'decrypt');
      return 'reauth';
    }
    try {
      const tokens = await this.client.refresh(grant.appId, refreshToken);
      const profile = await this.profileOf(grant, tokens.accessToken);
      return {
        id: grant.id,
        identityId: grant.identityId,
        accessTokenEnc: this.cipher.encrypt(tokens.accessToken, `${grant.id}:access`),
        refreshTokenEnc: this.cipher.encrypt(tokens.refreshToken, `${grant.id}:refresh`),
        scope: tokens.scope || grant.scope,
        accessExpiresAt: new Date(this.clock.nowMs() + tokens.expiresIn * 1000),
        profile,
      };
    } catch (error) {
      if (error instanceof WechatApiError && GRANT_DEAD.has(error.errcode)) {
        await this.markReauth(sql, grant, token, `errcode_${error.errcode}`);
        return 'reauth';
      }
      const failures = grant.failureCount + 1;
      const delay = Math.min(BACKOFF_BASE_SECONDS * 2 ** (failures - 1), BACKOFF_MAX_SECONDS);
      await sql.run(
        'UPDATE wechat_grants SET failure_count = ?, next_attempt_at = ?, last_error = ?, lease_owner = NULL,' +
          ' lease_expires_at = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?',
        [failures, new Date(this.clock.nowMs() + delay * 1000), errorLabel(error), this.clock.now(), grant.id, token],
      );
      return 'failed';
    }
  }

  // A stale profile is no reason to fail the refresh: failures here are only logged.
  // A unionid that appears here is left for the next login, where the account-linking rules apply.
  private async profileOf(grant: LeasedGrant, accessToken: string): Promise<RefreshedGrant['profile']> {
    try {
      const profile = await this.client.userInfo(grant.appId, accessToken, grant.subject);
      return { nickname: profile.nickname || grant.nickname, avatarUrl: profile.avatarUrl || grant.avatarUrl };
    } catch (error) {
      this.logger.warn(`profile of identity ${grant.identityId} not refreshed: ${errorLabel(error)}`);
      return null;
    }
  }

  /**
   * One statement for a chunk of refreshed grants (each row's own values by CASE, conditional on the
   * pass's lease), then one for their profiles. Returns how many grants were stored.
   */
  private async writeRefreshed(sql: Sql, rows: RefreshedGrant[], token: string): Promise<number> {
    const now = this.clock.now();
    const ids = rows.map((r) => r.id);
    const marks = ids.map(() => '?').join(', ');
    const params: unknown[] = [];
    const byId = (value: (r: RefreshedGrant) => unknown): string => {
      for (const r of rows) params.push(r.id, value(r));
      return `CASE id${' WHEN ? THEN ?'.repeat(rows.length)} END`;
    };
    const text =
      `UPDATE wechat_grants SET access_token_enc = ${byId((r) => r.accessTokenEnc)},` +
      ` refresh_token_enc = ${byId((r) => r.refreshTokenEnc)},` +
      ` scope = ${byId((r) => r.scope)},` +
      ` access_expires_at = ${byId((r) => r.accessExpiresAt)},` +
      " key_id = ?, status = 'active', failure_count = 0, next_attempt_at = NULL, last_error = NULL," +
      ' last_refreshed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL' +
      ` WHERE id IN (${marks}) AND lease_owner = ?`;
    params.push(this.cipher.keyId, now, now, ...ids, token);
    const written = await sql.run(text, params);

    const profiled = rows.filter((r) => r.profile);
    if (profiled.length > 0) {
      try {
        const profileParams: unknown[] = [];
        const byIdentity = (value: (r: RefreshedGrant) => unknown): string => {
          for (const r of profiled) profileParams.push(r.identityId, value(r));
          return `CASE id${' WHEN ? THEN ?'.repeat(profiled.length)} END`;
        };
        const set = `nickname = ${byIdentity((r) => r.profile!.nickname)}, avatar_url = ${byIdentity((r) => r.profile!.avatarUrl)}`;
        profileParams.push(now, ...profiled.map((r) => r.identityId));
        await sql.run(
          `UPDATE identities SET ${set}, profile_updated_at = ? WHERE id IN (${profiled.map(() => '?').join(', ')})`,
          profileParams,
        );
      } catch (error) {
        this.logger.warn(`profiles of ${profiled.length} identities not stored: ${describe(error)}`);
      }
    }
    return written;
  }

  /**
   * Up to `want` units of the per-minute budget shared by every instance. The budget is split over
   * up to BUDGET_SHARDS counter rows whose limits add up to TOKEN_REFRESH_PER_MINUTE; an instance
   * draws a whole pass's portion from the shard it last used and moves on only when that one is
   * full, so the total holds, instances seldom write the same row, and a pass pays a write or two
   * rather than one per grant.
   */
  private async takeBudget(want: number): Promise<number> {
    const perMinute = this.settings.perMinute;
    const shards = Math.max(1, Math.min(BUDGET_SHARDS, perMinute));
    const now = this.clock.now();
    const sql = this.database.sql;
    const start = this.shardCursor;
    let got = 0;
    for (let step = 0; step < shards && got < want; step++) {
      const shard = (start + step) % shards;
      const limit = Math.floor(perMinute / shards) + (shard < perMinute % shards ? 1 : 0);
      const bucket = shards === 1 ? BUDGET_BUCKET : `${BUDGET_BUCKET}:${shard}`;
      const taken = await this.rateLimits.take(sql, { bucket, limit, windowSeconds: 60 }, want - got, now);
      if (taken > 0) {
        got += taken;
        this.shardCursor = shard;
      }
    }
    return got;
  }

  private async markReauth(sql: Sql, grant: LeasedGrant, token: string, label: string): Promise<void> {
    await sql.run(
      "UPDATE wechat_grants SET status = 'reauth_required', last_error = ?, lease_owner = NULL, lease_expires_at = NULL," +
        ' updated_at = ? WHERE id = ? AND lease_owner = ?',
      [label, this.clock.now(), grant.id, token],
    );
  }

  private async releaseIds(sql: Sql, ids: string[], token: string): Promise<void> {
    try {
      for (let i = 0; i < ids.length; i += WRITE_CHUNK) {
        const part = ids.slice(i, i + WRITE_CHUNK);
        await sql.run(
          'UPDATE wechat_grants SET lease_owner = NULL, lease_expires_at = NULL' +
            ` WHERE id IN (${part.map(() => '?').join(', ')}) AND lease_owner = ?`,
          [...part, token],
        );
      }
    } catch (error) {
      this.logger.warn(`leases of a pass not released (they expire on their own): ${describe(error)}`);
    }
  }

  private async releaseToken(token: string): Promise<void> {
    try {
      await this.database.sql.run(
        'UPDATE wechat_grants SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ?',
        [token],
      );
    } catch (error) {
      this.logger.warn(`leases of a pass not released (they expire on their own): ${describe(error)}`);
    }
  }

  private async releaseLeases(): Promise<void> {
    try {
      await this.database.sql.run(
        'UPDATE wechat_grants SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner LIKE ?',
        [`${this.instanceId}:%`],
      );
    } catch (error) {
      this.logger.warn(`leases not released at shutdown (they expire on their own): ${describe(error)}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorLabel(error: unknown): string {
  if (error instanceof WechatApiError) return `errcode_${error.errcode}`;
  if (error instanceof WechatUnavailableError) return `unavailable_${error.reason}`;
  return 'error';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
