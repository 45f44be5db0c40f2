/** Time on the shared sandbox clock when given one (in-process), else the fake's own movable clock. */
export class FakeClock {
  private offsetMs = 0;

  constructor(private readonly shared?: () => number) {}

  now(): number {
    return this.shared ? this.shared() : Date.now() + this.offsetMs;
  }

  advance(seconds: number): number {
    if (!this.shared) this.offsetMs += seconds * 1000;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
