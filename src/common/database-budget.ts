import { performance } from 'node:perf_hooks';

/**
 * How long one request may wait on the database in all: every pool checkout, query, SQLite queue
 * turn and retry backoff of the request draws on it, so that a stalled database answers
 * SERVICE_UNAVAILABLE within the budget instead of after timeouts and retries add up. Time is
 * charged while at least one database wait of the request is running (parallel waits count once).
 * Kept in the request context (`currentDatabaseBudget`); work outside a request has none.
 */
export class DatabaseBudget {
  private spentMs = 0;
  private active = 0;
  private activeSince = 0;

  constructor(
    readonly totalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  remainingMs(): number {
    const running = this.active > 0 ? this.now() - this.activeSince : 0;
    return this.totalMs - this.spentMs - running;
  }

  /** Starts charging; the function returned stops (once). */
  begin(): () => void {
    if (this.active++ === 0) this.activeSince = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.active === 0) this.spentMs += this.now() - this.activeSince;
    };
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await work();
    } finally {
      end();
    }
  }
}

/** A bound (ms) clipped to what the budget has left, at least 1 ms; the bound itself without a budget. */
export function withinBudget(budget: DatabaseBudget | undefined, boundMs: number): number {
  if (!budget) return boundMs;
  return Math.max(1, Math.min(boundMs, Math.floor(budget.remainingMs())));
}
