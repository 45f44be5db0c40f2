/**
 * One counted limit: at most `limit` hits of `bucket` in any sliding window of `windowSeconds`.
 * Several rules may share a bucket (one hit, counted over a minute, an hour and a day).
 */
export interface CounterRule {
  /** What is counted and for whom, e.g. `sms:ip:203.0.113.9`; at most 191 characters. */
  bucket: string;
  limit: number;
  windowSeconds: number;
  /** A full rule refuses the take (default). A rule with `enforce: false` is only recorded. */
  enforce?: boolean;
  /**
   * Exact under concurrency, across instances and cluster nodes: two racing takes of this bucket
   * conflict on a unique key, so the loser counts again. For buckets that are rarely hit at once
   * (one phone); busy buckets (an IP, the country, everything) stay conflict-free and approximate.
   */
  exact?: boolean;
}

export interface RuleState {
  rule: CounterRule;
  /** Hits inside the window, the one just taken included. */
  hits: number;
  /** The rule had no room (before this take). */
  full: boolean;
  /** When it has room again; 0 while it has. */
  retryAfterSeconds: number;
}

export interface TakeResult {
  /** A hit was recorded in every bucket: no enforced rule was full. */
  taken: boolean;
  states: RuleState[];
}

/**
 * Sliding-window counters shared by every instance. Two implementations: rows in the database
 * (`DatabaseHitCounter`, the default) and sorted sets in Redis (`RedisHitCounter`, when REDIS_URL
 * is set). Each hit is its own entry, so no single row is written by every request: the shape a
 * multi-primary cluster (Galera, Group Replication) certifies without conflicts.
 *
 * Callers pass every rule of a bucket together: the longest window decides how long its hits are kept.
 */
export abstract class HitCounter {
  /** The state of each rule now; records nothing. */
  abstract peek(rules: CounterRule[], nowMs: number): Promise<RuleState[]>;

  /** Records one hit in every bucket of `rules` unless an enforced rule is full; then records nothing. */
  abstract take(rules: CounterRule[], nowMs: number): Promise<TakeResult>;

  /** Releases connections. */
  async close(): Promise<void> {}
}

export function enforced(rule: CounterRule): boolean {
  return rule.enforce !== false;
}

/** Each bucket with the longest window among its rules: how long its hits must be kept. */
export function retentionByBucket(rules: CounterRule[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const rule of rules) out.set(rule.bucket, Math.max(out.get(rule.bucket) ?? 0, rule.windowSeconds));
  return out;
}

export interface WindowCount {
  hits: number;
  /** For a full rule: in how long the hit that filled it leaves the window. */
  retryAfterMs: number;
}

/** Each rule's state from the counts seen (before any hit of this call). */
export function statesOf(rules: CounterRule[], counts: WindowCount[]): RuleState[] {
  return rules.map((rule, i) => {
    const full = counts[i].hits >= rule.limit;
    return {
      rule,
      hits: counts[i].hits,
      full,
      retryAfterSeconds: full ? Math.max(1, Math.ceil(counts[i].retryAfterMs / 1000)) : 0,
    };
  });
}

/** The result of a take from the counts seen before it. */
export function takeResult(rules: CounterRule[], counts: WindowCount[]): TakeResult {
  const states = statesOf(rules, counts);
  const taken = !states.some((state) => state.full && enforced(state.rule));
  return { taken, states: taken ? states.map((s) => ({ ...s, hits: s.hits + 1 })) : states };
}
