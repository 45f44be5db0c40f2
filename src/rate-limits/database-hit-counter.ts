import { Database } from '../database/database.service';
import { CountersRepository } from './counters.repository';
import { FleetCounter } from './fleet-counter';
import { CounterRule, enforced, HitCounter, RuleState, statesOf, TakeResult } from './hit-counter';
import { RowHitCounter } from './row-hit-counter';

const SYNC_INTERVAL_MS = 1000;
const ROW_SWEEP_INTERVAL_MS = 60_000;

/**
 * The counters without Redis, in the database but off the request path where they can be:
 * - exact rules (one phone, one captcha token) are rows of `rate_limit_rows`, checked and written
 *   with an optimistic conditional write (`RowHitCounter`): usually 1 statement, exact everywhere;
 * - every other rule (per IP, device, prefix, country, in all; the general throttle) is counted in
 *   memory and shared with the other instances once a second (`FleetCounter`): 0 statements per
 *   request, approximate by about one sync interval of the other instances' traffic.
 * A take that has both checks the in-memory rules first, so a refusal there costs at most a read.
 */
export class DatabaseHitCounter extends HitCounter {
  readonly fleet: FleetCounter;
  private readonly rows: RowHitCounter;
  private syncTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;

  /** `fleet`: the app's one FleetCounter (RateLimitsModule), which the refresh budget draws from too. */
  constructor(
    database: Database,
    private readonly now: () => number = Date.now,
    fleet?: FleetCounter,
  ) {
    super();
    const counters = new CountersRepository(database);
    this.fleet = fleet ?? new FleetCounter(counters, now);
    this.rows = new RowHitCounter(counters);
  }

  /** Shares the in-memory counts with the other instances every second, and sweeps expired rows. */
  start(): void {
    if (this.syncTimer) return;
    this.syncTimer = setInterval(() => void this.fleet.sync(), SYNC_INTERVAL_MS).unref();
    this.sweepTimer = setInterval(() => void this.sweep().catch(() => undefined), ROW_SWEEP_INTERVAL_MS).unref();
    void this.fleet.sync();
  }

  /** Deletes the exact counters' rows whose hits have all left their windows (every minute). */
  sweep(): Promise<number> {
    return this.rows.deleteExpired(this.now());
  }

  /** One round of sharing now (tests, shutdown). */
  async sync(): Promise<void> {
    await this.fleet.sync();
  }

  override async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.syncTimer = this.sweepTimer = null;
    // What this instance counted since the last round, for the others.
    await this.fleet.flush();
  }

  async peek(rules: CounterRule[], nowMs: number): Promise<RuleState[]> {
    const { exact, shared } = split(rules);
    const states = new Array<RuleState>(rules.length);
    place(states, shared, this.fleet.peek(shared.rules, nowMs));
    if (exact.rules.length > 0) place(states, exact, statesOf(exact.rules, await this.rows.peek(exact.rules, nowMs)));
    return states;
  }

  async take(rules: CounterRule[], nowMs: number): Promise<TakeResult> {
    const { exact, shared } = split(rules);
    if (exact.rules.length === 0) return this.fleet.take(rules, nowMs);
    const states = new Array<RuleState>(rules.length);
    const sharedStates = this.fleet.peek(shared.rules, nowMs);
    place(states, shared, sharedStates);
    if (sharedStates.some((state) => state.full && enforced(state.rule))) {
      place(states, exact, statesOf(exact.rules, await this.rows.peek(exact.rules, nowMs)));
      return { taken: false, states };
    }
    const { taken, counts } = await this.rows.take(exact.rules, nowMs, (seen) =>
      statesOf(exact.rules, seen).every((state) => !state.full || !enforced(state.rule)),
    );
    const exactStates = statesOf(exact.rules, counts);
    if (!taken) {
      place(states, exact, exactStates);
      return { taken: false, states };
    }
    // The shared rules had room a moment ago; takes in flight meanwhile are within their approximation.
    this.fleet.add(shared.rules, nowMs);
    place(
      states,
      exact,
      exactStates.map((state) => ({ ...state, hits: state.hits + 1 })),
    );
    for (const i of shared.at) states[i] = { ...states[i], hits: states[i].hits + 1 };
    return { taken: true, states };
  }
}

interface Part {
  rules: CounterRule[];
  /** Where each rule sits in the caller's list. */
  at: number[];
}

function split(rules: CounterRule[]): { exact: Part; shared: Part } {
  const exact: Part = { rules: [], at: [] };
  const shared: Part = { rules: [], at: [] };
  for (const [i, rule] of rules.entries()) {
    const part = rule.exact ? exact : shared;
    part.rules.push(rule);
    part.at.push(i);
  }
  return { exact, shared };
}

function place(states: RuleState[], part: Part, partStates: RuleState[]): void {
  for (const [j, i] of part.at.entries()) states[i] = partStates[j];
}
