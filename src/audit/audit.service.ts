import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { currentRequestId } from '../common/request-context';
import { SqlTarget } from '../database/sql';
import { DomainError } from '../errors/domain-error';
import { AuditRepository } from './audit.repository';

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
    private readonly events: AuditRepository,
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
    await this.events.insert(
      {
        id: newId(),
        action: entry.action,
        actorUserId: entry.actorUserId ?? null,
        subjectUserId: entry.subjectUserId ?? null,
        ip: entry.ip ?? null,
        requestId: currentRequestId() ?? null,
        details: entry.details ? JSON.stringify(entry.details) : null,
        createdAt: this.clock.now(),
      },
      target,
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
