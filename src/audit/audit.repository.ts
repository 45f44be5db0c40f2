import { Injectable } from '@nestjs/common';
import { Brackets } from 'typeorm';
import { Database } from '../database/database.service';
import { asSql, SqlTarget } from '../database/sql';
import { Statement } from '../database/sql-statements';
import { AuditEventEntity } from './audit-event.entity';

/** Every plain statement on `audit_events`; src/database/queries/audit.repository.sql is their snapshot. */
export const AUDIT_STATEMENTS = {
  insert:
    'INSERT INTO audit_events (id, action, actor_user_id, subject_user_id, ip, request_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
} satisfies Record<string, Statement>;

const S = AUDIT_STATEMENTS;

export interface AuditEventFilter {
  /** Events this user did or underwent. */
  userId?: string;
  action?: string;
  /** Newest first: only events before this one. */
  before?: { createdAt: Date; id: string };
  limit: number;
}

/** The append-only `audit_events` table: rows are inserted, never updated or deleted. */
@Injectable()
export class AuditRepository {
  constructor(private readonly database: Database) {}

  /** In the caller's transaction when given one, else as a statement of its own. */
  async insert(row: AuditEventEntity, target?: SqlTarget): Promise<void> {
    await (target ? asSql(target) : this.database.sql).write(S.insert, [
      row.id,
      row.action,
      row.actorUserId,
      row.subjectUserId,
      row.ip,
      row.requestId,
      row.details,
      row.createdAt,
    ]);
  }

  /** A page of events, newest first. */
  find(filter: AuditEventFilter): Promise<AuditEventEntity[]> {
    const query = this.database.dataSource.manager.getRepository(AuditEventEntity).createQueryBuilder('e');
    const { userId, action, before } = filter;
    if (userId) query.andWhere('(e.subject_user_id = :userId OR e.actor_user_id = :userId)', { userId });
    if (action) query.andWhere('e.action = :action', { action });
    if (before) {
      query.andWhere(
        new Brackets((q) =>
          q
            .where('e.created_at < :c', { c: before.createdAt })
            .orWhere('e.created_at = :c AND e.id < :cid', { c: before.createdAt, cid: before.id }),
        ),
      );
    }
    return query.orderBy('e.created_at', 'DESC').addOrderBy('e.id', 'DESC').take(filter.limit).getMany();
  }

  /** Action and details of the login events (logins, bindings, refusals) within [start, end). */
  findLoginEvents(start: Date, end: Date): Promise<Pick<AuditEventEntity, 'action' | 'details'>[]> {
    return this.database.dataSource.manager
      .getRepository(AuditEventEntity)
      .createQueryBuilder('e')
      .select(['e.action', 'e.details'])
      .where('e.created_at >= :start AND e.created_at < :end', { start, end })
      .andWhere("(e.action LIKE 'login.%' OR e.action LIKE '%.bind')")
      .getMany();
  }
}
