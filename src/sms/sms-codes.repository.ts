import type { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { Statement } from '../database/sql-statements';
import type { SmsPurposeValue } from './sms-code.entity';

// A code that can still be used (parameters: phone, purpose, now).
const LIVE = 'phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?';
// Whether the checker is the source that asked for the code (parameters: its device hash, its IP);
// NULL (no device, no address) is not the asker. The code's owner is the asker whatever its source.
const ASKER = '(CASE WHEN requester_device IS NOT NULL THEN requester_device = ? ELSE requester_ip = ? END)';
const OWNER = '1 = 1';
// Room for one more try: the asker's own budget, or the one every other source shares.
const room = (asker: string) => `CASE WHEN ${asker} THEN attempts < ? ELSE foreign_attempts < ? END`;
// A binding code only works with the bind ticket it was sent for.
const TICKET = ' AND bind_ticket_hash = ?';

const consume = (asker: string, ticket: string) =>
  `UPDATE sms_codes SET consumed_at = ? WHERE ${LIVE} AND code_hash = ? AND ${room(asker)}${ticket}`;
const countWrong = (asker: string, ticket: string) =>
  `UPDATE sms_codes SET attempts = attempts + (CASE WHEN ${asker} THEN 1 ELSE 0 END), ` +
  `foreign_attempts = foreign_attempts + (CASE WHEN ${asker} THEN 0 ELSE 1 END) ` +
  `WHERE ${LIVE} AND ${room(asker)}${ticket}`;

/** Every statement on `sms_codes`; src/database/queries/sms-codes.repository.sql is their snapshot. */
export const SMS_CODE_STATEMENTS = {
  revokeLive:
    'UPDATE sms_codes SET revoked_at = ? WHERE phone = ? AND purpose = ? AND consumed_at IS NULL AND revoked_at IS NULL',
  insert:
    'INSERT INTO sms_codes (id, phone, purpose, code_hash, attempts, foreign_attempts, requester_ip, requester_device, user_id, bind_ticket_hash, created_at, expires_at, consumed_at, revoked_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, NULL)',
  revoke: 'UPDATE sms_codes SET revoked_at = ? WHERE id = ?',
  giveBack:
    'UPDATE sms_codes SET consumed_at = NULL WHERE phone = ? AND purpose = ? AND code_hash = ? AND consumed_at = ?',
  // One conditional UPDATE per check (and per variant: checked by the asker or the owner, with a bind ticket or not).
  consumeByAsker: consume(ASKER, ''),
  consumeByAskerWithTicket: consume(ASKER, TICKET),
  consumeByOwner: consume(OWNER, ''),
  consumeByOwnerWithTicket: consume(OWNER, TICKET),
  countWrongByAsker: countWrong(ASKER, ''),
  countWrongByAskerWithTicket: countWrong(ASKER, TICKET),
  countWrongByOwner: countWrong(OWNER, ''),
  countWrongByOwnerWithTicket: countWrong(OWNER, TICKET),
  findLatestLive: `SELECT attempts, foreign_attempts, requester_device, requester_ip, bind_ticket_hash FROM sms_codes WHERE ${LIVE} ORDER BY created_at DESC LIMIT 1`,
} satisfies Record<string, Statement>;

const S = SMS_CODE_STATEMENTS;

export interface NewSmsCode {
  id: string;
  phone: string;
  purpose: SmsPurposeValue;
  codeHash: string;
  requesterIp: string | null;
  /** A hash of the device id. */
  requesterDevice: string | null;
  userId: string | null;
  bindTicketHash: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Who checks a live code, and the limits of wrong tries (for the asker and for everyone else). */
export interface CodeAttempt {
  phone: string;
  purpose: SmsPurposeValue;
  now: Date;
  /** The checker owns the code whatever its source. */
  owner: boolean;
  /** A hash of the checker's device id. */
  device: string | null;
  ip: string | null;
  maxAttempts: number;
  maxForeignAttempts: number;
  /** Set for a binding code: only this ticket's code counts. */
  bindTicketHash?: string;
}

export interface LiveCode {
  attempts: number;
  foreignAttempts: number;
  requesterDevice: string | null;
  requesterIp: string | null;
  bindTicketHash: string | null;
}

/** The `sms_codes` table: every statement on it, each a plain autocommit statement (atomic by itself). */
@Injectable()
export class SmsCodesRepository {
  constructor(private readonly database: Database) {}

  /** Every live code of this phone and purpose revoked (a resend). */
  async revokeLive(phone: string, purpose: SmsPurposeValue, now: Date): Promise<void> {
    await this.database.sql.run(S.revokeLive, [now, phone, purpose]);
  }

  async insert(code: NewSmsCode): Promise<void> {
    await this.database.sql.run(S.insert, [
      code.id,
      code.phone,
      code.purpose,
      code.codeHash,
      code.requesterIp,
      code.requesterDevice,
      code.userId,
      code.bindTicketHash,
      code.createdAt,
      code.expiresAt,
    ]);
  }

  /** Every code of a phone, for account deletion (inside its transaction). */
  async deleteForPhone(manager: EntityManager, phone: string): Promise<void> {
    await manager.createQueryBuilder().delete().from('sms_codes').where('phone = :phone', { phone }).execute();
  }

  async revoke(id: string, now: Date): Promise<void> {
    await this.database.sql.run(S.revoke, [now, id]);
  }

  /** The code consumed at `consumedAt` live again. */
  async giveBack(phone: string, purpose: SmsPurposeValue, codeHash: string, consumedAt: Date): Promise<void> {
    await this.database.sql.run(S.giveBack, [phone, purpose, codeHash, consumedAt]);
  }

  /** Consumes the live code if its hash is `codeHash` and the checker has tries left; rows changed (0 or 1). */
  consume(attempt: CodeAttempt, codeHash: string): Promise<number> {
    const { asker, room, ticket } = this.parts(attempt);
    const statement = pick(
      attempt,
      [S.consumeByAsker, S.consumeByAskerWithTicket],
      [S.consumeByOwner, S.consumeByOwnerWithTicket],
    );
    return this.database.sql.run(statement, [
      attempt.now,
      ...this.live(attempt),
      codeHash,
      ...asker,
      ...room,
      ...ticket,
    ]);
  }

  /** A wrong try counted against the live code (the asker's or the others' budget), if it has room; rows changed. */
  countWrong(attempt: CodeAttempt): Promise<number> {
    const { asker, room, ticket } = this.parts(attempt);
    const statement = pick(
      attempt,
      [S.countWrongByAsker, S.countWrongByAskerWithTicket],
      [S.countWrongByOwner, S.countWrongByOwnerWithTicket],
    );
    return this.database.sql.run(statement, [...asker, ...asker, ...this.live(attempt), ...asker, ...room, ...ticket]);
  }

  /** The latest live code of this phone and purpose (a resend revoked the earlier ones). */
  async findLatestLive(phone: string, purpose: SmsPurposeValue, now: Date): Promise<LiveCode | null> {
    const [row] = await this.database.sql.rows<LiveCodeRow>(S.findLatestLive, [phone, purpose, now]);
    if (!row) return null;
    return {
      attempts: Number(row.attempts),
      foreignAttempts: Number(row.foreign_attempts),
      requesterDevice: row.requester_device,
      requesterIp: row.requester_ip,
      bindTicketHash: row.bind_ticket_hash,
    };
  }

  private live(attempt: CodeAttempt): unknown[] {
    return [attempt.phone, attempt.purpose, attempt.now];
  }

  // The parameters of the variable parts: who asks (none for the owner), the two limits, the ticket.
  private parts(attempt: CodeAttempt): { asker: unknown[]; room: unknown[]; ticket: unknown[] } {
    return {
      asker: attempt.owner ? [] : [attempt.device, attempt.ip],
      room: [attempt.maxAttempts, attempt.maxForeignAttempts],
      ticket: attempt.bindTicketHash === undefined ? [] : [attempt.bindTicketHash],
    };
  }
}

function pick(attempt: CodeAttempt, byAsker: [string, string], byOwner: [string, string]): string {
  const [plain, withTicket] = attempt.owner ? byOwner : byAsker;
  return attempt.bindTicketHash === undefined ? plain : withTicket;
}

interface LiveCodeRow {
  attempts: number | string;
  foreign_attempts: number | string;
  requester_device: string | null;
  requester_ip: string | null;
  bind_ticket_hash: string | null;
}
