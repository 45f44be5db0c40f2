import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, Sql, SqlTarget } from '../database/sql';
import { Statement, withList } from '../database/sql-statements';

const COLUMNS =
  'id, kind, type, endpoint, payload, status, attempts, last_status_code, last_error, next_attempt_at, ordering_key, created_at, updated_at';
const UNLEASED = 'lease_owner = NULL, lease_expires_at = NULL';
const INSERT_ROW = "(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)";

/** Every plain statement on `outbox`; src/database/queries/outbox.repository.sql is their snapshot. */
export const OUTBOX_STATEMENTS = {
  // One row per endpoint in one statement (`VALUES` repeated).
  insert: `INSERT INTO outbox (id, kind, type, endpoint, payload, status, attempts, next_attempt_at, ordering_key, created_at, updated_at) VALUES ${INSERT_ROW}`,
  // Due, not leased by a live claim, and not behind an earlier due delivery of the same user (in order
  // per user: the earlier one goes first; one that is backing off does not hold the others up).
  pickDue:
    "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= ?) " +
    "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.status = 'pending' AND p.next_attempt_at <= ? AND p.id < o.id) " +
    'ORDER BY o.id LIMIT ?',
  // The claim: only rows nobody holds, so two instances never hold one delivery at once.
  lease:
    "UPDATE outbox SET lease_owner = ?, lease_expires_at = ? WHERE id IN (?...) AND status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)",
  findLeased: `SELECT ${COLUMNS} FROM outbox WHERE id IN (?...) AND lease_owner = ?`,
  // Each outcome is conditional on the lease: a claim that ran out and was taken over writes nothing.
  markDelivered: `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_status_code = ?, last_error = NULL, ${UNLEASED}, updated_at = ? WHERE id = ? AND lease_owner = ?`,
  backOff: `UPDATE outbox SET attempts = attempts + 1, last_status_code = ?, last_error = ?, next_attempt_at = ?, ${UNLEASED}, updated_at = ? WHERE id = ? AND lease_owner = ?`,
  markFailed: `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_status_code = ?, last_error = ?, ${UNLEASED}, updated_at = ? WHERE id = ? AND lease_owner = ?`,
  releaseIds: `UPDATE outbox SET ${UNLEASED} WHERE id IN (?...) AND lease_owner = ?`,
  releaseInstance: `UPDATE outbox SET ${UNLEASED} WHERE lease_owner LIKE ?`,
  // Admin: webhooks only, newest first.
  listWebhooks: `SELECT ${COLUMNS} FROM outbox WHERE kind = 'webhook' ORDER BY created_at DESC, id DESC LIMIT ?`,
  listWebhooksByStatus: `SELECT ${COLUMNS} FROM outbox WHERE kind = 'webhook' AND status = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  findWebhook: `SELECT ${COLUMNS} FROM outbox WHERE id = ? AND kind = 'webhook'`,
  // Same id, a full schedule again.
  redeliver: `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, ${UNLEASED}, updated_at = ? WHERE id = ? AND kind = 'webhook' AND status IN ('delivered', 'failed')`,
  pendingByKind:
    "SELECT kind, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending' GROUP BY kind",
} satisfies Record<string, Statement>;

const S = OUTBOX_STATEMENTS;

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** A new message: what `OutboxService.add` writes (one row per endpoint for a webhook). */
export interface NewOutboxRow {
  id: string;
  kind: string;
  type: string;
  endpoint: string | null;
  payload: string;
  orderingKey: string | null;
  createdAt: Date;
}

export interface OutboxRow {
  id: string;
  kind: string;
  type: string;
  endpoint: string | null;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  orderingKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What one try ended in, as stored: a status code where there was an answer, a label, never a body. */
export interface TryRecord {
  statusCode: number | null;
  error: string | null;
}

/** The `outbox` table: its plain statements and its row mapper. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly database: Database) {}

  /** In the caller's transaction (or statement): the message commits with the change it reports. */
  async insert(target: SqlTarget, rows: readonly NewOutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    const params: unknown[] = [];
    for (const r of rows) {
      params.push(r.id, r.kind, r.type, r.endpoint, r.payload, r.createdAt, r.orderingKey, r.createdAt, r.createdAt);
    }
    const text = S.insert + `, ${INSERT_ROW}`.repeat(rows.length - 1);
    await asSql(target).write(text, params);
  }

  async pickDue(sql: Sql, limit: number, now: Date): Promise<string[]> {
    const rows = await sql.rows<{ id: string }>(S.pickDue, [now, now, now, Number(limit)]);
    return rows.map((row) => row.id);
  }

  lease(sql: Sql, ids: readonly string[], token: string, until: Date, now: Date): Promise<number> {
    return sql.run(withList(S.lease, ids.length), [token, until, ...ids, now]);
  }

  async findLeased(sql: Sql, ids: readonly string[], token: string): Promise<OutboxRow[]> {
    const rows = await sql.rows<OutboxDbRow>(withList(S.findLeased, ids.length), [...ids, token]);
    return rows.map(outboxFromRow);
  }

  /** The outcome of one try, written only while `token` still holds the lease; whether it did. */
  async recordDelivered(id: string, token: string, statusCode: number | null, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.markDelivered, [statusCode, now, id, token])) > 0;
  }

  async recordRetry(id: string, token: string, record: TryRecord, next: Date, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.backOff, [record.statusCode, record.error, next, now, id, token])) > 0;
  }

  async recordFailed(id: string, token: string, record: TryRecord, now: Date): Promise<boolean> {
    return (await this.database.sql.run(S.markFailed, [record.statusCode, record.error, now, id, token])) > 0;
  }

  /** Gives back the leases of `ids` that `token` still holds (messages a pass did not reach). */
  async releaseIds(ids: readonly string[], token: string): Promise<void> {
    if (ids.length > 0) await this.database.sql.run(withList(S.releaseIds, ids.length), [...ids, token]);
  }

  /** Every lease whose token starts with `prefix` (one instance's), at shutdown. */
  async releaseInstance(prefix: string): Promise<void> {
    await this.database.sql.run(S.releaseInstance, [`${prefix}%`]);
  }

  async listWebhooks(limit: number, status: OutboxStatus | null): Promise<OutboxRow[]> {
    const rows = status
      ? await this.database.sql.rows<OutboxDbRow>(S.listWebhooksByStatus, [status, limit])
      : await this.database.sql.rows<OutboxDbRow>(S.listWebhooks, [limit]);
    return rows.map(outboxFromRow);
  }

  async findWebhook(target: SqlTarget, id: string): Promise<OutboxRow | null> {
    const rows = await asSql(target).rows<OutboxDbRow>(S.findWebhook, [id]);
    return rows.length === 0 ? null : outboxFromRow(rows[0]);
  }

  /** A delivered or failed webhook is pending again (same id); whether it was. */
  async redeliver(target: SqlTarget, id: string, now: Date): Promise<boolean> {
    return (await asSql(target).run(S.redeliver, [now, now, id])) > 0;
  }

  /** Pending messages per kind, and the oldest one's creation. */
  async pendingByKind(): Promise<{ kind: string; count: number; oldest: Date | null }[]> {
    const rows = await this.database.sql.rows<{ kind: string; n: number | string; oldest: Date | string | null }>(
      S.pendingByKind,
    );
    return rows.map((r) => ({ kind: r.kind, count: Number(r.n), oldest: r.oldest ? parseDbDate(r.oldest) : null }));
  }
}

interface OutboxDbRow {
  id: string;
  kind: string;
  type: string;
  endpoint: string | null;
  payload: string | null;
  status: string;
  attempts: number | string;
  last_status_code: number | string | null;
  last_error: string | null;
  next_attempt_at: Date | string;
  ordering_key: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

function outboxFromRow(r: OutboxDbRow): OutboxRow {
  return {
    id: r.id,
    kind: r.kind,
    type: r.type,
    endpoint: r.endpoint,
    payload: r.payload ?? '',
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    nextAttemptAt: parseDbDate(r.next_attempt_at),
    orderingKey: r.ordering_key,
    createdAt: parseDbDate(r.created_at),
    updatedAt: parseDbDate(r.updated_at),
  };
}
