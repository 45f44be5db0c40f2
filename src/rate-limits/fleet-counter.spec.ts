import { sha256Hex } from '../common/secrets';
import { CountersRepository, SlotRow, SlotValues } from './counters.repository';
import { FleetCounter } from './fleet-counter';
import { CounterRule } from './hit-counter';

// The counter's own logic against a fake repository: what it writes, when, and what it reads.
// (Against a real database, two instances: test/integration/shared-counters.int-spec.ts and
// refresh-budget.int-spec.ts.)

interface Deferred {
  resolve: () => void;
  reject: (error: Error) => void;
}

class FakeCounters {
  /** Every upsert's rows, in the order they were sent. */
  readonly upserts: SlotValues[][] = [];
  readonly reads: { sinceMs: number; nowMs: number }[] = [];
  others: SlotRow[] = [];
  /** While set, each upsert waits for the test to settle it. */
  hold = false;
  readonly held: Deferred[] = [];
  failNext = 0;

  upsertSlots = jest.fn(async (rows: readonly SlotValues[]): Promise<void> => {
    this.upserts.push(rows.map((row) => [...row] as SlotValues));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection lost');
    }
    if (this.hold) await new Promise<void>((resolve, reject) => this.held.push({ resolve, reject }));
  });

  findOthersSlots = jest.fn(async (sinceMs: number, nowMs: number): Promise<SlotRow[]> => {
    this.reads.push({ sinceMs, nowMs });
    return this.others;
  });

  deleteExpiredSlots = jest.fn(async (): Promise<void> => undefined);

  /** The hits last written for the slot starting at `slotMs`. */
  lastWritten(slotMs: number): number | undefined {
    for (let i = this.upserts.length - 1; i >= 0; i--) {
      const row = this.upserts[i].find((r) => r[2] === slotMs);
      if (row) return row[4];
    }
    return undefined;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('FleetCounter.takeUpTo', () => {
  const t0 = Date.UTC(2031, 0, 1, 0, 0, 0);
  let now = t0;
  let fake: FakeCounters;
  let counter: FleetCounter;
  const budget: CounterRule = { bucket: 'wechat:refresh-budget', limit: 100, windowSeconds: 60 };

  beforeEach(() => {
    now = t0;
    fake = new FakeCounters();
    counter = new FleetCounter(fake as unknown as CountersRepository, () => now);
  });

  it('takes what the window has left, then 0, and never more than the limit', () => {
    expect(counter.takeUpTo(budget, 60, now)).toBe(60);
    expect(counter.takeUpTo(budget, 60, now + 1000)).toBe(40);
    expect(counter.takeUpTo(budget, 1, now + 2000)).toBe(0);
    expect(counter.peek([budget], now + 2000)[0]).toEqual(expect.objectContaining({ hits: 100, full: true }));
    // Nothing asked, nothing taken; no I/O either way.
    expect(counter.takeUpTo(budget, 0, now)).toBe(0);
    expect(counter.takeUpTo({ ...budget, bucket: 'other' }, -3, now)).toBe(0);
    expect(fake.upsertSlots).not.toHaveBeenCalled();
    expect(fake.findOthersSlots).not.toHaveBeenCalled();
  });

  it('reopens as the minute slides: the units of a slot leave 60 s after it', () => {
    expect(counter.takeUpTo(budget, 70, now)).toBe(70);
    expect(counter.takeUpTo(budget, 70, now + 30_000)).toBe(30);
    // One slot (a second) after the first draw's slot left the window, its 70 are free again.
    expect(counter.takeUpTo(budget, 100, now + 61_000)).toBe(70);
  });

  it("counts the other instances' units as last read", async () => {
    fake.others = [
      {
        key_hash: sha256Hex(budget.bucket).slice(0, 40),
        window_s: 60,
        slot_ms: Math.floor(now / 1000) * 1000,
        instance_id: 'other-instance',
        hits: 75,
      },
    ];
    expect(await counter.sync()).toBe(true);
    expect(counter.takeUpTo(budget, 50, now)).toBe(25);
  });

  it('writes a take made while a write is on its way, at the next write', async () => {
    const slot = Math.floor(now / 1000) * 1000;
    expect(counter.takeUpTo(budget, 5, now)).toBe(5);
    fake.hold = true;
    const round = counter.sync();
    await turn();
    expect(fake.held).toHaveLength(1);
    // Taken after the round collected its rows (5) and before they landed.
    expect(counter.takeUpTo(budget, 3, now)).toBe(3);
    fake.hold = false;
    fake.held[0].resolve();
    expect(await round).toBe(true);
    expect(fake.lastWritten(slot)).toBe(5);
    expect(await counter.publish()).toBe(true);
    expect(fake.lastWritten(slot)).toBe(8);
  });

  it('a write that failed is sent again whole by the next one', async () => {
    const slot = Math.floor(now / 1000) * 1000;
    counter.takeUpTo(budget, 7, now);
    fake.failNext = 1;
    expect(await counter.publish()).toBe(false);
    expect(await counter.publish()).toBe(true);
    expect(fake.upserts).toHaveLength(2);
    expect(fake.lastWritten(slot)).toBe(7);
    // Nothing changed since: nothing to send.
    expect(await counter.publish()).toBe(true);
    expect(fake.upserts).toHaveLength(2);
  });

  it('syncAfter runs a round that starts after the call, so it writes what was taken before it', async () => {
    const slot = Math.floor(now / 1000) * 1000;
    counter.takeUpTo(budget, 1, now);
    fake.hold = true;
    const early = counter.sync();
    await turn();
    counter.takeUpTo(budget, 10, now);
    const fresh = counter.syncAfter();
    fake.hold = false;
    fake.held[0].resolve();
    await early;
    expect(await fresh).toBe(true);
    expect(fake.lastWritten(slot)).toBe(11);
    expect(fake.findOthersSlots).toHaveBeenCalledTimes(2);
  });

  it('a failed round says so', async () => {
    counter.takeUpTo(budget, 1, now);
    fake.failNext = 1;
    expect(await counter.syncAfter()).toBe(false);
    expect(fake.findOthersSlots).not.toHaveBeenCalled();
    expect(await counter.syncAfter()).toBe(true);
  });

  it('reads the last 10 s while rounds are a second apart, and back to before the previous read after a pause', async () => {
    await counter.sync();
    expect(fake.reads[0].sinceMs).toBe(0);
    now += 1000;
    await counter.sync();
    expect(fake.reads[1].sinceMs).toBe(now - 10_000);
    const previous = now;
    now += 45_000;
    await counter.sync();
    expect(fake.reads[2].sinceMs).toBe(previous + 1000 - 10_000);
  });
});
