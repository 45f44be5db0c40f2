import { EntityManager } from 'typeorm';
import { newId } from '../common/ids';
import { sha256Hex } from '../common/secrets';
import { Database } from '../database/database.service';
import { isUniqueViolation, parseDbDate } from '../database/rate-limits';
import {
  CounterRule,
  HitCounter,
  retentionByBucket,
  RuleState,
  statesOf,
  TakeResult,
  takeResult,
  WindowCount,
} from './hit-counter';
import { RateLimitHitEntity } from './rate-limit-hit.entity';

const RACE_RETRIES = 8;

/**
 * Counters as rows of `rate_limit_hits`: each hit is an INSERT, each check a range count on
 * (bucket, created_at). Nothing is ever updated in place, so instances on different cluster nodes
 * never write the same row, except exact buckets, whose hits take numbered slots (`<bucket>:<n>`)
 * on purpose: two racing takes of one phone collide on the primary key (a duplicate key on one
 * node, a certification failure across nodes), and the loser counts again. Other buckets may
 * overshoot by the takes in flight at the same moment (no lock is taken for them).
 */
export class DatabaseHitCounter extends HitCounter {
  constructor(private readonly database: Database) {
    super();
  }

  async peek(rules: CounterRule[], nowMs: number): Promise<RuleState[]> {
    return statesOf(rules, await this.database.transaction((manager) => this.count(manager, rules, nowMs)));
  }

  async take(rules: CounterRule[], nowMs: number): Promise<TakeResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.database.transaction((manager) => this.takeOnce(manager, rules, nowMs));
      } catch (error) {
        // Another take claimed this exact bucket's next slot: count again.
        if (!isUniqueViolation(error) || attempt >= RACE_RETRIES) throw error;
      }
    }
  }

  private async takeOnce(manager: EntityManager, rules: CounterRule[], nowMs: number): Promise<TakeResult> {
    const counts = await this.count(manager, rules, nowMs);
    const result = takeResult(rules, counts);
    if (!result.taken) return result;
    const now = new Date(nowMs);
    const rows: RateLimitHitEntity[] = [];
    for (const [bucket, retentionSeconds] of retentionByBucket(rules)) {
      const exact = rules.some((r) => r.bucket === bucket && r.exact);
      const seq = exact ? (await this.lastSeq(manager, bucket)) + 1 : null;
      rows.push({
        id: seq === null ? newId() : `${sha256Hex(bucket).slice(0, 40)}:${seq}`,
        bucket,
        seq,
        createdAt: now,
        expiresAt: new Date(nowMs + retentionSeconds * 1000),
      });
    }
    await manager.createQueryBuilder().insert().into(RateLimitHitEntity).values(rows).execute();
    return result;
  }

  /** Hits per rule inside its window (one query for all buckets) and, for a full rule, when it reopens. */
  private async count(manager: EntityManager, rules: CounterRule[], nowMs: number): Promise<WindowCount[]> {
    const query = manager.createQueryBuilder().from(RateLimitHitEntity, 'h');
    const ranges: string[] = [];
    for (const [b, [bucket, retentionSeconds]] of [...retentionByBucket(rules)].entries()) {
      ranges.push(`(h.bucket = :b${b} AND h.created_at > :since${b})`);
      query.setParameter(`b${b}`, bucket).setParameter(`since${b}`, new Date(nowMs - retentionSeconds * 1000));
    }
    for (const [i, rule] of rules.entries()) {
      query
        .addSelect(`COUNT(CASE WHEN h.bucket = :rb${i} AND h.created_at > :cut${i} THEN 1 END)`, `n${i}`)
        .setParameter(`rb${i}`, rule.bucket)
        .setParameter(`cut${i}`, new Date(nowMs - rule.windowSeconds * 1000));
    }
    const row = (await query.where(ranges.join(' OR ')).getRawOne<Record<string, string | number>>()) ?? {};
    const out: WindowCount[] = [];
    for (const [i, rule] of rules.entries()) {
      const hits = Number(row[`n${i}`] ?? 0);
      out.push({ hits, retryAfterMs: hits >= rule.limit ? await this.reopensIn(manager, rule, hits, nowMs) : 0 });
    }
    return out;
  }

  /** The rule has room again when the hit that made it full leaves the window. */
  private async reopensIn(manager: EntityManager, rule: CounterRule, hits: number, nowMs: number): Promise<number> {
    const row = await manager
      .createQueryBuilder()
      .from(RateLimitHitEntity, 'h')
      .select('h.created_at', 'at')
      .where('h.bucket = :bucket AND h.created_at > :cut', {
        bucket: rule.bucket,
        cut: new Date(nowMs - rule.windowSeconds * 1000),
      })
      .orderBy('h.created_at', 'ASC')
      .offset(hits - rule.limit)
      .limit(1)
      .getRawOne<{ at: Date | string }>();
    if (!row) return 1000;
    return parseDbDate(row.at).getTime() + rule.windowSeconds * 1000 - nowMs;
  }

  private async lastSeq(manager: EntityManager, bucket: string): Promise<number> {
    const row = await manager
      .createQueryBuilder()
      .from(RateLimitHitEntity, 'h')
      .select('MAX(h.seq)', 'seq')
      .where('h.bucket = :bucket', { bucket })
      .getRawOne<{ seq: number | string | null }>();
    return Number(row?.seq ?? 0);
  }
}
