import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { currentRequestId } from '../common/request-context';
import { Database } from '../database/database.service';
import { asSql, SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';

export interface AuditEntry {
  action: string;
  actorUserId?: string | null;
  subjectUserId?: string | null;
  ip?: string | null;
  /** Masked values only: callers mask phones (maskPhone) and never pass secrets. */
  details?: Record<string, unknown>;
}

// Failures already written as 'login.failed' (a step inside another login path recorded it).
const recordedFailures = new WeakSet<object>();

/** The append-only audit log: rows are inserted, never updated or deleted. */
@Injectable()
export class AuditService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Whoever wants to observe audited actions (metrics); set once at boot. */
  observer?: (action: string, details: Record<string, unknown> | undefined) => void;

  /**
   * Records inside the caller's transaction when given one, so the event and the change commit
   * together; without one, as a statement of its own.
   */
  async record(entry: AuditEntry, target?: SqlTarget): Promise<void> {
    this.observer?.(entry.action, entry.details);
    await (target ? asSql(target) : this.database.sql).run(
      'INSERT INTO audit_events (id, action, actor_user_id, subject_user_id, ip, request_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        newId(),
        entry.action,
        entry.actorUserId ?? null,
        entry.subjectUserId ?? null,
        entry.ip ?? null,
        currentRequestId() ?? null,
        entry.details ? JSON.stringify(entry.details) : null,
        this.clock.now(),
      ],
    );
  }

  /**
   * A login step's refusal as 'login.failed' with its method and code (adminLoginStats' failuresByCode,
   * the logins metric), once per error however many layers see it. Only DomainErrors: what the client
   * was told. Never fails the caller: the error it reports is the one that counts.
   */
  async recordLoginFailure(
    error: unknown,
    method: string,
    meta: { ip?: string | null },
    details: Record<string, unknown> = {},
  ): Promise<void> {
    if (!(error instanceof DomainError) || recordedFailures.has(error)) return;
    recordedFailures.add(error);
    await this.record({ action: 'login.failed', ip: meta.ip, details: { method, code: error.code, ...details } }).catch(
      () => undefined,
    );
  }

  /** Runs a login step; a DomainError it throws is recorded (recordLoginFailure) and rethrown. */
  async failuresOf<T>(method: string, meta: { ip?: string | null }, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.recordLoginFailure(error, method, meta);
      throw error;
    }
  }
}
