import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../common/secrets';
import { CountersRepository, SlotValues } from './counters.repository';
import { CounterRule, enforced, RuleState, statesOf, TakeResult, WindowCount } from './hit-counter';

/** Each window is counted in this many slots (a minute in seconds, an hour in minutes, a day in 24 min). */
const SLOTS_PER_WINDOW = 60;
/** Rows other instances wrote within this long (by their clocks) are read again at each sync. */
const LOOKBACK_MS = 10_000;
const WRITE_CHUNK = 100;
/** Expired rows are deleted, and forgotten counts dropped from memory, every this many syncs. */
const SWEEP_EVERY = 60;

interface Cell {
  own: number;
  /** Every other instance's hits in this slot, as last read (and their sum). */
  remote: Map<string, number> | null;
  others: number;
}

/** One rule's counts (a bucket over one window length): only the slots that have hits are kept. */
class Tally {
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

  add(nowMs: number): void {
    const s = Math.floor(nowMs / this.slotMs);
    this.cell(s).own += 1;
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

/**
 * Approximate counters for busy buckets (per IP, device, number prefix, country, in all; the general
 * throttle), shared by the fleet without a statement per request. Each instance counts in memory,
 * in slots of 1/60 of a window. Once a second (`sync`) it writes the slots it changed as its own rows
 * of `rate_limit_slots` (one multi-row upsert; rows are keyed by instance, so no two instances ever
 * write the same row: nothing for a cluster to certify against) and reads what the others wrote
 * lately (one read). A decision is the fleet's count as last read plus this instance's own hits
 * since: across N instances a budget can be overshot by about what the other instances admit in
 * one sync interval (plus the slot rounding, 1/60 of the window, counted on the safe side).
 */
export class FleetCounter {
  private readonly logger = new Logger('FleetCounter');
  private readonly byKey = new Map<string, Tally>();
  private readonly byHash = new Map<string, Tally>();
  private readonly dirty = new Set<Tally>();
  readonly instanceId = randomUUID();
  private loaded = false;
  private syncs = 0;
  private running: Promise<void> | null = null;
  private lastWarnedMs = 0;

  constructor(
    private readonly counters: CountersRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** Each rule's state now; records nothing. No I/O. */
  peek(rules: CounterRule[], nowMs: number): RuleState[] {
    return statesOf(
      rules,
      rules.map((rule) => this.tally(rule).count(nowMs, rule.limit)),
    );
  }

  /** Records one hit under every rule unless an enforced one is full. No I/O. */
  take(rules: CounterRule[], nowMs: number): TakeResult {
    const states = this.peek(rules, nowMs);
    if (states.some((state) => state.full && enforced(state.rule))) return { taken: false, states };
    this.add(rules, nowMs);
    return { taken: true, states: states.map((state) => ({ ...state, hits: state.hits + 1 })) };
  }

  /** Records one hit under every rule, full or not. */
  add(rules: CounterRule[], nowMs: number): void {
    const seen = new Set<Tally>();
    for (const rule of rules) {
      const tally = this.tally(rule);
      if (seen.has(tally)) continue;
      seen.add(tally);
      tally.add(nowMs);
      this.dirty.add(tally);
    }
  }

  /** Writes this instance's changed counts and reads the others' (one sync; concurrent calls share it). */
  sync(): Promise<void> {
    this.running ??= this.syncOnce().finally(() => (this.running = null));
    return this.running;
  }

  /** A last write of this instance's counts (at shutdown); a database already gone is not worth a warning. */
  async flush(): Promise<void> {
    await this.running;
    await this.write(this.now()).catch(() => undefined);
  }

  private async syncOnce(): Promise<void> {
    const nowMs = this.now();
    try {
      await this.write(nowMs);
      await this.read(nowMs);
      if (++this.syncs % SWEEP_EVERY === 0) await this.sweep(nowMs);
    } catch (error) {
      if (Date.now() - this.lastWarnedMs > 10_000) {
        this.lastWarnedMs = Date.now();
        this.logger.warn(`counters not shared this round: ${error instanceof Error ? error.message : 'unknown'}`);
      }
    }
  }

  private async write(nowMs: number): Promise<void> {
    const rows: SlotValues[] = [];
    const written: Tally[] = [];
    for (const tally of this.dirty) {
      for (const s of tally.dirty) {
        rows.push([
          tally.hash,
          tally.windowMs / 1000,
          s * tally.slotMs,
          this.instanceId,
          tally.cells.get(s)?.own ?? 0,
          nowMs,
          (s + 1) * tally.slotMs + tally.windowMs,
        ]);
      }
      written.push(tally);
    }
    for (let i = 0; i < rows.length; i += WRITE_CHUNK) await this.counters.upsertSlots(rows.slice(i, i + WRITE_CHUNK));
    // Only once every row landed: a failed round writes the same absolute counts next time.
    for (const tally of written) {
      tally.dirty.clear();
      this.dirty.delete(tally);
    }
  }

  private async read(nowMs: number): Promise<void> {
    // The first read takes every live row; later ones what was written lately.
    const since = this.loaded ? nowMs - LOOKBACK_MS : 0;
    const rows = await this.counters.findOthersSlots(since, nowMs, this.instanceId);
    this.loaded = true;
    for (const row of rows) {
      const windowSeconds = Number(row.window_s);
      let tally = this.byHash.get(`${row.key_hash}|${windowSeconds}`);
      if (!tally) {
        tally = new Tally(windowSeconds, row.key_hash, null);
        this.byHash.set(`${row.key_hash}|${windowSeconds}`, tally);
      }
      tally.setRemote(Math.floor(Number(row.slot_ms) / tally.slotMs), row.instance_id, Number(row.hits));
    }
  }

  private async sweep(nowMs: number): Promise<void> {
    for (const [hashKey, tally] of this.byHash) {
      if (!tally.expired(nowMs)) continue;
      this.byHash.delete(hashKey);
      if (tally.key !== null) this.byKey.delete(tally.key);
    }
    // Any instance may delete rows nobody writes any more.
    await this.counters.deleteExpiredSlots(nowMs - LOOKBACK_MS);
  }

  private tally(rule: CounterRule): Tally {
    const key = `${rule.bucket}|${rule.windowSeconds}`;
    let tally = this.byKey.get(key);
    if (tally) return tally;
    // First sight here: other instances may already have counted it.
    const hash = sha256Hex(rule.bucket).slice(0, 40);
    const hashKey = `${hash}|${rule.windowSeconds}`;
    tally = this.byHash.get(hashKey);
    if (tally) tally.key = key;
    else {
      tally = new Tally(rule.windowSeconds, hash, key);
      this.byHash.set(hashKey, tally);
    }
    this.byKey.set(key, tally);
    return tally;
  }
}
