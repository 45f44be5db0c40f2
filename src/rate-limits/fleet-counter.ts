import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../common/secrets';
import { CountersRepository, SlotValues } from './counters.repository';
import { Tally } from './fleet-tally';
import { CounterRule, enforced, RuleState, statesOf, TakeResult } from './hit-counter';

/** Rows other instances wrote within this long (by their clocks) are read again at each sync. */
const LOOKBACK_MS = 10_000;
const WRITE_CHUNK = 100;
/** Expired rows are deleted, and forgotten counts dropped from memory, every this many syncs. */
const SWEEP_EVERY = 60;

/**
 * Approximate counters for busy buckets (per IP, device, number prefix, country, in all; the general
 * throttle), shared by the fleet without a statement per request. Each instance counts in memory,
 * in slots of 1/60 of a window. Once a second (`sync`) it writes the slots it changed as its own rows
 * of `rate_limit_slots` (one multi-row upsert; rows are keyed by instance, so no two instances ever
 * write the same row: nothing for a cluster to certify against) and reads what the others wrote
 * lately (one read). A decision is the fleet's count as last read plus this instance's own hits
 * since: across N instances a budget can be overshot by about what the other instances admit in
 * one sync interval (plus the slot rounding, 1/60 of the window, counted on the safe side).
 *
 * `takeUpTo` takes many units of one budget at once (the refresh job's per-minute budget). Its bound
 * is the same, in units: what the other instances took and this one has not read yet, which for a
 * bulk take may be a whole portion per instance rather than a request or two. A caller that wants it
 * tighter shares a round just before the take and writes just after (`syncAfter`, `publish`): then
 * an instance misses only the other instances' takes still in flight (taken, not yet written) when
 * it reads, at most one portion per instance that draws one at a time (RefreshBudget).
 */
export class FleetCounter {
  private readonly logger = new Logger('FleetCounter');
  private readonly byKey = new Map<string, Tally>();
  private readonly byHash = new Map<string, Tally>();
  private readonly dirty = new Set<Tally>();
  readonly instanceId = randomUUID();
  private loaded = false;
  private syncs = 0;
  private running: Promise<boolean> | null = null;
  /** Writes run one after another, so that a later write never lands before an earlier one. */
  private writing: Promise<void> = Promise.resolve();
  /** When the last read was sent (this instance's clock); 0 before the first. */
  private lastReadMs = 0;
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

  /**
   * Takes up to `want` units of `rule` at once (always enforced) and returns how many it got: what
   * the window has left as this instance sees it, 0 when full. Never more than the limit by this
   * instance's count (the fleet's as last read plus its own since); across instances, over by at most
   * what the others took that this instance has not read yet (see the class comment). No I/O.
   */
  takeUpTo(rule: CounterRule, want: number, nowMs: number): number {
    if (!(want > 0)) return 0;
    const tally = this.tally(rule);
    const room = rule.limit - tally.count(nowMs, rule.limit).hits;
    const got = Math.min(Math.floor(want), room);
    if (got <= 0) return 0;
    tally.add(nowMs, got);
    this.dirty.add(tally);
    return got;
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

  /**
   * Writes this instance's changed counts and reads the others' (one round; concurrent calls share
   * it). True when both went through; a failed round is logged and tried again at the next one.
   */
  sync(): Promise<boolean> {
    this.running ??= this.syncOnce().finally(() => (this.running = null));
    return this.running;
  }

  /** A round begun after this call: it writes every hit counted before the call, and reads after it. */
  async syncAfter(): Promise<boolean> {
    await this.running;
    return this.sync();
  }

  /** Writes this instance's changed counts now, without reading (after a bulk take); false if it failed. */
  publish(): Promise<boolean> {
    return this.write(this.now()).then(
      () => true,
      (error: unknown) => {
        this.warn(error);
        return false;
      },
    );
  }

  /** A last write of this instance's counts (at shutdown); a database already gone is not worth a warning. */
  async flush(): Promise<void> {
    await this.running;
    await this.write(this.now()).catch(() => undefined);
  }

  private async syncOnce(): Promise<boolean> {
    const nowMs = this.now();
    try {
      await this.write(nowMs);
      await this.read(nowMs);
    } catch (error) {
      this.warn(error);
      return false;
    }
    if (++this.syncs % SWEEP_EVERY === 0) await this.sweep(nowMs).catch((error: unknown) => this.warn(error));
    return true;
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarnedMs > 10_000) {
      this.lastWarnedMs = Date.now();
      this.logger.warn(`counters not shared this round: ${error instanceof Error ? error.message : 'unknown'}`);
    }
  }

  /** One write at a time, each of the counts as they are when it starts. */
  private write(nowMs: number): Promise<void> {
    const run = this.writing.then(() => this.writeOnce(nowMs));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async writeOnce(nowMs: number): Promise<void> {
    const rows: SlotValues[] = [];
    const taken: [Tally, number[]][] = [];
    // The marks are taken now: a hit counted while the rows are on their way marks its slot again.
    for (const tally of this.dirty) {
      const slots = [...tally.dirty];
      for (const s of slots) {
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
      tally.dirty.clear();
      taken.push([tally, slots]);
    }
    this.dirty.clear();
    try {
      for (let i = 0; i < rows.length; i += WRITE_CHUNK)
        await this.counters.upsertSlots(rows.slice(i, i + WRITE_CHUNK));
    } catch (error) {
      // Marked again: the next write sends the same absolute counts (slots already forgotten have left their window).
      for (const [tally, slots] of taken) {
        for (const s of slots) if (tally.cells.has(s)) tally.dirty.add(s);
        if (tally.dirty.size > 0) this.dirty.add(tally);
      }
      throw error;
    }
  }

  private async read(nowMs: number): Promise<void> {
    // The first read takes every live row; later ones what was written lately: in the last
    // LOOKBACK_MS, or since LOOKBACK_MS before the previous read when that was over a second ago
    // (a round skipped by a stalled loop, a counter synced only when it takes).
    const since = this.loaded ? Math.min(nowMs, this.lastReadMs + 1000) - LOOKBACK_MS : 0;
    const rows = await this.counters.findOthersSlots(since, nowMs, this.instanceId);
    this.loaded = true;
    this.lastReadMs = nowMs;
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
