import { sha256Hex } from '../common/secrets';
import { classifyDatabaseError, isUniqueViolation } from '../database/database-errors';
import { CountersRepository } from './counters.repository';
import { CounterRule, retentionByBucket, WindowCount } from './hit-counter';

/** The most hit times a row keeps: exact limits are per phone or per token, and configured ≤ 1,000. */
export const MAX_KEPT_HITS = 1000;
const RACE_RETRIES = 16;
const CACHE_SIZE = 10_000;

interface RowState {
  version: number;
  /** Hit times (ms), oldest first, within the bucket's retention. */
  hits: number[];
}

/**
 * Exact counters, one row per bucket (`rate_limit_rows`, keyed by a hash of the bucket), holding the
 * bucket's recent hit times as a bounded list and a version. A take reads the row, decides, and
 * writes it back with an optimistic conditional UPDATE (`WHERE version = ?`), or INSERTs it for the
 * bucket's first hit; 0 rows changed, a duplicate key or a lost certification means another take got
 * there first: read again and decide again. So the count is exact across instances and cluster nodes,
 * without locks, and a row is only ever hot for its own bucket (one phone, one captcha token).
 *
 * Each instance remembers the rows it wrote last (an LRU): the next take of that bucket writes at
 * once against the remembered version (1 statement), and one it has never seen tries the INSERT
 * first (1 statement for a bucket with no recent hit, the common case). A remembered row that is
 * already full refuses without a statement: hits only ever leave a window by time, so a stale copy
 * never shows more room than the row has.
 */
export class RowHitCounter {
  private readonly cache = new Map<string, RowState>();

  constructor(private readonly counters: CountersRepository) {}

  /** The counts of `rules` (one bucket) now, recording nothing. */
  async peek(rules: CounterRule[], nowMs: number): Promise<WindowCount[]> {
    const key = keyOf(rules);
    const cached = this.cache.get(key);
    if (cached) {
      const counts = countsOf(rules, cached.hits, nowMs);
      if (counts.some((count, i) => count.hits >= rules[i].limit)) return counts;
    }
    const row = await this.read(key);
    return countsOf(rules, row?.hits ?? [], nowMs);
  }

  /**
   * Counts `rules` (one bucket) and, when `admit` accepts those counts, records one hit. Answers the
   * counts seen before the hit, and whether it was recorded.
   */
  async take(
    rules: CounterRule[],
    nowMs: number,
    admit: (counts: WindowCount[]) => boolean,
  ): Promise<{ taken: boolean; counts: WindowCount[] }> {
    const key = keyOf(rules);
    const retentionMs = Math.max(...rules.map((rule) => rule.windowSeconds)) * 1000;
    const keep = Math.min(MAX_KEPT_HITS, Math.max(1, ...rules.map((rule) => rule.limit)));
    // undefined: never seen (try the INSERT); null: known to have no row; else the row as last seen.
    let known: RowState | null | undefined = this.cache.get(key);
    for (let attempt = 1; ; attempt++) {
      const hits = known ? known.hits.filter((at) => at > nowMs - retentionMs) : [];
      const counts = countsOf(rules, hits, nowMs);
      if (!admit(counts)) return { taken: false, counts };
      hits.push(nowMs);
      // Instances' clocks may differ a little: keep the list in time order.
      if (hits.length > 1 && hits[hits.length - 2] > nowMs) hits.sort((a, b) => a - b);
      const next: RowState = { version: known ? known.version + 1 : 1, hits: hits.slice(-keep) };
      let written: boolean;
      try {
        written = known
          ? await this.update(key, known.version, next, retentionMs)
          : await this.insert(key, next, retentionMs);
      } catch (error) {
        // Another take inserted the row first, or won the certification: read and decide again.
        if (!(isUniqueViolation(error) || classifyDatabaseError(error) === 'conflict')) throw error;
        written = false;
      }
      if (written) {
        this.remember(key, next);
        return { taken: true, counts };
      }
      if (attempt >= RACE_RETRIES) throw new Error(`counter row kept changing under ${RACE_RETRIES} takes`);
      known = await this.read(key);
    }
  }

  /** Deletes rows whose every hit has left its longest window. */
  async deleteExpired(nowMs: number): Promise<number> {
    return this.counters.deleteExpiredRows(nowMs);
  }

  private async read(key: string): Promise<RowState | null> {
    const row = await this.counters.findRow(key);
    if (!row) {
      this.cache.delete(key);
      return null;
    }
    const state = { version: row.version, hits: parseHits(row.hits) };
    this.remember(key, state);
    return state;
  }

  private async insert(key: string, next: RowState, retentionMs: number): Promise<boolean> {
    const expiresMs = next.hits[next.hits.length - 1] + retentionMs;
    await this.counters.insertRow(key, { hits: formatHits(next.hits), version: next.version }, expiresMs);
    return true;
  }

  private async update(key: string, version: number, next: RowState, retentionMs: number): Promise<boolean> {
    const expiresMs = next.hits[next.hits.length - 1] + retentionMs;
    return this.counters.updateRow(key, version, { hits: formatHits(next.hits), version: next.version }, expiresMs);
  }

  private remember(key: string, state: RowState): void {
    this.cache.delete(key);
    this.cache.set(key, state);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }
}

function keyOf(rules: CounterRule[]): string {
  const buckets = retentionByBucket(rules);
  if (buckets.size !== 1) throw new Error('an exact take counts one bucket');
  return sha256Hex(rules[0].bucket);
}

/**
 * Each rule's hits inside its window and, for a full rule, when it has room again: when the hit that
 * filled it leaves the window (the `limit`-th most recent one; the row keeps at least that many).
 */
function countsOf(rules: CounterRule[], hits: number[], nowMs: number): WindowCount[] {
  return rules.map((rule) => {
    const windowMs = rule.windowSeconds * 1000;
    let inWindow = 0;
    for (let i = hits.length - 1; i >= 0 && hits[i] > nowMs - windowMs; i--) inWindow++;
    const full = inWindow >= rule.limit;
    return {
      hits: inWindow,
      retryAfterMs: full ? hits[hits.length - rule.limit] + windowMs - nowMs : 0,
    };
  });
}

function formatHits(hits: number[]): string {
  return hits.map((at) => at.toString(36)).join(',');
}

function parseHits(text: string): number[] {
  return text ? text.split(',').map((part) => parseInt(part, 36)) : [];
}
