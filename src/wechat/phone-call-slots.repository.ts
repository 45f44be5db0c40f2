import { Injectable } from '@nestjs/common';
import { newId } from '../common/ids';
import { classifyDatabaseError, isUniqueViolation } from '../database/database-errors';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/** A reservation taken, or why none was. */
export type SlotReservation = { id: string } | 'cap-reached' | 'ticket-used';

export interface ReserveRequest {
  appId: string;
  /** WeChat's day (UTC+8) as days since the epoch, and when it began. */
  day: number;
  dayStart: Date;
  cap: number;
  bindTicketId: string;
  now: Date;
}

// Each lost race means another reservation won a slot, so a few tries suffice even for many racers.
const RACE_RETRIES = 24;

/**
 * `wechat_phone_calls` as reservations: a getuserphonenumber call first takes a free slot 1..cap of
 * its app's day with a plain INSERT. Unique keys on (app, day, slot) and on the bind ticket settle
 * every race (on a cluster, by certification; no lock anywhere): the day never holds more than `cap`
 * reservations and a ticket never more than one.
 */
@Injectable()
export class PhoneCallSlotsRepository {
  constructor(private readonly database: Database) {}

  async reserve(request: ReserveRequest): Promise<SlotReservation> {
    const { appId, day, dayStart, cap, bindTicketId, now } = request;
    for (let attempt = 1; attempt <= RACE_RETRIES; attempt++) {
      // Rows of earlier releases (no day) still count for the day they were made.
      const rows = await this.database.sql.rows<{ slot: number | string | null; bind_ticket_id: string | null }>(
        'SELECT slot, bind_ticket_id FROM wechat_phone_calls WHERE app_id = ? AND (day = ? OR (day IS NULL AND created_at >= ?))',
        [appId, day, dayStart],
      );
      if (rows.some((row) => row.bind_ticket_id === bindTicketId)) return 'ticket-used';
      const taken = new Set(rows.filter((row) => row.slot !== null).map((row) => Number(row.slot)));
      const free: number[] = [];
      for (let slot = 1; slot <= cap; slot++) if (!taken.has(slot)) free.push(slot);
      if (rows.length >= cap || free.length === 0) return 'cap-reached';
      // A random free slot, so that racers mostly pick different ones.
      const slot = free[Math.floor(Math.random() * free.length)];
      const id = newId();
      try {
        await this.database.sql.run(
          'INSERT INTO wechat_phone_calls (id, app_id, created_at, day, slot, bind_ticket_id) VALUES (?, ?, ?, ?, ?, ?)',
          [id, appId, now, day, slot, bindTicketId],
        );
        return { id };
      } catch (error) {
        if (!(isUniqueViolation(error) || classifyDatabaseError(error) === 'conflict')) throw error;
      }
      // The slot went to another call, or this ticket already holds one (perhaps of another day).
      if (await this.ticketHolds(bindTicketId)) return 'ticket-used';
    }
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
  }

  /** Gives a slot back: only for a call that surely was not billed. */
  async release(id: string): Promise<void> {
    await this.database.sql.run('DELETE FROM wechat_phone_calls WHERE id = ?', [id]);
  }

  private async ticketHolds(bindTicketId: string): Promise<boolean> {
    const rows = await this.database.sql.rows('SELECT id FROM wechat_phone_calls WHERE bind_ticket_id = ?', [
      bindTicketId,
    ]);
    return rows.length > 0;
  }
}
