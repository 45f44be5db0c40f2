import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { isUniqueViolation } from '../database/database-errors';
import { parseDbDate, Sql } from '../database/sql';
import { Statement } from '../database/sql-statements';
import type { EventProvider, ProviderEvent } from './provider-event';

const COLUMNS =
  'id, provider, app_id, dedupe_key, event_type, payload, received_at, applied_at, outcome, attempts, ' +
  'last_error_code, next_attempt_at, lease_owner, lease_expires_at';
const UNLEASED = 'lease_owner = NULL, lease_expires_at = NULL';

/** Every statement on `provider_events`; src/database/queries/provider-events.repository.sql is their snapshot. */
export const PROVIDER_EVENT_STATEMENTS = {
  insert:
    `INSERT INTO provider_events (${COLUMNS}) ` + 'VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, NULL, ?, NULL, NULL)',
  // Pending, due, and not leased by a live claim.
  pickDue:
    'SELECT id FROM provider_events WHERE applied_at IS NULL AND next_attempt_at <= ? ' +
    'AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY next_attempt_at LIMIT ?',
  // The one conditional UPDATE that decides who applies a row now.
  claim:
    'UPDATE provider_events SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1 ' +
    'WHERE id = ? AND applied_at IS NULL AND next_attempt_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)',
  findLeased: `SELECT ${COLUMNS} FROM provider_events WHERE id = ? AND lease_owner = ?`,
  markApplied:
    `UPDATE provider_events SET applied_at = ?, outcome = ?, last_error_code = NULL, ${UNLEASED} ` +
    'WHERE id = ? AND lease_owner = ? AND applied_at IS NULL',
  backOff:
    `UPDATE provider_events SET last_error_code = ?, next_attempt_at = ?, ${UNLEASED} ` +
    'WHERE id = ? AND lease_owner = ?',
  releaseInstance: `UPDATE provider_events SET ${UNLEASED} WHERE lease_owner LIKE ? AND applied_at IS NULL`,
  pendingStats: 'SELECT COUNT(*) AS pending, MIN(received_at) AS oldest FROM provider_events WHERE applied_at IS NULL',
} satisfies Record<string, Statement>;

const S = PROVIDER_EVENT_STATEMENTS;

interface EventRow {
  id: string;
  provider: string;
  app_id: string;
  dedupe_key: string;
  event_type: string;
  payload: string | null;
  received_at: Date | string;
  attempts: number | string;
}

export interface NewProviderEvent {
  id: string;
  provider: EventProvider;
  appId: string;
  dedupeKey: string;
  eventType: string;
  payload: Record<string, unknown>;
  receivedAt: Date;
}

/** The table `provider_events`: the inbox's statements and its row mapper. */
@Injectable()
export class ProviderEventsRepository {
  constructor(private readonly database: Database) {}

  /** Stores a new event; false when its key was stored before (a repeated delivery), nothing changed. */
  async insert(event: NewProviderEvent): Promise<boolean> {
    try {
      await this.database.sql.run(S.insert, [
        event.id,
        event.provider,
        event.appId,
        event.dedupeKey,
        event.eventType,
        JSON.stringify(event.payload),
        event.receivedAt,
        event.receivedAt,
      ]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async pickDue(now: Date, limit: number): Promise<string[]> {
    const rows = await this.database.sql.rows<{ id: string }>(S.pickDue, [now, now, limit]);
    return rows.map((row) => row.id);
  }

  /** The row leased to `owner` until `until`, with its attempt counted; null when pending elsewhere or done. */
  async claim(id: string, owner: string, until: Date, now: Date): Promise<ProviderEvent | null> {
    const won = await this.database.sql.run(S.claim, [owner, until, id, now, now]);
    if (won !== 1) return null;
    const [row] = await this.database.sql.rows<EventRow>(S.findLeased, [id, owner]);
    return row ? toEvent(row) : null;
  }

  /** Marks the event applied if `owner` still holds it (in the handler's transaction, or on its own). */
  async markApplied(
    id: string,
    owner: string,
    outcome: 'applied' | 'ignored',
    now: Date,
    sql: Sql = this.database.sql,
  ): Promise<boolean> {
    return (await sql.run(S.markApplied, [now, outcome, id, owner])) === 1;
  }

  async backOff(id: string, owner: string, errorCode: string, nextAttemptAt: Date): Promise<void> {
    await this.database.sql.run(S.backOff, [errorCode.slice(0, 64), nextAttemptAt, id, owner]);
  }

  /** Gives back every lease of an instance (at shutdown); they would run out anyway. */
  async releaseInstance(instancePrefix: string): Promise<void> {
    await this.database.sql.run(S.releaseInstance, [`${instancePrefix}:%`]);
  }

  async pendingStats(): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await this.database.sql.rows<{ pending: number | string; oldest: Date | string | null }>(
      S.pendingStats,
    );
    return { pending: Number(row?.pending ?? 0), oldest: row?.oldest ? parseDbDate(row.oldest) : null };
  }
}

function toEvent(row: EventRow): ProviderEvent {
  return {
    id: row.id,
    provider: row.provider as EventProvider,
    appId: row.app_id,
    dedupeKey: row.dedupe_key,
    eventType: row.event_type,
    payload: row.payload ? (JSON.parse(row.payload) as Record<string, unknown>) : {},
    receivedAt: parseDbDate(row.received_at),
    attempt: Number(row.attempts),
  };
}
