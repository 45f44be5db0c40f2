import { randomInt } from 'node:crypto';
import { Database } from '../../database/database.service';
import { RateLimits } from '../../database/rate-limits';

const BUDGET_BUCKET = 'wechat:refresh-budget';
// The per-minute budget is split over this many counter rows, so that instances on different nodes
// of a multi-primary cluster rarely write the same row (a hot row loses certifications there).
const BUDGET_SHARDS = 16;

/**
 * The per-minute refresh budget shared by every instance. It is split over up to BUDGET_SHARDS
 * counter rows whose limits add up to TOKEN_REFRESH_PER_MINUTE; an instance draws a whole pass's
 * portion from the shard it last used and moves on only when that one is full, so the total holds,
 * instances seldom write the same row, and a pass pays a write or two rather than one per grant.
 */
export class RefreshBudget {
  private shardCursor = randomInt(0, BUDGET_SHARDS);

  constructor(
    private readonly database: Database,
    private readonly rateLimits: RateLimits,
    private readonly perMinute: number,
  ) {}

  /** Up to `want` units of this minute's budget. */
  async take(want: number, now: Date): Promise<number> {
    const perMinute = this.perMinute;
    const shards = Math.max(1, Math.min(BUDGET_SHARDS, perMinute));
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
}
