import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isTransactionConflict } from './database-errors';
import type { Sql } from './sql';

export interface RateLimitRule {
  /** A stable key: what is counted and for whom, e.g. `sms:phone-min:+8613800138000`. */
  bucket: string;
  limit: number;
  windowSeconds: number;
}

export type RateLimitResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Fixed-window counters in the database, so that every instance behind the load balancer shares
 * them. Each hit is one conditional UPDATE (or one INSERT for a new window): race-safe without locks.
 */
@Injectable()
export class RateLimits {
  /** Counts a hit if the bucket has room; otherwise says when it will. */
  async hit(manager: EntityManager, rule: RateLimitRule, now: Date): Promise<RateLimitResult> {
    const cut = new Date(now.getTime() - rule.windowSeconds * 1000);
    // `hits` is assigned before `window_start`: MySQL evaluates SET left to right with new values.
    const result = await manager
      .createQueryBuilder()
      .update('rate_limits')
      .set({
        hits: () => 'CASE WHEN window_start <= :cut THEN 1 ELSE hits + 1 END',
        window_start: () => 'CASE WHEN window_start <= :cut THEN :now ELSE window_start END',
      })
      .where('bucket = :bucket AND (window_start <= :cut OR hits < :limit)')
      .setParameters({ cut, now, bucket: rule.bucket, limit: rule.limit })
      .execute();
    if ((result.affected ?? 0) > 0) return { allowed: true };

    const existing = await this.read(manager, rule.bucket);
    if (!existing) {
      try {
        await manager
          .createQueryBuilder()
          .insert()
          .into('rate_limits')
          .values({ bucket: rule.bucket, window_start: now, hits: 1 })
          .execute();
        return { allowed: true };
      } catch (error) {
        // Another request opened the window first; count against it.
        if (!isUniqueViolation(error)) throw error;
        return this.hit(manager, rule, now);
      }
    }
    const reopensAt = existing.windowStart.getTime() + rule.windowSeconds * 1000;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((reopensAt - now.getTime()) / 1000)) };
  }

  /**
   * Takes up to `want` units of the bucket's window at once and says how many it got (0 when full):
   * a budget drawn in portions, so a caller pays one write per portion instead of one per unit.
   * Read, then a compare-and-set UPDATE (same hits, same side of the window's end): whoever changed
   * the row in between makes it match nothing, and we read again. A certification/deadlock loss
   * (another node wrote the row) counts as a lost compare too. Plain autocommit statements.
   */
  async take(sql: Sql, rule: RateLimitRule, want: number, now: Date): Promise<number> {
    if (want <= 0) return 0;
    const cut = new Date(now.getTime() - rule.windowSeconds * 1000);
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const rows = await sql.rows<{ window_start: Date | string; hits: number | string }>(
          'SELECT window_start, hits FROM rate_limits WHERE bucket = ?',
          [rule.bucket],
        );
        if (rows.length === 0) {
          const take = Math.min(want, rule.limit);
          try {
            await sql.run('INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, ?)', [
              rule.bucket,
              now,
              take,
            ]);
            return take;
          } catch (error) {
            if (!isUniqueViolation(error)) throw error;
            continue;
          }
        }
        const hits = Number(rows[0].hits);
        const expired = parseDbDate(rows[0].window_start).getTime() <= cut.getTime();
        const used = expired ? 0 : hits;
        const take = Math.min(want, rule.limit - used);
        if (take <= 0) return 0;
        const changed = await sql.run(
          expired
            ? 'UPDATE rate_limits SET hits = ?, window_start = ? WHERE bucket = ? AND hits = ? AND window_start <= ?'
            : 'UPDATE rate_limits SET hits = ? WHERE bucket = ? AND hits = ? AND window_start > ?',
          expired ? [take, now, rule.bucket, hits, cut] : [used + take, rule.bucket, hits, cut],
        );
        if (changed > 0) return take;
      } catch (error) {
        if (!isTransactionConflict(error)) throw error;
      }
    }
    return 0;
  }

  /** Whether the bucket is full right now, without counting a hit. */
  async isExhausted(manager: EntityManager, rule: RateLimitRule, now: Date): Promise<RateLimitResult> {
    const existing = await this.read(manager, rule.bucket);
    if (!existing || existing.hits < rule.limit) return { allowed: true };
    const reopensAt = existing.windowStart.getTime() + rule.windowSeconds * 1000;
    if (reopensAt <= now.getTime()) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil((reopensAt - now.getTime()) / 1000) };
  }

  private async read(manager: EntityManager, bucket: string): Promise<{ windowStart: Date; hits: number } | null> {
    const rows = (await manager.query('SELECT window_start, hits FROM rate_limits WHERE bucket = ?', [bucket])) as {
      window_start: Date | string;
      hits: number | string;
    }[];
    if (rows.length === 0) return null;
    return { windowStart: parseDbDate(rows[0].window_start), hits: Number(rows[0].hits) };
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const code =
    (error as { code?: string; driverError?: { code?: string } })?.driverError?.code ??
    (error as { code?: string })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Raw queries return DATETIME as a Date (mysql2) or as 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (SQLite). */
export function parseDbDate(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(`${value.replace(' ', 'T')}${/Z|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'}`);
}
