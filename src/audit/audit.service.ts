import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { currentRequestId } from '../common/request-context';
import { Database } from '../database/database.service';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditEntry {
  action: string;
  actorUserId?: string | null;
  subjectUserId?: string | null;
  ip?: string | null;
  /** Masked values only: callers mask phones (maskPhone) and never pass secrets. */
  details?: Record<string, unknown>;
}

/** The append-only audit log: rows are inserted, never updated or deleted. */
@Injectable()
export class AuditService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Whoever wants to observe audited actions (metrics); set once at boot. */
  observer?: (action: string, details: Record<string, unknown> | undefined) => void;

  /** Records inside the caller's transaction when given one, so the event and the change commit together. */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    if (!manager) return this.database.transaction((m) => this.record(entry, m));
    this.observer?.(entry.action, entry.details);
    await manager.getRepository(AuditEventEntity).insert({
      id: newId(),
      action: entry.action,
      actorUserId: entry.actorUserId ?? null,
      subjectUserId: entry.subjectUserId ?? null,
      ip: entry.ip ?? null,
      requestId: currentRequestId() ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
      createdAt: this.clock.now(),
    });
  }
}
