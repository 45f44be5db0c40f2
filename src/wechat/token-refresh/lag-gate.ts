import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

// How often event-loop delay is sampled, and how long the job steps aside.
const LAG_SAMPLE_MS = 100;
const LAG_PAUSE_MS = 200;

/**
 * In an API instance, the refresh job gives way while the event loop lags (requests waiting behind
 * it): every grant starts on a turn of its own, and while the sampled delay is above the limit only
 * the first worker carries on (one grant at a time, so a saturated instance still makes progress)
 * and the others wait. A worker process sets the limit to 0 and never waits.
 */
export class LagGate {
  private lag: IntervalHistogram | null = null;
  private checkedAt = 0;
  private pausedUntil = 0;

  constructor(private readonly maxLagMs: number) {}

  start(): void {
    if (this.maxLagMs <= 0) return;
    this.lag = monitorEventLoopDelay({ resolution: 10 });
    this.lag.enable();
  }

  stop(): void {
    this.lag?.disable();
  }

  /** Waits for worker `worker`'s turn; `stopping` lets a shutdown through without pausing. */
  async pass(worker: number, stopping: () => boolean): Promise<void> {
    await nextTurn();
    const lag = this.lag;
    if (!lag) return;
    for (;;) {
      const now = Date.now();
      if (now < this.pausedUntil && worker > 0) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      if (now - this.checkedAt >= LAG_SAMPLE_MS) {
        this.checkedAt = now;
        const lagMs = lag.count > 0 ? lag.percentile(99) / 1e6 - 10 : 0;
        lag.reset();
        if (lagMs > this.maxLagMs && !stopping()) {
          this.pausedUntil = now + LAG_PAUSE_MS;
          continue;
        }
      }
      return;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
