/**
 * The one source of "now". Production reads the system clock; the sandbox and tests may move it
 * forward, so that expiry can be tried without waiting.
 */
export class Clock {
  private offsetMs = 0;

  constructor(private readonly movable = false) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  advance(seconds: number): Date {
    if (!this.movable) {
      throw new Error('the clock only moves in sandbox mode');
    }
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError('advanceSeconds must be a non-negative number');
    }
    this.offsetMs += seconds * 1000;
    return this.now();
  }
}
