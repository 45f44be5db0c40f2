import { WindowCount } from './hit-counter';

/** Each window is counted in this many slots (a minute in seconds, an hour in minutes, a day in 24 min). */
const SLOTS_PER_WINDOW = 60;

interface Cell {
  own: number;
  /** Every other instance's hits in this slot, as last read (and their sum). */
  remote: Map<string, number> | null;
  others: number;
}

/** One rule's counts (a bucket over one window length): only the slots that have hits are kept. */
export class Tally {
  readonly windowMs: number;
  readonly slotMs: number;
  readonly cells = new Map<number, Cell>();
  /** Slots whose own count changed since the last write. */
  readonly dirty = new Set<number>();
  lastSlot = -1;

  constructor(
    windowSeconds: number,
    readonly hash: string,
    public key: string | null,
  ) {
    this.windowMs = windowSeconds * 1000;
    this.slotMs = Math.ceil(this.windowMs / SLOTS_PER_WINDOW);
  }

  /** Hits in the window ending now (a slot counts while any of it is inside) and, when full, when it reopens. */
  count(nowMs: number, limit: number): WindowCount {
    const first = Math.floor((nowMs - this.windowMs) / this.slotMs);
    let hits = 0;
    for (const [s, cell] of this.cells) {
      if (s < first) {
        if (!this.dirty.has(s)) this.cells.delete(s);
        continue;
      }
      hits += cell.own + cell.others;
    }
    if (hits < limit) return { hits, retryAfterMs: 0 };
    // Full: it reopens when enough of the oldest slots have left the window.
    const slots = [...this.cells.keys()].filter((s) => s >= first).sort((a, b) => a - b);
    let left = hits;
    for (const s of slots) {
      const cell = this.cells.get(s)!;
      left -= cell.own + cell.others;
      if (left < limit) return { hits, retryAfterMs: (s + 1) * this.slotMs + this.windowMs - nowMs };
    }
    return { hits, retryAfterMs: this.windowMs };
  }

  add(nowMs: number, units = 1): void {
    const s = Math.floor(nowMs / this.slotMs);
    this.cell(s).own += units;
    this.dirty.add(s);
  }

  setRemote(s: number, instance: string, hits: number): void {
    const cell = this.cell(s);
    const remote = (cell.remote ??= new Map());
    remote.set(instance, hits);
    let sum = 0;
    for (const value of remote.values()) sum += value;
    cell.others = sum;
  }

  /** Nothing of it is inside its window any more, and nothing is left to write. */
  expired(nowMs: number): boolean {
    return this.dirty.size === 0 && (this.lastSlot + 1) * this.slotMs + this.windowMs < nowMs;
  }

  private cell(s: number): Cell {
    let cell = this.cells.get(s);
    if (!cell) {
      cell = { own: 0, remote: null, others: 0 };
      this.cells.set(s, cell);
      if (s > this.lastSlot) this.lastSlot = s;
    }
    return cell;
  }
}
