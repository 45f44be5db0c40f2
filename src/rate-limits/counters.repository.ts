import { Database } from '../database/database.service';
import { Statement, textOf } from '../database/sql-statements';

const SLOT_COLUMNS = 'key_hash, window_s, slot_ms, instance_id, hits, updated_ms, expires_ms';
const SLOT_ROW = '(?, ?, ?, ?, ?, ?, ?)';
// Each instance writes only its own rows: an upsert keeps its latest absolute count per slot.
const UPSERT_SLOTS = `INSERT INTO rate_limit_slots (${SLOT_COLUMNS}) VALUES ${SLOT_ROW}...`;

/**
 * Every statement on `rate_limit_rows` (exact counters) and `rate_limit_slots` (the fleet's shared
 * counts); src/database/queries/counters.repository.sql is their snapshot.
 */
export const COUNTER_STATEMENTS = {
  findRow: 'SELECT hits, version FROM rate_limit_rows WHERE bucket_key = ?',
  insertRow: 'INSERT INTO rate_limit_rows (bucket_key, hits, version, expires_ms) VALUES (?, ?, ?, ?)',
  // Optimistic: only over the version this instance read.
  updateRow: 'UPDATE rate_limit_rows SET hits = ?, version = ?, expires_ms = ? WHERE bucket_key = ? AND version = ?',
  deleteExpiredRows: 'DELETE FROM rate_limit_rows WHERE expires_ms < ?',
  // `(?, ...)...`: one row of values per slot written.
  upsertSlots: {
    mysql: `${UPSERT_SLOTS} ON DUPLICATE KEY UPDATE hits = VALUES(hits), updated_ms = VALUES(updated_ms)`,
    sqlite: `${UPSERT_SLOTS} ON CONFLICT (key_hash, window_s, slot_ms, instance_id) DO UPDATE SET hits = excluded.hits, updated_ms = excluded.updated_ms`,
  },
  findOthersSlots:
    'SELECT key_hash, window_s, slot_ms, instance_id, hits FROM rate_limit_slots WHERE updated_ms > ? AND expires_ms > ? AND instance_id <> ?',
  deleteExpiredSlots: 'DELETE FROM rate_limit_slots WHERE expires_ms < ?',
} satisfies Record<string, Statement>;

const S = COUNTER_STATEMENTS;

/** An exact counter's row: its hit times (base-36 ms, comma-separated) and its version. */
export interface CounterRow {
  hits: string;
  version: number;
}

/** One slot of one instance's counts: key hash, window (s), slot start (ms), instance, hits, written at, expiry (ms). */
export type SlotValues = [string, number, number, string, number, number, number];

export interface SlotRow {
  key_hash: string;
  window_s: number | string;
  slot_ms: number | string;
  instance_id: string;
  hits: number | string;
}

/**
 * The counter tables of the database-backed HitCounter, each statement on its own (autocommit).
 * Not a Nest provider: DatabaseHitCounter, built by RateLimitsModule's factory, makes one.
 */
export class CountersRepository {
  constructor(private readonly database: Database) {}

  async findRow(key: string): Promise<CounterRow | null> {
    const [row] = await this.database.sql.rows<{ hits: string; version: number | string }>(S.findRow, [key]);
    return row ? { hits: row.hits, version: Number(row.version) } : null;
  }

  /** The bucket's first row; throws a unique violation when another take inserted it first. */
  async insertRow(key: string, row: CounterRow, expiresMs: number): Promise<void> {
    await this.database.sql.run(S.insertRow, [key, row.hits, row.version, expiresMs]);
  }

  /** Writes `row` over version `version`; false when another take changed the row first. */
  async updateRow(key: string, version: number, row: CounterRow, expiresMs: number): Promise<boolean> {
    return (await this.database.sql.run(S.updateRow, [row.hits, row.version, expiresMs, key, version])) === 1;
  }

  deleteExpiredRows(nowMs: number): Promise<number> {
    return this.database.sql.run(S.deleteExpiredRows, [nowMs]);
  }

  /** This instance's slots, in one statement (callers chunk them). */
  async upsertSlots(rows: readonly SlotValues[]): Promise<void> {
    const text = textOf(S.upsertSlots, this.database.dialect).replace(
      `${SLOT_ROW}...`,
      rows.map(() => SLOT_ROW).join(', '),
    );
    await this.database.sql.run(text, rows.flat());
  }

  /** The other instances' live slots written after `sinceMs`. */
  findOthersSlots(sinceMs: number, nowMs: number, instanceId: string): Promise<SlotRow[]> {
    return this.database.sql.rows<SlotRow>(S.findOthersSlots, [sinceMs, nowMs, instanceId]);
  }

  async deleteExpiredSlots(beforeMs: number): Promise<void> {
    await this.database.sql.run(S.deleteExpiredSlots, [beforeMs]);
  }
}
