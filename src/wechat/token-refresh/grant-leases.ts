import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock';
import { Database } from '../../database/database.service';
import { Sql, sqlIn } from '../../database/sql';
import { LeasedGrant, WechatGrantsRepository } from '../wechat-grants.repository';
import { describeError } from './refresh-errors';

// Grants leased per claim transaction.
const CLAIM_CHUNK = 50;
// Leases given back per statement.
const RELEASE_CHUNK = 50;

export interface LeaseSettings {
  batch: number;
  windowSeconds: number;
  leaseSeconds: number;
}

/**
 * The refresh job's leases on due grants: conditional UPDATEs, the same on SQLite and MySQL, so two
 * instances never refresh one grant and a dead instance's lease simply runs out.
 */
export class GrantLeases {
  private readonly logger = new Logger('TokenRefreshService');

  constructor(
    private readonly database: Database,
    private readonly grants: WechatGrantsRepository,
    private readonly clock: Clock,
    private readonly settings: LeaseSettings,
  ) {}

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
  async claim(token: string, leased: LeasedGrant[], stopping: () => boolean): Promise<void> {
    while (leased.length < this.settings.batch && !stopping()) {
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
    return this.database.transaction(async (manager) => {
      const sql = sqlIn(manager);
      const pivot = randomUUID();
      const ids = await this.grants.pickDue(sql, 'from', pivot, size, due, now);
      if (ids.length < size)
        ids.push(...(await this.grants.pickDue(sql, 'before', pivot, size - ids.length, due, now)));
      if (ids.length === 0) return [];
      const won = await this.grants.lease(sql, ids, token, leaseUntil, now);
      if (won === 0) return [];
      return this.grants.findLeased(sql, ids, token);
    });
  }

  /** Gives back the leases of `ids` that `token` still holds. */
  async releaseIds(sql: Sql, ids: string[], token: string): Promise<void> {
    try {
      for (let i = 0; i < ids.length; i += RELEASE_CHUNK) {
        await this.grants.releaseIds(sql, ids.slice(i, i + RELEASE_CHUNK), token);
      }
    } catch (error) {
      this.logger.warn(`leases of a pass not released (they expire on their own): ${describeError(error)}`);
    }
  }

  /** Gives back every lease of a pass whose claim failed midway (which grants it holds is unknown). */
  async releaseToken(token: string): Promise<void> {
    try {
      await this.grants.releaseToken(token);
    } catch (error) {
      this.logger.warn(`leases of a pass not released (they expire on their own): ${describeError(error)}`);
    }
  }

  /** Gives back every lease of this instance (its tokens start with `instanceId:`), at shutdown. */
  async releaseInstance(instanceId: string): Promise<void> {
    try {
      await this.grants.releaseInstance(`${instanceId}:`);
    } catch (error) {
      this.logger.warn(`leases not released at shutdown (they expire on their own): ${describeError(error)}`);
    }
  }
}
