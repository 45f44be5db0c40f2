import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

// How often event-loop delay is sampled.
const LAG_SAMPLE_MS = 100;

/** What tells the gate that requests are waiting; RequestLoad in an API instance. */
export interface LoadSource {
  readonly inFlight: number;
}

export interface LoadGateSettings {
  /** Event-loop delay (ms) above which the instance counts as busy; 0 turns the gate off (a worker). */
  maxLagMs: number;
  /** Grants started per second, all workers together, while the instance is busy. */
  busyPerSecond: number;
}

/**
 * In an API instance the refresh job yields to requests. The instance is busy while any HTTP request
 * is in flight or event-loop delay is above the limit (event-loop delay alone stays low while logins
 * queue on a saturated CPU, so it rarely fired); while busy, grants start at a fixed pace
 * (`busyPerSecond`, all workers together, one timer handing out the turns), so the job takes a small,
 * bounded share of the CPU and still clears a backlog; while idle, every worker goes at once. A
 * worker process (maxLagMs 0) never waits.
 */
export class LoadGate {
  private lag: IntervalHistogram | null = null;
  private checkedAt = 0;
  private lagging = false;
  private readonly slotMs: number;
  private nextSlotAt = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly settings: LoadGateSettings,
    private readonly load: LoadSource | null,
  ) {
    this.slotMs = 1000 / Math.max(1, settings.busyPerSecond);
  }

  start(): void {
    if (this.settings.maxLagMs <= 0) return;
    this.lag = monitorEventLoopDelay({ resolution: 10 });
    this.lag.enable();
  }

  stop(): void {
    this.lag?.disable();
    this.release();
  }

  /** Waits until the next grant may start; `stopping` lets a shutdown through at once. */
  async pass(stopping: () => boolean): Promise<void> {
    await nextTurn();
    if (!this.lag || stopping() || !this.busy()) return;
    const now = Date.now();
    if (this.waiting.length === 0 && now >= this.nextSlotAt) {
      this.nextSlotAt = now + this.slotMs;
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Lets every waiting worker go (shutdown). */
  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private busy(): boolean {
    if (this.load && this.load.inFlight > 0) return true;
    const now = Date.now();
    if (now - this.checkedAt >= LAG_SAMPLE_MS) {
      this.checkedAt = now;
      const lag = this.lag!;
      this.lagging = lag.count > 0 && lag.percentile(99) / 1e6 - 10 > this.settings.maxLagMs;
      lag.reset();
    }
    return this.lagging;
  }

  /** One timer hands out the turns in order, one per slot. */
  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.nextSlotAt = Date.now() + this.slotMs;
        this.waiting.shift()?.();
        this.schedule();
      },
      Math.max(0, this.nextSlotAt - Date.now()),
    );
  }
}
