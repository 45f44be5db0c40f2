import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { Database } from '../database/database.service';
import { BindTicketEntity } from './bind-ticket.entity';

export const BIND_TICKET_TTL_MS = 10 * 60 * 1000;
const MAX_TICKET_LENGTH = 128;

/** One-time proof, for 10 minutes, that the caller holds a verified identity with no user yet. Stored hashed. */
@Injectable()
export class BindTicketsService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * A new ticket for the identity; earlier live tickets of it die. The earlier ones are found by a
   * plain read and closed by primary key: a range UPDATE on identity_id took gap locks on its
   * foreign-key index and deadlocked parallel first logins of different people on MariaDB.
   */
  async issue(
    manager: EntityManager,
    identityId: string,
    deviceId: string | null,
  ): Promise<{ ticket: string; expiresAt: Date }> {
    const now = this.clock.now();
    const tickets = manager.getRepository(BindTicketEntity);
    const earlier = await tickets
      .createQueryBuilder('t')
      .select('t.id', 'id')
      .where('t.identity_id = :identityId AND t.consumed_at IS NULL', { identityId })
      .getRawMany<{ id: string }>();
    if (earlier.length > 0) await tickets.update({ id: In(earlier.map((row) => row.id)) }, { consumedAt: now });
    const ticket = randomToken(32);
    const expiresAt = new Date(now.getTime() + BIND_TICKET_TTL_MS);
    await tickets.insert({
      id: newId(),
      ticketHash: sha256Hex(ticket),
      identityId,
      deviceId,
      createdAt: now,
      expiresAt,
      consumedAt: null,
    });
    return { ticket, expiresAt };
  }

  /** The live ticket, or null: unknown, used and expired tickets look the same. */
  async findLive(
    ticket: string | null | undefined,
    manager: EntityManager = this.database.dataSource.manager,
  ): Promise<BindTicketEntity | null> {
    if (!ticket || ticket.length > MAX_TICKET_LENGTH) return null;
    const row = await manager.getRepository(BindTicketEntity).findOne({ where: { ticketHash: sha256Hex(ticket) } });
    if (!row || row.consumedAt || row.expiresAt <= this.clock.now()) return null;
    return row;
  }

  /** Single use: exactly one caller consumes it. */
  async consume(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(BindTicketEntity)
      .set({ consumedAt: this.clock.now() })
      .where('id = :id AND consumed_at IS NULL AND expires_at > :now', { id, now: this.clock.now() })
      .execute();
    return (result.affected ?? 0) === 1;
  }
}
