import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { parseDbDate, asSql, SqlTarget } from '../database/sql';
import { placeholders, Statement, withList } from '../database/sql-statements';
import type { BindTicketEntity } from './bind-ticket.entity';

const COLUMNS = 'id, ticket_hash, identity_id, device_id, created_at, expires_at, consumed_at';

/** Every statement on `bind_tickets`; src/database/queries/bind-tickets.repository.sql is their snapshot. */
export const BIND_TICKET_STATEMENTS = {
  insert: `INSERT INTO bind_tickets (${COLUMNS}) VALUES (${placeholders(6)}, NULL)`,
  // Earlier tickets are found by a plain read and closed by primary key: a range UPDATE on
  // identity_id took gap locks on its foreign-key index and deadlocked parallel first logins on MariaDB.
  findUnusedIdsOfIdentity: 'SELECT id FROM bind_tickets WHERE identity_id = ? AND consumed_at IS NULL',
  closeByIds: 'UPDATE bind_tickets SET consumed_at = ? WHERE id IN (?...)',
  findByHash: `SELECT ${COLUMNS} FROM bind_tickets WHERE ticket_hash = ? LIMIT 1`,
  consume: 'UPDATE bind_tickets SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?',
} satisfies Record<string, Statement>;

const S = BIND_TICKET_STATEMENTS;

/** The table `bind_tickets`: every statement on it and its row mapper. */
@Injectable()
export class BindTicketsRepository {
  constructor(private readonly database: Database) {}

  async insert(target: SqlTarget, row: Omit<BindTicketEntity, 'consumedAt' | 'identity'>): Promise<void> {
    await asSql(target).run(S.insert, [
      row.id,
      row.ticketHash,
      row.identityId,
      row.deviceId,
      row.createdAt,
      row.expiresAt,
    ]);
  }

  async findUnusedIdsOfIdentity(target: SqlTarget, identityId: string): Promise<string[]> {
    return (await asSql(target).rows<{ id: string }>(S.findUnusedIdsOfIdentity, [identityId])).map((row) => row.id);
  }

  async closeByIds(target: SqlTarget, ids: readonly string[], now: Date): Promise<void> {
    if (ids.length > 0) await asSql(target).run(withList(S.closeByIds, ids.length), [now, ...ids]);
  }

  async findByHash(ticketHash: string, target?: SqlTarget): Promise<BindTicketEntity | null> {
    const sql = target ? asSql(target) : this.database.sql;
    const rows = await sql.rows<BindTicketRow>(S.findByHash, [ticketHash]);
    return rows.length === 0 ? null : bindTicketFromRow(rows[0]);
  }

  /** Spends a live ticket; whether this caller did (exactly one does). */
  async consume(target: SqlTarget, id: string, now: Date): Promise<boolean> {
    return (await asSql(target).run(S.consume, [now, id, now])) === 1;
  }
}

interface BindTicketRow {
  id: string;
  ticket_hash: string;
  identity_id: string;
  device_id: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  consumed_at: Date | string | null;
}

function bindTicketFromRow(row: BindTicketRow): BindTicketEntity {
  return {
    id: row.id,
    ticketHash: row.ticket_hash,
    identityId: row.identity_id,
    deviceId: row.device_id,
    createdAt: parseDbDate(row.created_at),
    expiresAt: parseDbDate(row.expires_at),
    consumedAt: row.consumed_at === null ? null : parseDbDate(row.consumed_at),
  };
}
