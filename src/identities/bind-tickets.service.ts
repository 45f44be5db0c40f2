import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { randomToken, sha256Hex } from '../common/secrets';
import { BindTicketEntity } from './bind-ticket.entity';
import { BindTicketsRepository } from './bind-tickets.repository';

export const BIND_TICKET_TTL_MS = 10 * 60 * 1000;
const MAX_TICKET_LENGTH = 128;

/** One-time proof, for 10 minutes, that the caller holds a verified identity with no user yet. Stored hashed. */
@Injectable()
export class BindTicketsService {
  constructor(
    private readonly repository: BindTicketsRepository,
    private readonly clock: Clock,
  ) {}

  /** A new ticket for the identity; earlier live tickets of it die (closed by primary key, see the repository). */
  async issue(
    manager: EntityManager,
    identityId: string,
    deviceId: string | null,
  ): Promise<{ ticket: string; expiresAt: Date }> {
    const now = this.clock.now();
    await this.repository.closeByIds(manager, await this.repository.findUnusedIdsOfIdentity(manager, identityId), now);
    const ticket = randomToken(32);
    const expiresAt = new Date(now.getTime() + BIND_TICKET_TTL_MS);
    await this.repository.insert(manager, {
      id: newId(),
      ticketHash: sha256Hex(ticket),
      identityId,
      deviceId,
      createdAt: now,
      expiresAt,
    });
    return { ticket, expiresAt };
  }

  /** The live ticket, or null: unknown, used and expired tickets look the same. */
  async findLive(ticket: string | null | undefined, manager?: EntityManager): Promise<BindTicketEntity | null> {
    if (!ticket || ticket.length > MAX_TICKET_LENGTH) return null;
    const row = await this.repository.findByHash(sha256Hex(ticket), manager);
    if (!row || row.consumedAt || row.expiresAt <= this.clock.now()) return null;
    return row;
  }

  /** Single use: exactly one caller consumes it. */
  consume(manager: EntityManager, id: string): Promise<boolean> {
    return this.repository.consume(manager, id, this.clock.now());
  }
}
