/** What every fake records of a call: the path it was called on and when (never a secret or token). */
export interface LoggedCall {
  path: string;
  at: string;
}

/** The calls a fake received, in order; `GET /calls` reads it. */
export class CallLog<C extends LoggedCall = LoggedCall> {
  private entries: C[] = [];

  /** Completes the entry in place rather than copying it: this runs on every call a fake answers. */
  record(call: Omit<C, 'at'>, nowMs: number): C {
    const entry = call as C;
    entry.at = new Date(nowMs).toISOString();
    this.entries.push(entry);
    return entry;
  }

  /** Every call, or those that match. */
  list(match?: (call: C) => boolean): C[] {
    return match ? this.entries.filter(match) : [...this.entries];
  }

  /** The shape every fake answers to `GET /calls?path=`. */
  onPath(path: string): LoggedCall[] {
    return this.entries.filter((c) => c.path === path).map((c) => ({ path: c.path, at: c.at }));
  }

  clear(): void {
    this.entries = [];
  }
}
