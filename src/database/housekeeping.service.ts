import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config.service';
import { Database } from './database.service';
import { Statement } from './sql-statements';

const JOB_NAME = 'housekeeping';
const EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** The sweep's statements, one per table; src/database/queries/housekeeping.sql is their snapshot. */
export const HOUSEKEEPING_STATEMENTS = {
  deleteLoginStates: 'DELETE FROM login_states WHERE expires_at < ?',
  deleteCodeExchanges: 'DELETE FROM code_exchanges WHERE expires_at < ?',
  deleteBindTickets: 'DELETE FROM bind_tickets WHERE expires_at < ?',
  deleteSmsCodes: 'DELETE FROM sms_codes WHERE expires_at < ?',
  deleteRateLimits: 'DELETE FROM rate_limits WHERE window_start < ?',
  deleteQrLogins: 'DELETE FROM qr_logins WHERE expires_at < ?',
  deleteDeliveredOutbox: "DELETE FROM outbox WHERE status = 'delivered' AND updated_at < ?",
} satisfies Record<string, Statement>;

const S = HOUSEKEEPING_STATEMENTS;

// Short-lived rows, and how long after they stop mattering they are deleted.
const RULES: { table: string; statement: string; keepMs: number }[] = [
  { table: 'login_states', statement: S.deleteLoginStates, keepMs: DAY_MS },
  { table: 'code_exchanges', statement: S.deleteCodeExchanges, keepMs: DAY_MS },
  { table: 'bind_tickets', statement: S.deleteBindTickets, keepMs: DAY_MS },
  { table: 'sms_codes', statement: S.deleteSmsCodes, keepMs: 2 * DAY_MS },
  // Written only by instances of the previous release during a rolling upgrade (their refresh budget,
  // one-minute windows); a later release drops the table, as 1764610000000 did rate_limit_hits.
  { table: 'rate_limits', statement: S.deleteRateLimits, keepMs: 2 * DAY_MS },
  // Two minutes of life; kept a day for support questions ("who logged in on that screen?").
  { table: 'qr_logins', statement: S.deleteQrLogins, keepMs: DAY_MS },
  // Delivered webhooks and cleanups stay a month for adminWebhookDeliveries; failed ones stay.
  { table: 'outbox', statement: S.deleteDeliveredOutbox, keepMs: 30 * DAY_MS },
];

/** Deletes expired one-time rows every hour, so the tables of states, codes and limits stay small. */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HousekeepingService.name);

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Same switch as the other background job: tests and one-off tools run without timers.
    if (!this.config.get('tokenRefresh').enabled) return;
    const timer = setInterval(() => {
      void this.sweep().catch((error: unknown) => this.logger.warn(`housekeeping failed: ${String(error)}`));
    }, EVERY_MS);
    timer.unref();
    this.scheduler.addInterval(JOB_NAME, timer);
  }

  beforeApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
  }

  /**
   * One sweep; returns the rows deleted per table. A table that fails (gone: dropped by a newer
   * release's migration during a rolling upgrade) is logged and left out; the others are still swept.
   */
  async sweep(): Promise<Record<string, number>> {
    const now = this.clock.nowMs();
    const deleted: Record<string, number> = {};
    for (const rule of RULES) {
      try {
        // In a transaction of its own, for its retries (a deadlock with a racing insert is tried again).
        deleted[rule.table] = await this.database.sqlTransaction((sql) =>
          sql.run(rule.statement, [new Date(now - rule.keepMs)]),
        );
      } catch (error) {
        this.logger.warn(`housekeeping of ${rule.table} failed: ${describe(error)}`);
      }
    }
    return deleted;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
