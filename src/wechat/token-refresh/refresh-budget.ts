import type { FleetCounter } from '../../rate-limits/fleet-counter';
import type { CounterRule } from '../../rate-limits/hit-counter';

const BUDGET_BUCKET = 'wechat:refresh-budget';

/**
 * The per-minute refresh budget (TOKEN_REFRESH_PER_MINUTE) shared by every instance, on the fleet
 * counters (FleetCounter, rows of `rate_limit_slots` keyed by instance: no row is written by two
 * instances, so nothing for a multi-primary cluster to certify against). A pass draws its whole
 * claim at once: a round of sharing (this instance's counts written, the others' read), the take in
 * memory (up to what the last minute has left as this instance now sees it), and its count written
 * at once; two or three statements a pass, as the compare-and-set rows of `rate_limits` cost before.
 *
 * The bound: an instance misses only the draws of other instances still in flight when it reads
 * (taken in their memory, not yet written). Each instance draws one pass at a time and writes a draw
 * before it draws again, so across N instances a minute's draws stay within TOKEN_REFRESH_PER_MINUTE
 * + (N − 1) × TOKEN_REFRESH_BATCH, and within the budget itself when draws do not overlap in time.
 * A round that fails (the database unreachable) draws nothing: the grants wait, as they did when
 * the budget's row could not be read.
 */
export class RefreshBudget {
  private readonly rule: CounterRule;

  constructor(
    private readonly fleet: FleetCounter,
    perMinute: number,
  ) {
    this.rule = { bucket: BUDGET_BUCKET, limit: perMinute, windowSeconds: 60 };
  }

  /** Up to `want` units of the last minute's budget. */
  async take(want: number, now: Date): Promise<number> {
    if (want <= 0) return 0;
    if (!(await this.fleet.syncAfter())) return 0;
    const got = this.fleet.takeUpTo(this.rule, want, now.getTime());
    if (got > 0) await this.fleet.publish();
    return got;
  }
}
